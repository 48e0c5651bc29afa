-- Check columns read by the suite published_monthly_reasons: the reasons' shares of an
-- organisation's days at a site (provider, Total) add up to 100 %; the local reasons' days add up
-- to the organisation's days in monthly_site_summary (a site) and in monthly_provider_summary (the
-- council's Total, all providers); each Total holds the days of its source's site (provider) rows;
-- stated reasons are ranked by days (1 = most), "Not stated" never.
with site_days as (
    unpivot (select month, site_code, nhs_days, social_care_days, both_days from monthly_site_summary)
    on nhs_days as 'NHS', social_care_days as 'Social Care', both_days as 'Both'
    into name responsible_org value org_days
),

council_days as (
    select month, responsible_org, sum(org_days) as org_days
    from (
        unpivot (select month, nhs_days, social_care_days, both_days from monthly_provider_summary)
        on nhs_days as 'NHS', social_care_days as 'Social Care', both_days as 'Both'
        into name responsible_org value org_days
    )
    group by month, responsible_org
),

part_days as (
    select month, source, responsible_org, sum(delayed_days) as parts_days
    from monthly_reasons
    where provider_code <> 'Total'
    group by month, source, responsible_org
),

organisations as (
    select
        *,
        sum(delayed_days) over organisation as reasons_days,
        cast(sum(pct_of_org_days) over organisation - 100 as double) as share_gap,
        lag(delayed_days) over (partition by month, source, provider_code, site_code, responsible_org,
                                rank_in_org is null order by rank_in_org) as days_ranked_above
    from monthly_reasons
    window organisation as (partition by month, source, provider_code, site_code, responsible_org)
)

select
    organisations.* exclude (days_ranked_above),
    nullif(concat_ws(', ',
        case when organisations.la_code is null then 'la_code' end,
        case when organisations.provider_code is null then 'provider_code' end,
        case when organisations.site_code is null and (organisations.source = 'local'
                                                       or organisations.provider_code = 'Total') then 'site_code' end,
        case when organisations.reason_code is null then 'reason_code' end,
        case when organisations.reason is null then 'reason' end,
        case when organisations.delayed_days is null then 'delayed_days' end,
        case when organisations.pct_of_org_days is null then 'pct_of_org_days' end), '') as blank_fields,
    case when organisations.reason_code = 'NOT_STATED' and organisations.rank_in_org is not null
             then 'Not stated is ranked'
         when organisations.reason_code <> 'NOT_STATED' and organisations.rank_in_org is null
             then 'a stated reason has no rank'
         when organisations.rank_in_org is not null and organisations.delayed_days > organisations.days_ranked_above
             then 'it has more days than the reason ranked above it'
    end as rank_problem,
    case when organisations.source = 'local' and organisations.provider_code <> 'Total' then 'monthly_site_summary'
         when organisations.source = 'local' then 'monthly_provider_summary'
    end as expected_from,
    cast(case when organisations.source = 'local' and organisations.provider_code <> 'Total'
              then coalesce(site_days.org_days, 0)
              when organisations.source = 'local' then coalesce(council_days.org_days, 0)
         end as double) as expected_days,
    cast(organisations.reasons_days - case
        when organisations.source = 'local' and organisations.provider_code <> 'Total'
            then coalesce(site_days.org_days, 0)
        when organisations.source = 'local' then coalesce(council_days.org_days, 0)
    end as double) as org_days_gap,
    case when organisations.provider_code = 'Total' then cast(coalesce(part_days.parts_days, 0) as double) end
        as parts_days,
    case when organisations.provider_code = 'Total'
         then cast(organisations.reasons_days - coalesce(part_days.parts_days, 0) as double) end as parts_gap
from organisations
left join site_days on organisations.source = 'local' and site_days.month = organisations.month
    and site_days.site_code = organisations.site_code and site_days.responsible_org = organisations.responsible_org
left join council_days on organisations.source = 'local' and council_days.month = organisations.month
    and council_days.responsible_org = organisations.responsible_org
left join part_days on organisations.provider_code = 'Total' and part_days.month = organisations.month
    and part_days.source = organisations.source and part_days.responsible_org = organisations.responsible_org
