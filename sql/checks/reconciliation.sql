-- Check columns read by the suite published_reconciliation:
-- out_of_area_days = national_provider_days - national_days; each Total row (per provider over
-- the organisations, per organisation over the providers) is the sum of its parts; the council's
-- own Total equals the month's loaded days; figures are blank only where the table says so
-- (local figures for OUT_OF_AREA, which the local collection does not hold, and for a month with
-- no local returns; national figures for a provider the month's national extract does not carry).
with local_returns as (
    select month, sum(delayed_days) as returned_days
    from int_local_org_days
    group by month
),

national_providers as (
    select distinct month, provider_code, true as in_national from int_national_org_days
    union all
    select distinct month, 'Total', true from int_national_org_days
),

with_parts as (
    select
        reconciliation.*,
        case when responsible_org = 'Total' and provider_code <> 'Total' then sum(local_days) filter (
            where responsible_org <> 'Total') over (partition by month, provider_code) end as org_parts_local,
        case when responsible_org = 'Total' and provider_code <> 'Total' then sum(national_days) filter (
            where responsible_org <> 'Total') over (partition by month, provider_code) end as org_parts_national,
        case when provider_code = 'Total' then sum(local_days) filter (
            where provider_code <> 'Total') over (partition by month, responsible_org) end as provider_parts_local,
        case when provider_code = 'Total' then sum(national_days) filter (
            where provider_code <> 'Total') over (partition by month, responsible_org) end as provider_parts_national
    from reconciliation
)

select
    with_parts.* exclude (org_parts_local, org_parts_national, provider_parts_local, provider_parts_national),
    nullif(concat_ws(', ',
        case when local_days is null and provider_code <> 'OUT_OF_AREA' and local_returns.month is not null
             then 'local_days' end,
        case when national_days is null and (in_national or provider_code = 'OUT_OF_AREA') then 'national_days' end,
        case when national_provider_days is null and provider_code <> 'OUT_OF_AREA' and in_national
             then 'national_provider_days' end),
        '') as blank_measures,
    cast(out_of_area_days - (national_provider_days - national_days) as double) as out_of_area_gap,
    cast(greatest(
        abs(coalesce(local_days, 0) - coalesce(org_parts_local, provider_parts_local, local_days, 0)),
        abs(coalesce(national_days, 0) - coalesce(org_parts_national, provider_parts_national, national_days, 0))
    ) as double) as total_gap,
    case when provider_code = 'Total' and responsible_org = 'Total'
         then cast(coalesce(local_days, 0) - coalesce(local_returns.returned_days, 0) as double) end
        as local_total_gap
from with_parts
left join local_returns using (month)
left join national_providers using (month, provider_code)
