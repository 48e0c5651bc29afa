-- depends_on: weekly_site_summary
-- The dashboard's first figure, for every week: delayed days across the sites that returned the
-- week (home-LA residents, as weekly_site_summary), beside the week before. The latest week's row
-- is the headline. previous_total_days is blank, not 0, when no site returned the week before.
with weeks as (
    select
        week_ending,
        count(*) as sites_returned,
        sum(total_days) as total_days
    from weekly_site_summary
    group by week_ending
)

select
    weeks.week_ending,
    weeks.sites_returned,
    weeks.total_days,
    weeks.week_ending - 7 as previous_week_ending,
    coalesce(previous.sites_returned, 0) as previous_sites_returned,
    previous.total_days as previous_total_days,
    weeks.week_ending = max(weeks.week_ending) over () as latest
from weeks
left join weeks as previous on previous.week_ending = weeks.week_ending - 7
