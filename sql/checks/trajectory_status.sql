-- Check columns read by the suite published_trajectory_status: a provider's planned_days for a
-- month is the sum of its rows in the BCF trajectory (reference/bcf_trajectory.csv); days_covered
-- is 7 x the weeks counted under month_rule = week_ending (so 35 in a five-week month), the
-- calendar days counted under calendar; no more periods counted than the month has.
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
    trajectory_status.days_covered - case getvariable('month_rule') when 'calendar' then trajectory_status.periods_to_date
                                      else 7 * trajectory_status.periods_to_date end as days_covered_gap,
    trajectory_status.periods_in_month - trajectory_status.periods_to_date as periods_not_counted
from trajectory_status
left join trajectory using (month, provider_code)
