-- Home-LA delayed days per site and month under the configured month rule.
select
    week_months.month,
    site_weeks.site_code,
    sum(site_weeks.nhs_days * week_months.share_of_week) as nhs_days,
    sum(site_weeks.social_care_days * week_months.share_of_week) as social_care_days,
    sum(site_weeks.both_days * week_months.share_of_week) as both_days,
    sum(site_weeks.att_nhs_days * week_months.share_of_week) as att_nhs_days,
    sum(site_weeks.att_social_care_days * week_months.share_of_week) as att_social_care_days,
    sum(site_weeks.total_days * week_months.share_of_week) as total_days
from int_attributed_site_weeks as site_weeks
join int_week_months as week_months using (week_ending)
group by week_months.month, site_weeks.site_code
