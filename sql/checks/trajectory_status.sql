-- Check columns read by the suite published_trajectory_status: a provider's planned_days for a
-- month is the sum of its rows in the BCF trajectory (reference/bcf_trajectory.csv); no more
-- days covered than the month has, no more periods counted than it has.
with trajectory as (
    select month, provider_code, sum(planned_days) as trajectory_days
    from ref_bcf_trajectory
    where la_code = getvariable('home_la')
    group by month, provider_code
)

select
    trajectory_status.*,
    cast(trajectory.trajectory_days as double) as trajectory_days,
    cast(trajectory_status.planned_days - coalesce(trajectory.trajectory_days, 0) as double) as planned_gap,
    trajectory_status.days_in_month - trajectory_status.days_covered as days_not_covered,
    trajectory_status.periods_in_month - trajectory_status.periods_to_date as periods_not_counted
from trajectory_status
left join trajectory using (month, provider_code)
