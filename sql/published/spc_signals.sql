-- depends_on: int_attributed_site_weeks
-- XmR (individuals and moving range) chart per site on weekly total days, with the NHS
-- "Making Data Count" rules. Limits: mean +/- 2.66 x mean moving range, over every reported
-- week up to as-of. Rules: a point beyond a limit; a run of 7 or more on one side of the mean;
-- a trend of 6 or more points each higher (or lower) than the last; two of three consecutive
-- points in the outer third on the same side. For delayed days, higher is concerning.
with points as (
    select
        site_code,
        week_ending,
        total_days,
        row_number() over (partition by site_code order by week_ending) as point,
        abs(total_days - lag(total_days) over (partition by site_code order by week_ending)) as moving_range,
        sign(total_days - lag(total_days) over (partition by site_code order by week_ending)) as step
    from int_attributed_site_weeks
),

limits as (
    select
        site_code,
        avg(total_days) as mean,
        avg(total_days) - 2.66 * coalesce(avg(moving_range), 0) as lower_limit,
        avg(total_days) + 2.66 * coalesce(avg(moving_range), 0) as upper_limit
    from points
    group by site_code
),

placed as (
    select
        points.*,
        limits.mean,
        limits.lower_limit,
        limits.upper_limit,
        sign(points.total_days - limits.mean) as side,
        case
            when points.total_days > limits.mean + (limits.upper_limit - limits.mean) * 2 / 3 then 1
            when points.total_days < limits.mean - (limits.mean - limits.lower_limit) * 2 / 3 then -1
            else 0
        end as outer_third
    from points
    join limits using (site_code)
),

islands as (
    -- consecutive points on the same side of the mean, and consecutive steps in the same direction
    select
        placed.*,
        point - row_number() over (partition by site_code, side order by point) as side_island,
        point - row_number() over (partition by site_code, step order by point) as step_island
    from placed
),

lengths as (
    select
        islands.*,
        count(*) over (partition by site_code, side, side_island) as run_length,
        count(*) over (partition by site_code, step, step_island) as steps_in_trend
    from islands
),

flagged as (
    select
        lengths.*,
        -- a trend of 6 points is 5 consecutive steps; a point belongs to the steps either side of it
        (step != 0 and steps_in_trend >= 5) as ends_trend_step,
        lead(step != 0 and steps_in_trend >= 5) over site_order as starts_trend_step,
        lead(step) over site_order as next_step,
        lag(outer_third, 2) over site_order as outer_2_before,
        lag(outer_third, 1) over site_order as outer_1_before,
        lead(outer_third, 1) over site_order as outer_1_after,
        lead(outer_third, 2) over site_order as outer_2_after
    from lengths
    window site_order as (partition by site_code order by point)
),

signals as (
    select
        site_code,
        week_ending,
        total_days,
        mean,
        lower_limit,
        upper_limit,
        list_filter([
            case when total_days > upper_limit then 'above_upper_limit' end,
            case when total_days < lower_limit then 'below_lower_limit' end,
            case when side = 1 and run_length >= 7 then 'run_above_mean' end,
            case when side = -1 and run_length >= 7 then 'run_below_mean' end,
            case when (ends_trend_step and step = 1) or (coalesce(starts_trend_step, false) and next_step = 1)
                 then 'trend_up' end,
            case when (ends_trend_step and step = -1) or (coalesce(starts_trend_step, false) and next_step = -1)
                 then 'trend_down' end,
            case when outer_third != 0
                      and outer_third in (outer_2_before, outer_1_before, outer_1_after, outer_2_after)
                 then case outer_third when 1 then 'near_upper_limit' else 'near_lower_limit' end end
        ], lambda signal: signal is not null) as signal_list
    from flagged
)

select
    * exclude (signal_list),
    nullif(array_to_string(signal_list, ';'), '') as signal,
    len(list_filter(signal_list, lambda signal: signal in
        ('above_upper_limit', 'run_above_mean', 'trend_up', 'near_upper_limit'))) > 0 as concerning
from signals
