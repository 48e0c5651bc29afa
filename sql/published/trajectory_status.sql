-- Each local provider against its BCF trajectory, every month up to the run's as-of, while the
-- month is still under way. Only weeks ending on or before as-of count. After k of the month's n
-- periods (weeks under month_rule = week_ending, days under calendar):
-- mtd_planned_days = planned_days * k / n and projected_days = mtd_days / k * n.
with latest_week as (
    -- the last week that can have ended by as-of: the configured weekday on or before it
    select max(day)::date as week_ending
    from generate_series(getvariable('as_of') - 6, getvariable('as_of'), interval 1 day) as days (day)
    where lower(dayname(day)) = getvariable('week_ending_weekday')
),

plans as (
    select month, provider_code, sum(planned_days) as planned_days
    from ref_bcf_trajectory
    where la_code = getvariable('home_la')
      and provider_code in (select provider_code from ref_sites)
      and month <= strftime(getvariable('as_of'), '%Y-%m')
    group by month, provider_code
),

month_days as (
    select months.month, days.day::date as day
    from (select distinct month from plans) as months,
        generate_series(strptime(months.month || '-01', '%Y-%m-%d'),
                        last_day(strptime(months.month || '-01', '%Y-%m-%d')), interval 1 day) as days (day)
),

periods as (
    select
        month_days.month,
        count(*) filter (where lower(dayname(day)) = getvariable('week_ending_weekday')) as weeks_in_month,
        count(*) filter (where lower(dayname(day)) = getvariable('week_ending_weekday')
                         and day <= latest_week.week_ending) as weeks_to_date,
        count(*) as days_in_month,
        count(*) filter (where day <= latest_week.week_ending) as days_to_date
    from month_days, latest_week
    group by month_days.month
),

elapsed as (
    select
        month,
        case getvariable('month_rule') when 'calendar' then days_to_date else weeks_to_date end as periods_to_date,
        case getvariable('month_rule') when 'calendar' then days_in_month else weeks_in_month end as periods_in_month
    from periods
),

month_to_date as (
    select site_months.month, sites.provider_code, sum(site_months.total_days) as mtd_days
    from int_site_months as site_months
    join ref_sites as sites using (site_code)
    group by site_months.month, sites.provider_code
),

status as (
    select
        plans.month,
        plans.provider_code,
        plans.planned_days,
        coalesce(month_to_date.mtd_days, 0) as mtd_days,
        plans.planned_days * elapsed.periods_to_date / elapsed.periods_in_month as mtd_planned_days,
        case when elapsed.periods_to_date > 0
             then coalesce(month_to_date.mtd_days, 0) / elapsed.periods_to_date * elapsed.periods_in_month
        end as projected_days,
        elapsed.periods_to_date,
        elapsed.periods_in_month
    from plans
    join elapsed using (month)
    left join month_to_date using (month, provider_code)
)

select
    getvariable('as_of') as as_of,
    month,
    provider_code,
    planned_days,
    mtd_days,
    mtd_planned_days,
    projected_days,
    case when projected_days > planned_days * (1 + getvariable('alert_tolerance')) then 'breach' else 'on_track' end
        as status,
    periods_to_date,
    periods_in_month
from status
