-- Burn-up per trust: delayed days to date after each reported week of a month (by week-ending
-- date), against the trajectory pro rata to that week: planned x k / n, where k counts the weeks
-- (or, under month_rule = calendar, the days) of the month up to that week ending.
with plans as (
    select month, provider_code, planned_days, periods_in_month
    from trajectory_status
),

provider_weeks as (
    select
        strftime(site_weeks.week_ending, '%Y-%m') as month,
        sites.provider_code,
        site_weeks.week_ending,
        sum(site_weeks.total_days) as week_days
    from int_attributed_site_weeks as site_weeks
    join ref_sites as sites using (site_code)
    group by all
)

select
    provider_weeks.month,
    provider_weeks.provider_code,
    provider_weeks.week_ending,
    sum(provider_weeks.week_days) over (
        partition by provider_weeks.month, provider_weeks.provider_code order by provider_weeks.week_ending
    ) as cumulative_days,
    plans.planned_days
        * case getvariable('month_rule') when 'calendar' then day(provider_weeks.week_ending)
                                         else (day(provider_weeks.week_ending) + 6) // 7 end
        / plans.periods_in_month as planned_to_date
from provider_weeks
join plans using (month, provider_code)
