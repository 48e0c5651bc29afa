-- Check columns read by the suite published_weekly_site_summary: every row is a submitted return,
-- so every measure is filled in; the attributed parts and the organisations add up to the total.
select
    *,
    blank_measures(nhs_days, social_care_days, both_days, att_nhs_days, att_social_care_days, total_days)
        as blank_measures,
    least(nhs_days, social_care_days, both_days, att_nhs_days, att_social_care_days, total_days) as smallest_measure,
    attribution_gap(att_nhs_days, att_social_care_days, total_days) as attribution_gap,
    organisation_gap(nhs_days, social_care_days, both_days, total_days) as organisation_gap
from weekly_site_summary
