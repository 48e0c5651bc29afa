-- Check columns read by the suite published_monthly_completeness: weeks_returned + weeks_missing
-- = weeks_due, no more weeks due than the month has, no more suspicious returns than returns, and
-- complete exactly when every week of the month has been returned.
select
    *,
    cast(weeks_returned + weeks_missing - weeks_due as double) as weeks_gap,
    weeks_in_month - weeks_due as weeks_not_yet_due,
    weeks_returned - suspicious_returns as returns_not_suspicious,
    case when (complete is distinct from (weeks_returned >= weeks_in_month)) then
        case when complete then 'true' else coalesce(cast(complete as varchar), 'blank') end
    end as complete_mismatch,
    nullif(concat_ws(', ',
        case when provider_code is null then 'provider_code' end,
        case when site_name is null then 'site_name' end,
        case when weeks_in_month is null then 'weeks_in_month' end,
        case when weeks_due is null then 'weeks_due' end,
        case when weeks_returned is null then 'weeks_returned' end,
        case when weeks_missing is null then 'weeks_missing' end,
        case when suspicious_returns is null then 'suspicious_returns' end,
        case when complete is null then 'complete' end), '') as blank_fields
from monthly_completeness
