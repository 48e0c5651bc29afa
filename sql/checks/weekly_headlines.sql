-- Check columns read by the suite published_weekly_headlines: each week's sites and total days are
-- those of weekly_site_summary, the week before's figures are that week's row (blank total when
-- no site returned it), and exactly one row is the latest week.
with sites as (
    select
        week_ending,
        count(*) as sites,
        sum(total_days) as sites_total_days
    from weekly_site_summary
    group by week_ending
)

select
    weekly_headlines.*,
    cast(weekly_headlines.total_days - sites.sites_total_days as double) as sites_gap,
    weekly_headlines.sites_returned - sites.sites as sites_count_gap,
    cast(coalesce(weekly_headlines.previous_total_days, 0) - coalesce(previous.sites_total_days, 0) as double)
        as previous_gap,
    weekly_headlines.previous_sites_returned - coalesce(previous.sites, 0) as previous_count_gap,
    count(*) filter (where weekly_headlines.latest) over () as latest_rows
from weekly_headlines
left join sites using (week_ending)
left join sites as previous on weekly_headlines.previous_week_ending = previous.week_ending
