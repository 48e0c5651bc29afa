-- Check columns read by the suite published_trajectory_status_history: days_covered is 7 x the
-- weeks counted (month_rule = week_ending) or the calendar days counted (calendar), whichever rule
-- the snapshot's run used (blank in snapshots kept before days were recorded); no more periods
-- counted than the month has.
select
    *,
    case when days_covered not in (periods_to_date, 7 * periods_to_date) then 'mismatch' end as days_covered_mismatch,
    periods_in_month - periods_to_date as periods_not_counted
from trajectory_status_history
