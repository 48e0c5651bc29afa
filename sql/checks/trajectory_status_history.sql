-- Check columns read by the suite published_trajectory_status_history: no more days covered than
-- the month has (blank in snapshots kept before days were recorded), no more periods counted
-- than it has.
select
    *,
    days_in_month - days_covered as days_not_covered,
    periods_in_month - periods_to_date as periods_not_counted
from trajectory_status_history
