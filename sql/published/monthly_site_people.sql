-- depends_on: int_site_month_reasons, int_site_month_returns, int_site_months, ref_sites
-- Delayed days and people (patients_delayed summed over the month's returns) per site, month and
-- responsible organisation, with a Total row. patients_delayed is blank, not zero, where any
-- return of the site's month did not carry it. wholly_attributable_to names the side (NHS or
-- Social Care) when every one of the site's delayed days that month was that side's alone.
with orgs as (
    select * from (values ('NHS', 1), ('Social Care', 2), ('Both', 3)) as orgs (responsible_org, position)
),

grid as (
    select site_months.month, site_months.site_code, orgs.responsible_org,
           site_months.nhs_days, site_months.social_care_days, site_months.both_days, site_months.total_days
    from int_site_months as site_months, orgs
),

by_org as (
    select
        grid.month,
        grid.site_code,
        grid.responsible_org,
        case grid.responsible_org when 'NHS' then grid.nhs_days when 'Social Care' then grid.social_care_days
             else grid.both_days end as delayed_days,
        case when site_returns.every_return_has_patients
             then coalesce(sum(reasons.patients_delayed), 0) end as patients_delayed,
        case when grid.total_days > 0 and grid.total_days = grid.nhs_days then 'NHS'
             when grid.total_days > 0 and grid.total_days = grid.social_care_days then 'Social Care'
        end as wholly_attributable_to
    from grid
    left join int_site_month_reasons as reasons using (month, site_code, responsible_org)
    left join int_site_month_returns as site_returns using (month, site_code)
    group by grid.month, grid.site_code, grid.responsible_org, grid.nhs_days, grid.social_care_days,
             grid.both_days, grid.total_days, site_returns.every_return_has_patients
),

with_total as (
    select * from by_org
    union all
    select
        month, site_code, 'Total', sum(delayed_days),
        case when count(*) = count(patients_delayed) then sum(patients_delayed) end,
        any_value(wholly_attributable_to)
    from by_org
    group by month, site_code
)

select
    with_total.month,
    sites.provider_code,
    with_total.site_code,
    sites.site_name,
    with_total.responsible_org,
    with_total.delayed_days,
    with_total.patients_delayed,
    with_total.wholly_attributable_to
from with_total
join ref_sites as sites using (site_code)
