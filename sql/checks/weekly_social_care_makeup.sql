-- Check columns read by the suite published_weekly_social_care_makeup: the sites' shares of a
-- week's social-care days add up to 100 % (a week without social-care days has no shares).
select
    *,
    cast(sum(pct_of_social_care_days) over (partition by week_ending) - 100 as double) as share_gap
from weekly_social_care_makeup
