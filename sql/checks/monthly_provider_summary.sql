-- Check columns read by the suite published_monthly_provider_summary: as for the site tables, and
-- the providers of a month together hold exactly the month's loaded days (no site counted twice
-- or left out, whatever sites.csv says).
with month_totals as (
    select month, sum(total_days) as returned_days
    from int_site_months
    group by month
)

select
    monthly_provider_summary.*,
    blank_measures(nhs_days, social_care_days, both_days, att_nhs_days, att_social_care_days, total_days)
        as blank_measures,
    least(nhs_days, social_care_days, both_days, att_nhs_days, att_social_care_days, total_days) as smallest_measure,
    attribution_gap(att_nhs_days, att_social_care_days, total_days) as attribution_gap,
    organisation_gap(nhs_days, social_care_days, both_days, total_days) as organisation_gap,
    cast(sum(total_days) over (partition by monthly_provider_summary.month) as double) as providers_days,
    cast(coalesce(month_totals.returned_days, 0) as double) as returned_days,
    cast(sum(total_days) over (partition by monthly_provider_summary.month)
         - coalesce(month_totals.returned_days, 0) as double) as month_total_gap
from monthly_provider_summary
left join month_totals using (month)
