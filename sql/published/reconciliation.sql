-- depends_on: int_local_org_days, int_national_org_days, int_providers, ref_bcf_trajectory, ref_sites
-- published: per month (publish/reconciliation_<month>.csv for each month with national data)
-- materialized: table (each month's CSV, report and artifact reads it; built once per run)
-- Local versus national versus BCF target, for every month with national data: one row per
-- local provider x responsible organisation, OUT_OF_AREA for the council's residents delayed at
-- providers outside the local collection ("Out of Area (NHS data only)"), and Total rows.
-- Blank, never 0, where there is nothing to count: local figures for a month with no local
-- returns at all (and for OUT_OF_AREA), national figures for a local provider that the month's
-- national extract does not carry (the run summary names it: a wrong provider code would
-- otherwise show national 0 and move the trust's days into OUT_OF_AREA).
with national_months as (
    select distinct month from int_national_org_days
),

providers as (
    select provider_code, provider_name from int_providers
    union all
    select 'OUT_OF_AREA', 'Out of area (national data only)'
),

grid as (
    select national_months.month, providers.provider_code, providers.provider_name, orgs.responsible_org
    from national_months
    cross join providers
    cross join (values ('NHS'), ('Social Care'), ('Both')) as orgs (responsible_org)
),

local_days as (
    select local_org_days.month, sites.provider_code, local_org_days.responsible_org,
           sum(local_org_days.delayed_days) as local_days
    from int_local_org_days as local_org_days
    join ref_sites as sites using (site_code)
    group by all
),

national_home_la as (
    select
        month,
        case when provider_code in (select provider_code from int_providers)
             then provider_code else 'OUT_OF_AREA' end as provider_code,
        responsible_org,
        sum(delayed_days) as national_days
    from int_national_org_days
    where la_code = getvariable('home_la')
    group by all
),

national_all_residents as (
    select month, provider_code, responsible_org, sum(delayed_days) as national_provider_days
    from int_national_org_days
    where provider_code in (select provider_code from int_providers)
    group by all
),

targets as (
    select month, provider_code, responsible_org, sum(planned_days) as bcf_target_days
    from ref_bcf_trajectory
    where la_code = getvariable('home_la')
    group by all
),

months_with_local as (
    select distinct month from int_local_org_days
),

providers_in_national as (
    select distinct month, provider_code from int_national_org_days
),

months_with_targets as (
    select distinct month from targets
),

provider_org_rows as (
    select
        grid.*,
        -- the local collection has no figure for providers outside it: blank, as in the council's table
        case when grid.provider_code = 'OUT_OF_AREA' or months_with_local.month is null then null
             else coalesce(local_days.local_days, 0) end as local_days,
        case when grid.provider_code <> 'OUT_OF_AREA' and providers_in_national.provider_code is null then null
             else coalesce(national_home_la.national_days, 0) end as national_days,
        case when grid.provider_code = 'OUT_OF_AREA' or providers_in_national.provider_code is null then null
             else coalesce(national_all_residents.national_provider_days, 0) end as national_provider_days,
        case when months_with_targets.month is null then null else coalesce(targets.bcf_target_days, 0) end
            as bcf_target_days
    from grid
    left join local_days using (month, provider_code, responsible_org)
    left join national_home_la using (month, provider_code, responsible_org)
    left join national_all_residents using (month, provider_code, responsible_org)
    left join targets using (month, provider_code, responsible_org)
    left join months_with_targets using (month)
    left join months_with_local using (month)
    left join providers_in_national using (month, provider_code)
),

with_totals as (
    select
        month,
        coalesce(provider_code, 'Total') as provider_code,
        case when provider_code is null then 'Total' else min(provider_name) end as provider_name,
        coalesce(responsible_org, 'Total') as responsible_org,
        sum(local_days) as local_days,
        sum(national_days) as national_days,
        sum(national_provider_days) as national_provider_days,
        sum(bcf_target_days) as bcf_target_days
    from provider_org_rows
    group by grouping sets ((month, provider_code, responsible_org), (month, provider_code), (month, responsible_org), (month))
)

select
    month,
    getvariable('home_la') as la_code,
    provider_code,
    provider_name,
    responsible_org,
    local_days,
    national_days,
    national_provider_days,
    national_provider_days - national_days as out_of_area_days,
    bcf_target_days,
    case when month in (select month from months_with_local) then coalesce(local_days, 0) - bcf_target_days end
        as local_minus_target,
    national_days - bcf_target_days as national_minus_target,
    case when month in (select month from months_with_local) then national_days - coalesce(local_days, 0) end
        as national_minus_local
from with_totals
