-- Check columns read by the suite published_monthly_headlines: days_against_target = total_days -
-- bcf_target_days and target_met = (total_days <= bcf_target_days), both blank without a target;
-- change_total_days = total_days - previous_total_days; the organisations and the attributed
-- parts add up to total_days, which is the month's total over the sites in monthly_site_summary;
-- returns received <= due <= expected; complete and coverage say the same thing.
with sites as (
    select month, sum(total_days) as sites_total_days
    from monthly_site_summary
    group by month
)

select
    monthly_headlines.*,
    cast(days_against_target - (total_days - bcf_target_days) as double) as target_gap,
    case when (target_met is distinct from (total_days <= bcf_target_days))
         then coalesce(cast(target_met as varchar), 'blank') end as target_met_wrong,
    cast(change_total_days - (total_days - previous_total_days) as double) as change_gap,
    case when (change_total_days is null) <> (previous_total_days is null) then 'change_total_days' end
        as change_blank_mismatch,
    cast(nhs_days + social_care_days + both_days - total_days as double) as organisation_gap,
    cast(att_nhs_days + att_social_care_days - total_days as double) as attribution_gap,
    cast(sites.sites_total_days as double) as sites_total_days,
    cast(total_days - coalesce(sites.sites_total_days, 0) as double) as sites_gap,
    case when not (returns_received <= returns_due and returns_due <= returns_expected
                   and sites_complete <= sites) then 'out of order' end as coverage_order,
    case when (complete is distinct from (sites_complete = sites))
              or (coverage is distinct from (case when sites_complete = sites then 'complete'
                                                  else 'with the data available' end))
         then 'mismatch' end as coverage_mismatch,
    nullif(concat_ws(', ',
        case when la_code is null then 'la_code' end,
        case when total_days is null then 'total_days' end,
        case when previous_month is null then 'previous_month' end,
        case when sites is null then 'sites' end,
        case when returns_expected is null then 'returns_expected' end,
        case when returns_due is null then 'returns_due' end,
        case when returns_received is null then 'returns_received' end,
        case when suspicious_returns is null then 'suspicious_returns' end,
        case when complete is null then 'complete' end,
        case when coverage is null then 'coverage' end), '') as blank_fields
from monthly_headlines
left join sites using (month)
