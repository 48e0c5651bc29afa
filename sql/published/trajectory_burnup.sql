-- depends_on: int_provider_weeks, trajectory_status
-- Burn-up per trust: delayed days to date after each counted week of a month, against the
-- trajectory pro rata to the days covered: planned_days x days_covered / days_in_month. Weeks,
-- their month shares and days_covered are those of trajectory_status (int_provider_weeks), so
-- the last row of a month equals that month's mtd_days and mtd_planned_days. Only complete weeks
-- (every open site sent its return) are counted, as in trajectory_status.
with plans as (
    select month, provider_code, planned_days, days_in_month
    from trajectory_status
),

counted as (
    select
        month,
        provider_code,
        week_ending,
        sum(total_days) over to_date as cumulative_days,
        sum(days_of_week) over to_date as days_covered
    from int_provider_weeks
    where complete
    window to_date as (partition by month, provider_code order by week_ending)
)

select
    counted.month,
    counted.provider_code,
    counted.week_ending,
    counted.cumulative_days,
    (plans.planned_days * counted.days_covered / plans.days_in_month)::double as planned_to_date,
    counted.days_covered::bigint as days_covered
from counted
join plans using (month, provider_code)
