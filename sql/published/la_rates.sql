-- depends_on: int_local_org_days, int_national_org_days, ref_bcf_trajectory, ref_national_rate_targets, ref_population_18plus
-- Delayed days per day per 100,000 residents aged 18+, for the council's own count, the
-- national figure and the BCF target, by responsibility, beside the national rate targets.
with local_days as (
    select month, responsible_org, sum(delayed_days) as delayed_days
    from int_local_org_days
    group by all
),

national_days as (
    select month, responsible_org, sum(delayed_days) as delayed_days
    from int_national_org_days
    where la_code = getvariable('home_la')
    group by all
),

target_days as (
    select month, responsible_org, sum(planned_days) as delayed_days
    from ref_bcf_trajectory
    where la_code = getvariable('home_la')
      and month <= strftime(getvariable('as_of'), '%Y-%m')
    group by all
),

by_org as (
    select 'local' as source, * from local_days
    union all
    select 'national', * from national_days
    union all
    select 'bcf_target', * from target_days
),

by_measure as (
    select
        month,
        source,
        case responsible_org when 'NHS' then 'nhs' when 'Social Care' then 'social_care' else 'both' end as measure,
        delayed_days
    from by_org
    union all
    select month, source, 'all', sum(delayed_days) from by_org group by month, source
),

with_population as (
    select
        by_measure.*,
        getvariable('home_la') as la_code,
        cast(strftime(last_day(strptime(by_measure.month || '-01', '%Y-%m-%d')), '%d') as integer) as days_in_month,
        cast(left(by_measure.month, 4) as integer) as year
    from by_measure
)

select
    with_population.month,
    with_population.la_code,
    with_population.source,
    with_population.measure,
    with_population.delayed_days,
    with_population.days_in_month,
    population.population as population_18plus,
    with_population.delayed_days / with_population.days_in_month / population.population * 100000
        as rate_per_100k_per_day,
    targets.target_per_100k_per_day as national_target_per_100k_per_day
from with_population
-- the latest population estimate for the month's year or before
asof left join ref_population_18plus as population
    on population.la_code = with_population.la_code and with_population.year >= population.year
left join ref_national_rate_targets as targets on targets.measure = with_population.measure
