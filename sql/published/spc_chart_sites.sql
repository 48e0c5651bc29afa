-- depends_on: spc_signals
-- Which sites the dashboard draws an SPC chart for, and what each chart shows. Each chart shows
-- the site's last 52 reported weeks (first_week_charted on) with its mean and limits over every
-- reported week; a count cannot fall below zero, so the lower limit is drawn no lower than 0
-- (chart_lower_limit; spc_signals keeps the computed lower_limit). Up to 40 sites every site is
-- charted; beyond 40 (a regional or national run), the sites whose last 12 reported weeks show a
-- special cause, those with a concerning one first, then by site code, at most 40. chart_order
-- is the order of the charts on the page (blank for a site not charted).
with points as (
    select
        spc_signals.*,
        row_number() over (partition by site_code order by week_ending desc) as weeks_back
    from spc_signals
),

sites as (
    select
        site_code,
        count(*) as weeks_reported,
        min(week_ending) filter (where weeks_back <= 52) as first_week_charted,
        any_value(mean) as mean,
        any_value(lower_limit) as lower_limit,
        greatest(any_value(lower_limit), 0) as chart_lower_limit,
        any_value(upper_limit) as upper_limit,
        count(signal) as special_causes,
        count(signal) filter (where weeks_back <= 12) as recent_special_causes,
        count(signal) filter (where weeks_back <= 12 and concerning) as recent_concerning
    from points
    group by site_code
),

ranked as (
    select
        sites.*,
        count(*) over () as sites_with_points,
        case when recent_special_causes > 0
             then row_number() over (
                 partition by recent_special_causes > 0 order by recent_concerning = 0, site_code
             ) end as special_cause_rank
    from sites
)

select
    site_code,
    weeks_reported,
    first_week_charted,
    mean,
    lower_limit,
    chart_lower_limit,
    upper_limit,
    special_causes,
    recent_special_causes,
    recent_concerning,
    chart_order is not null as charted,
    chart_order
from (
    select
        ranked.*,
        case when sites_with_points <= 40 then row_number() over (order by site_code)
             when special_cause_rank <= 40 then special_cause_rank end as chart_order
    from ranked
) as ordered
