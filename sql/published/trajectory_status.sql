-- depends_on: int_provider_plans, int_provider_weeks
-- Each local provider against its BCF trajectory, every month up to the run's as-of. A month's
-- planned_days (the sum of the provider's trajectory rows) is a plan for the calendar month's
-- days_in_month (D) days. days_covered counts the days of data so far: 7 for each of the month's
-- weeks reported so far under month_rule = week_ending, the calendar days those weeks cover
-- under calendar. A week counts only when every open site of the provider has sent it
-- (int_provider_weeks); while any week of the month ended by as-of is still missing a return the
-- status is `incomplete` (shown, never an alert). Otherwise:
--   mtd_planned_days = planned_days * days_covered / D
--   projected_days   = mtd_days / days_covered * D
--   status = breach when projected_days > planned_days * (1 + alert_tolerance), else on_track.
-- periods_to_date / periods_in_month: weeks counted / weeks in the month (days under calendar).
with plans as (
    select * from int_provider_plans
),

weeks_in_month as (
    select plans.month, count(*) as weeks_in_month
    from (select distinct month from plans) as plans,
        generate_series(strptime(plans.month || '-01', '%Y-%m-%d'),
                        last_day(strptime(plans.month || '-01', '%Y-%m-%d')), interval 1 day) as days (day)
    where lower(dayname(days.day)) = getvariable('week_ending_weekday')
    group by plans.month
),

covered as (
    select
        month,
        provider_code,
        count(*) filter (where complete) as weeks_counted,
        coalesce(sum(days_of_week) filter (where complete), 0) as days_covered,
        coalesce(sum(total_days) filter (where complete), 0) as mtd_days,
        bool_or(not complete) as incomplete
    from int_provider_weeks
    group by month, provider_code
),

status as (
    select
        plans.month,
        plans.provider_code,
        plans.planned_days,
        coalesce(covered.mtd_days, 0) as mtd_days,
        (plans.planned_days * coalesce(covered.days_covered, 0) / plans.days_in_month)::double as mtd_planned_days,
        case when covered.days_covered > 0
             then (covered.mtd_days / covered.days_covered * plans.days_in_month)::double
        end as projected_days,
        coalesce(covered.incomplete, false) as incomplete,
        case getvariable('month_rule') when 'calendar' then coalesce(covered.days_covered, 0)
                                       else coalesce(covered.weeks_counted, 0) end as periods_to_date,
        case getvariable('month_rule') when 'calendar' then plans.days_in_month
                                       else weeks_in_month.weeks_in_month end as periods_in_month,
        coalesce(covered.days_covered, 0) as days_covered,
        plans.days_in_month
    from plans
    join weeks_in_month using (month)
    left join covered using (month, provider_code)
)

select
    getvariable('as_of') as as_of,
    month,
    provider_code,
    planned_days,
    mtd_days,
    mtd_planned_days,
    projected_days,
    case when incomplete then 'incomplete'
         when projected_days > planned_days * (1 + getvariable('alert_tolerance')) then 'breach'
         else 'on_track' end as status,
    periods_to_date::bigint as periods_to_date,
    periods_in_month::bigint as periods_in_month,
    days_covered::bigint as days_covered,
    days_in_month::bigint as days_in_month
from status
