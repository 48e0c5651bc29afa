-- depends_on: int_site_month_returns, ref_sites, stg_weekly_returns, suspicious_returns
-- How complete each site's collection is, month by month: the weeks ending in the month, those
-- ended by as-of (due), those returned, and the returns that look wrong (suspicious_returns).
-- complete: every week of the month has ended and been returned. Months run from the month of
-- the first week loaded to the month of as-of; every site in sites.csv is due every week.
with latest_week as (
    select week_ending_on_or_before(getvariable('as_of')) as week_ending
),

span as (
    select date_trunc('month', min(week_ending)) as first_day, last_day(getvariable('as_of')) as last_day
    from stg_weekly_returns
),

weeks as (
    select days.day::date as week_ending, strftime(days.day, '%Y-%m') as month
    from span, generate_series(span.first_day, span.last_day, interval 1 day) as days (day)
    where lower(dayname(days.day)) = getvariable('week_ending_weekday')
),

months as (
    select
        weeks.month,
        count(*) as weeks_in_month,
        count(*) filter (where weeks.week_ending <= latest_week.week_ending) as weeks_due
    from weeks, latest_week
    group by weeks.month
),

suspicious as (
    select month, site_code, count(distinct week_ending) as suspicious_returns
    from suspicious_returns
    group by month, site_code
)

select
    months.month,
    sites.provider_code,
    sites.site_code,
    sites.site_name,
    months.weeks_in_month,
    months.weeks_due,
    coalesce(site_returns.weeks_returned, 0) as weeks_returned,
    months.weeks_due - coalesce(site_returns.weeks_returned, 0) as weeks_missing,
    coalesce(suspicious.suspicious_returns, 0) as suspicious_returns,
    coalesce(site_returns.weeks_returned, 0) >= months.weeks_in_month as complete
from months
cross join ref_sites as sites
left join int_site_month_returns as site_returns on site_returns.month = months.month
    and site_returns.site_code = sites.site_code
left join suspicious on suspicious.month = months.month and suspicious.site_code = sites.site_code
