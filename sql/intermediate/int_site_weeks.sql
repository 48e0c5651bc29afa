-- depends_on: stg_weekly_returns
-- One row per submitted site-week with the home council's residents' days by responsible
-- organisation. A site-week whose return holds only other councils' residents (or zero rows
-- of delays) still appears, with zeros: the site did report.
with submitted_site_weeks as (
    select distinct site_code, week_ending
    from stg_weekly_returns
),

home_la_days as (
    select
        site_code,
        week_ending,
        sum(delayed_days) filter (where responsible_org = 'NHS') as nhs_days,
        sum(delayed_days) filter (where responsible_org = 'Social Care') as social_care_days,
        sum(delayed_days) filter (where responsible_org = 'Both') as both_days
    from stg_weekly_returns
    where la_code = getvariable('home_la')
    group by site_code, week_ending
)

select
    submitted_site_weeks.site_code,
    submitted_site_weeks.week_ending,
    coalesce(home_la_days.nhs_days, 0) as nhs_days,
    coalesce(home_la_days.social_care_days, 0) as social_care_days,
    coalesce(home_la_days.both_days, 0) as both_days
from submitted_site_weeks
left join home_la_days using (site_code, week_ending)
