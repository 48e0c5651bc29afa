-- The trajectory as it stood at every as-of a run has seen: how a month's projection moved week
-- by week (a backfill fills in every week of its range).
select * from trajectory_snapshots
