-- depends_on: int_attributed_site_weeks, ref_sites, spc_signals
-- Returns that look wrong and should be confirmed with the site: all zeros from a site whose
-- previous twelve weeks averaged at least 7 delayed days a week (a full week of one delayed
-- patient), or a week far outside the site's SPC process limits (spc_signals): beyond a limit by
-- more than half the distance from the mean to that limit (about 4.5 sigma), far enough to
-- suspect a keying error rather than a special cause. The lower limit is shown no lower than
-- zero: a count cannot be negative. One row per return and check.
with history as (
    select
        site_code,
        week_ending,
        total_days,
        avg(total_days) over previous_12 as avg_previous_12wk_total_days
    from int_attributed_site_weeks
    window previous_12 as (partition by site_code order by week_ending
                           range between interval 84 days preceding and interval 7 days preceding)
),

checked as (
    select
        history.*,
        spc.mean,
        greatest(spc.lower_limit, 0) as lower_limit,
        spc.upper_limit,
        history.total_days = 0 and history.avg_previous_12wk_total_days >= 7 as all_zero,
        history.total_days > spc.upper_limit + (spc.upper_limit - spc.mean) / 2
            or history.total_days < spc.lower_limit - (spc.mean - spc.lower_limit) / 2 as far_outside_limits
    from history
    join spc_signals as spc using (site_code, week_ending)
),

findings as (
    select *, 'all_zero' as check_name from checked where all_zero
    union all
    select *, 'far_outside_limits' from checked where far_outside_limits
)

select
    strftime(findings.week_ending, '%Y-%m') as month,
    sites.provider_code,
    findings.site_code,
    sites.site_name,
    findings.week_ending,
    findings.check_name as "check",
    findings.total_days,
    findings.avg_previous_12wk_total_days,
    findings.mean,
    findings.lower_limit,
    findings.upper_limit
from findings
join ref_sites as sites using (site_code)
