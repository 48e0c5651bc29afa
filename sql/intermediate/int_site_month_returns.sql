-- depends_on: stg_weekly_returns
-- The returns each site sent for the weeks ending in a month (a return is one site-week; the month
-- is its week-ending month under either month rule), and whether every one of them carried
-- patients_delayed (optional in the detail layout, absent from the summary layout).
with site_weeks as (
    select site_code, week_ending, bool_and(patients_delayed is not null) as has_patients
    from stg_weekly_returns
    group by site_code, week_ending
)

select
    strftime(week_ending, '%Y-%m') as month,
    site_code,
    count(*) as weeks_returned,
    bool_and(has_patients) as every_return_has_patients
from site_weeks
group by month, site_code
