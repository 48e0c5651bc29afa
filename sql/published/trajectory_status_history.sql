-- depends_on: trajectory_snapshots
-- The trajectory as it stood at every as-of a run has seen: how a month's projection moved week
-- by week (a backfill fills in every week of its range). Every snapshot is kept: a later run for
-- the same as-of that saw different figures (a late return) adds snapshot 2, 3, ...
select * exclude (snapshot), coalesce(snapshot, 1) as snapshot from trajectory_snapshots
