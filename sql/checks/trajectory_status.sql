-- Check columns read by the suite published_trajectory_status: a provider's planned_days for a
-- month is the sum of its rows in the BCF trajectory (reference/bcf_trajectory.csv).
with trajectory as (
    select month, provider_code, sum(planned_days) as trajectory_days
    from ref_bcf_trajectory
    where la_code = getvariable('home_la')
    group by month, provider_code
)

select
    trajectory_status.*,
    cast(trajectory.trajectory_days as double) as trajectory_days,
    cast(trajectory_status.planned_days - coalesce(trajectory.trajectory_days, 0) as double) as planned_gap
from trajectory_status
left join trajectory using (month, provider_code)
