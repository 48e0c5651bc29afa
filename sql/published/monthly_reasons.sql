-- depends_on: int_reason_names, int_site_month_reasons, ref_sites, stg_national_rows
-- Why the council's residents were delayed: days (and patients, where every return carried them)
-- by month, reason and responsible organisation. source = local: per site, and the council's
-- Total (provider_code and site_code 'Total'); source = national: NHS England's extract for the
-- council's residents, per provider (no sites) and Total. pct_of_org_days is the reason's share
-- of the organisation's days there; rank_in_org ranks the stated reasons (1 = most days; ties by
-- code). Summary-layout returns count as NOT_STATED ("Not stated"), unranked, never spread.
with local_sites as (
    select
        reasons.month,
        'local' as source,
        sites.provider_code,
        reasons.site_code,
        reasons.responsible_org,
        reasons.reason_code,
        reasons.delayed_days,
        reasons.patients_delayed
    from int_site_month_reasons as reasons
    join ref_sites as sites using (site_code)
),

local_total as (
    select
        month, source, 'Total' as provider_code, 'Total' as site_code, responsible_org, reason_code,
        sum(delayed_days) as delayed_days,
        case when count(*) = count(patients_delayed) then sum(patients_delayed) end as patients_delayed
    from local_sites
    group by month, source, responsible_org, reason_code
),

national_by_org as (
    unpivot (
        select month, provider_code, reason_code, nhs_b_sum, social_care_b_sum, both_b_sum
        from stg_national_rows
        where la_code = getvariable('home_la')
    )
    on nhs_b_sum as 'NHS', social_care_b_sum as 'Social Care', both_b_sum as 'Both'
    into name responsible_org value delayed_days
),

national_providers as (
    select
        month, 'national' as source, provider_code, null as site_code, responsible_org, reason_code,
        sum(delayed_days) as delayed_days, null::hugeint as patients_delayed
    from national_by_org
    group by month, provider_code, responsible_org, reason_code
),

national_total as (
    select
        month, source, 'Total' as provider_code, 'Total' as site_code, responsible_org, reason_code,
        sum(delayed_days) as delayed_days, null::hugeint as patients_delayed
    from national_providers
    group by month, source, responsible_org, reason_code
),

all_rows as (
    select * from local_sites
    union all
    select * from local_total
    union all
    select * from national_providers
    union all
    select * from national_total
),

with_days as (
    select * from all_rows where delayed_days > 0
)

select
    with_days.month,
    getvariable('home_la') as la_code,
    with_days.source,
    with_days.provider_code,
    with_days.site_code,
    with_days.responsible_org,
    with_days.reason_code,
    coalesce(names.reason, with_days.reason_code) as reason,
    with_days.delayed_days,
    with_days.patients_delayed,
    pct_of_total(with_days.delayed_days, sum(with_days.delayed_days) over organisation) as pct_of_org_days,
    case when with_days.reason_code != 'NOT_STATED' then
        row_number() over (partition by with_days.month, with_days.source, with_days.provider_code,
                                        with_days.site_code, with_days.responsible_org,
                                        with_days.reason_code = 'NOT_STATED'
                           order by with_days.delayed_days desc, with_days.reason_code)
    end as rank_in_org
from with_days
left join int_reason_names as names using (reason_code)
window organisation as (partition by with_days.month, with_days.source, with_days.provider_code,
                                     with_days.site_code, with_days.responsible_org)
