-- depends_on: int_site_month_returns, int_week_months, stg_weekly_returns
-- Home-LA delayed days and patients per site, month, responsible organisation and reason.
-- Days follow the month rule (a week's share of its seven days, as int_site_months); patients
-- are counted in the month of the week's ending date, and only where every return of the site's
-- month carried patients_delayed (blank otherwise, never zero). Summary-layout returns carry the
-- reason NOT_STATED: their days are never spread over reasons.
with shares as (
    select
        week_months.month,
        returns.site_code,
        returns.responsible_org,
        returns.reason_code,
        cast(returns.delayed_days * week_months.days_of_week / 7 as decimal(38, 10)) as delayed_days,
        case when strftime(returns.week_ending, '%Y-%m') = week_months.month then returns.patients_delayed end
            as patients_delayed
    from stg_weekly_returns as returns
    join int_week_months as week_months using (week_ending)
    where returns.la_code = getvariable('home_la')
)

select
    shares.month,
    shares.site_code,
    shares.responsible_org,
    shares.reason_code,
    sum(shares.delayed_days) as delayed_days,
    case when site_returns.every_return_has_patients then coalesce(sum(shares.patients_delayed), 0) end
        as patients_delayed
from shares
left join int_site_month_returns as site_returns using (month, site_code)
group by shares.month, shares.site_code, shares.responsible_org, shares.reason_code,
         site_returns.every_return_has_patients
