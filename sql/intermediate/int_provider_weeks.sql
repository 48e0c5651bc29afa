-- depends_on: int_attributed_site_weeks, int_provider_plans, ref_sites
-- Every week of every monitored month, per local provider with a BCF trajectory, up to the last
-- week ended by as-of: the days the week gives the month (7 under month_rule = week_ending, its
-- days inside the month under calendar), the provider's delayed days for those days, and whether
-- the week is complete: every site of the provider open that week (no closed_from on or before
-- its week ending) has sent its return. Only complete weeks count towards the trajectory.
with latest_week as (
    -- the last week that can have ended by as-of: the configured weekday on or before it
    select week_ending_on_or_before(getvariable('as_of')) as week_ending
),

plans as (
    select month, provider_code from int_provider_plans
),

months as (
    select distinct
        month,
        strptime(month || '-01', '%Y-%m-%d')::date as first_day,
        last_day(strptime(month || '-01', '%Y-%m-%d'))::date as last_day
    from plans
),

month_weeks as (
    -- week endings whose seven days touch the month
    select months.month, days.day::date as week_ending,
           least(days.day::date, months.last_day) - greatest(days.day::date - 6, months.first_day) + 1
               as calendar_days
    from months, latest_week,
        generate_series(months.first_day, months.last_day + 6, interval 1 day) as days (day)
    where lower(dayname(days.day)) = getvariable('week_ending_weekday')
      and days.day::date <= latest_week.week_ending
),

week_shares as (
    select month, week_ending, calendar_days as days_of_week
    from month_weeks
    where getvariable('month_rule') = 'calendar'
    union all
    select month, week_ending, 7
    from month_weeks
    where getvariable('month_rule') = 'week_ending' and strftime(week_ending, '%Y-%m') = month
),

provider_weeks as (
    select plans.provider_code, week_shares.*
    from plans
    join week_shares using (month)
),

site_weeks as (
    -- each site's figures for the days the week gives the month, fixed at ten decimals as in
    -- int_site_months, so a complete month adds up to the monthly tables exactly
    select
        provider_weeks.month,
        provider_weeks.provider_code,
        provider_weeks.week_ending,
        sites.site_code,
        sites.closed_from is null or sites.closed_from > provider_weeks.week_ending as site_open,
        returns.site_code is not null as sent,
        cast(returns.total_days * provider_weeks.days_of_week / 7 as decimal(38, 10)) as total_days
    from provider_weeks
    join ref_sites as sites using (provider_code)
    left join int_attributed_site_weeks as returns
        on returns.site_code = sites.site_code and returns.week_ending = provider_weeks.week_ending
)

select
    provider_weeks.month,
    provider_weeks.provider_code,
    provider_weeks.week_ending,
    provider_weeks.days_of_week,
    count(*) filter (where site_weeks.site_open) as open_sites,
    count(*) filter (where site_weeks.site_open and site_weeks.sent) as sites_sent,
    coalesce(bool_and(site_weeks.sent) filter (where site_weeks.site_open), true) as complete,
    coalesce(sum(site_weeks.total_days), 0) as total_days
from provider_weeks
join site_weeks using (month, provider_code, week_ending)
group by all
