-- depends_on: int_providers, ref_bcf_trajectory
-- Each local provider's BCF plan for every month up to the month of as-of: the sum of its
-- trajectory rows for the home council, a plan for the calendar month's days_in_month days.
select
    month,
    provider_code,
    sum(planned_days) as planned_days,
    dayofmonth(last_day(strptime(month || '-01', '%Y-%m-%d'))) as days_in_month
from ref_bcf_trajectory
where
    la_code = getvariable('home_la')
    and provider_code in (select provider_code from int_providers)
    and month <= strftime(getvariable('as_of'), '%Y-%m')
group by month, provider_code
