-- depends_on: alert_log
-- Every alert raised, with its delivery state (alerts.csv).
select
    as_of as raised_as_of,
    event,
    la_code,
    provider_code,
    site_code,
    month,
    week_ending,
    planned_days,
    mtd_days,
    mtd_planned_days,
    projected_days,
    text,
    delivery_state,
    attempts,
    delivered_at,
    last_error,
    dedup_key
from alert_log
