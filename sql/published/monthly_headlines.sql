-- depends_on: int_site_months, kpi_monthly, monthly_completeness, ref_bcf_trajectory, suspicious_returns
-- One row per month with local data: the council's headline figures, as the monthly commentary
-- states them. The BCF target is the month's trajectory for the council (all providers);
-- days_against_target = total_days - bcf_target_days (negative: under the target), target_met
-- when total_days <= bcf_target_days; change_total_days = total_days - previous_total_days.
-- returns_expected: every site's weeks of the month; returns_due: those ended by as-of. complete:
-- every site returned every week of the month; otherwise the figures are "with the data available".
with council as (
    select
        month,
        sum(nhs_days) as nhs_days,
        sum(social_care_days) as social_care_days,
        sum(both_days) as both_days,
        sum(att_nhs_days) as att_nhs_days,
        sum(att_social_care_days) as att_social_care_days,
        sum(total_days) as total_days
    from int_site_months
    group by month
),

targets as (
    select month, sum(planned_days) as bcf_target_days
    from ref_bcf_trajectory
    where la_code = getvariable('home_la')
    group by month
),

coverage as (
    select
        month,
        count(*) as sites,
        count(*) filter (where complete) as sites_complete,
        sum(weeks_in_month) as returns_expected,
        sum(weeks_due) as returns_due,
        sum(weeks_returned) as returns_received,
        sum(suspicious_returns) as suspicious_returns
    from monthly_completeness
    group by month
),

with_previous as (
    select
        council.*,
        lag(council.total_days) over (order by council.month) as lag_total_days,
        lag(council.month) over (order by council.month) as lag_month,
        strftime(strptime(council.month || '-01', '%Y-%m-%d') - interval 1 month, '%Y-%m') as previous_month
    from council
)

select
    with_previous.month,
    getvariable('home_la') as la_code,
    with_previous.nhs_days,
    with_previous.social_care_days,
    with_previous.both_days,
    with_previous.att_nhs_days,
    with_previous.att_social_care_days,
    with_previous.total_days,
    kpi.pct_att_social_care,
    kpi.target_pct,
    kpi.rag,
    targets.bcf_target_days,
    with_previous.total_days - targets.bcf_target_days as days_against_target,
    with_previous.total_days <= targets.bcf_target_days as target_met,
    with_previous.previous_month,
    case when with_previous.lag_month = with_previous.previous_month then with_previous.lag_total_days end
        as previous_total_days,
    case when with_previous.lag_month = with_previous.previous_month
         then with_previous.total_days - with_previous.lag_total_days end as change_total_days,
    coverage.sites,
    coverage.sites_complete,
    coverage.returns_expected,
    coverage.returns_due,
    coverage.returns_received,
    coverage.suspicious_returns,
    coverage.sites_complete = coverage.sites as complete,
    case when coverage.sites_complete = coverage.sites then 'complete' else 'with the data available' end
        as coverage
from with_previous
left join kpi_monthly as kpi using (month)
left join targets using (month)
left join coverage using (month)
