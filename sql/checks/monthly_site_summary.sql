-- Check columns read by the suite published_monthly_site_summary (as for the weekly table).
select
    *,
    nullif(concat_ws(', ',
        case when nhs_days is null then 'nhs_days' end,
        case when social_care_days is null then 'social_care_days' end,
        case when both_days is null then 'both_days' end,
        case when att_nhs_days is null then 'att_nhs_days' end,
        case when att_social_care_days is null then 'att_social_care_days' end,
        case when total_days is null then 'total_days' end), '') as blank_measures,
    least(nhs_days, social_care_days, both_days, att_nhs_days, att_social_care_days, total_days) as smallest_measure,
    cast(att_nhs_days + att_social_care_days - total_days as double) as attribution_gap,
    cast(nhs_days + social_care_days + both_days - total_days as double) as organisation_gap
from monthly_site_summary
