-- depends_on: int_attributed_site_weeks
-- Each site's share of the week's days attributed to social care, across all sites (the
-- dashboard's "% make-up of social-care days"). No social-care days at all: no percentages.
select
    week_ending,
    site_code,
    att_social_care_days,
    pct_of_total(att_social_care_days, sum(att_social_care_days) over (partition by week_ending))
        as pct_of_social_care_days
from int_attributed_site_weeks
