-- depends_on: alert_log, int_providers, ref_sites, spc_signals, stg_loaded_returns, stg_weekly_returns, trajectory_status
-- Alerts this run would raise, not yet in alert_log. Only the month being monitored (the month of
-- the latest week ended by as-of) can raise trajectory alerts: a provider gets one breach per
-- month until it recovers, and one recovered alert when it does; an `incomplete` status (a site
-- has not sent a week yet) is never a transition. Breach episodes are counted from the alerts
-- raised at or before this as-of, so replaying past weeks (a backfill run twice) finds the same
-- alerts and raises nothing new. An open site (no closed_from on or before the week) that has
-- sent nothing for the latest week whose return is due (return_due_days after its week ending,
-- and that day has passed) raises submission.missing, from the first week any return was loaded.
with latest_week as (
    select week_ending_on_or_before(getvariable('as_of')) as latest_week_ending
),

monitored as (
    select
        latest_week_ending,
        strftime(latest_week_ending, '%Y-%m') as month
    from latest_week
),

due_week as (
    -- the latest week whose return was due before as-of: week_ending + return_due_days < as_of
    select week_ending_on_or_before(getvariable('as_of') - getvariable('return_due_days') - 1) as week_ending
),

episodes as (
    select
        provider_code,
        month,
        count(*) filter (where event = 'trajectory.breach') as breaches,
        count(*) filter (where event = 'trajectory.recovered') as recoveries
    from alert_log
    where la_code = getvariable('home_la') and as_of <= getvariable('as_of')
    group by provider_code, month
),

trajectory as (
    select
        status.*,
        providers.provider_name,
        coalesce(episodes.breaches, 0) as breaches,
        coalesce(episodes.recoveries, 0) as recoveries
    from trajectory_status as status
    join monitored using (month)
    join int_providers as providers using (provider_code)
    left join episodes using (provider_code, month)
),

trajectory_alerts as (
    select
        'trajectory.breach' as event,
        provider_code,
        null as site_code,
        month,
        null::date as week_ending,
        planned_days,
        mtd_days,
        mtd_planned_days,
        projected_days,
        breaches + 1 as episode,
        trajectory_alert_text('is running above', provider_name, month, mtd_days, mtd_planned_days,
                              projected_days, planned_days) as text
    from trajectory
    where status = 'breach' and breaches = recoveries
    union all
    select
        'trajectory.recovered',
        provider_code,
        null,
        month,
        null::date,
        planned_days,
        mtd_days,
        mtd_planned_days,
        projected_days,
        recoveries + 1,
        trajectory_alert_text('is back on', provider_name, month, mtd_days, mtd_planned_days,
                              projected_days, planned_days)
    from trajectory
    where status = 'on_track' and breaches > recoveries
),

missing_returns as (
    select
        'submission.missing' as event,
        sites.provider_code,
        sites.site_code,
        strftime(due_week.week_ending, '%Y-%m') as month,
        due_week.week_ending,
        null::decimal(38, 10) as planned_days,
        null::decimal(38, 10) as mtd_days,
        null::double as mtd_planned_days,
        null::double as projected_days,
        1 as episode,
        printf('%s (%s) has not sent its delayed transfers of care return for the week ending %s.',
               sites.site_name, sites.site_code, strftime(due_week.week_ending, '%d %B %Y')) as text
    from ref_sites as sites, due_week
    where (sites.closed_from is null or sites.closed_from > due_week.week_ending)
      -- weeks before the first week any site has returned are before the collection started
      and due_week.week_ending >= (select min(week_ending) from stg_loaded_returns)
      and not exists (
        select 1 from stg_weekly_returns as returns
        where returns.site_code = sites.site_code and returns.week_ending = due_week.week_ending
    )
),

spc_alerts as (
    select
        'spc.signal' as event,
        sites.provider_code,
        spc.site_code,
        strftime(spc.week_ending, '%Y-%m') as month,
        spc.week_ending,
        null::decimal(38, 10),
        null::decimal(38, 10),
        null::double,
        null::double,
        1,
        printf('%s (%s): %s delayed days in the week ending %s is a concerning special cause (%s).',
               sites.site_name, spc.site_code, spc.total_days::varchar, strftime(spc.week_ending, '%d %B %Y'),
               replace(spc.signal, ';', ', '))
    from spc_signals as spc
    join ref_sites as sites using (site_code)
    join monitored on spc.week_ending = monitored.latest_week_ending
    where spc.concerning and getvariable('alert_on_spc_signals')
),

candidates as (
    select * from trajectory_alerts
    union all
    select * from missing_returns
    union all
    select * from spc_alerts
),

keyed as (
    select
        concat_ws('|', event, getvariable('home_la'), coalesce(site_code, provider_code), month,
                  strftime(week_ending, '%Y-%m-%d'), 'episode ' || episode) as dedup_key,
        candidates.*
    from candidates
)

select
    dedup_key,
    event,
    getvariable('home_la') as la_code,
    provider_code,
    site_code,
    month,
    week_ending,
    planned_days,
    mtd_days,
    mtd_planned_days,
    projected_days,
    text
from keyed
where dedup_key not in (select dedup_key from alert_log)
