-- Check columns read by the suite published_suspicious_returns: each finding holds on the figures
-- shown (all_zero: no delayed days after a twelve-week average of 7 or more; far_outside_limits:
-- beyond a limit by more than half the distance from the mean to it), the month is the week's,
-- and lower_limit <= mean <= upper_limit.
select
    *,
    case "check"
        when 'all_zero' then coalesce(total_days = 0 and avg_previous_12wk_total_days >= 7, false)
        when 'far_outside_limits' then coalesce(total_days > upper_limit + (upper_limit - mean) / 2
                                                or total_days < lower_limit - (mean - lower_limit) / 2, false)
    end as finding_holds,
    strftime(week_ending, '%Y-%m') as week_month,
    case when not (lower_limit <= mean and mean <= upper_limit) then 'out of order' end as limits_order,
    nullif(concat_ws(', ',
        case when provider_code is null then 'provider_code' end,
        case when site_name is null then 'site_name' end,
        case when total_days is null then 'total_days' end,
        case when mean is null then 'mean' end,
        case when lower_limit is null then 'lower_limit' end,
        case when upper_limit is null then 'upper_limit' end), '') as blank_fields
from suspicious_returns
