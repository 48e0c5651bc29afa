-- depends_on: int_site_months, ref_sites
-- Home-LA delayed days per provider (trust) and month: the "locally collected figures" of the
-- council's local-versus-BCF table.
with provider_months as (
    select
        site_months.month,
        sites.provider_code,
        sites.provider_name,
        sum(site_months.nhs_days) as nhs_days,
        sum(site_months.social_care_days) as social_care_days,
        sum(site_months.both_days) as both_days,
        sum(site_months.att_nhs_days) as att_nhs_days,
        sum(site_months.att_social_care_days) as att_social_care_days,
        sum(site_months.total_days) as total_days
    from int_site_months as site_months
    join ref_sites as sites using (site_code)
    group by site_months.month, sites.provider_code, sites.provider_name
)

select
    provider_months.*,
    pct_of_total(att_social_care_days, total_days) as pct_att_social_care
from provider_months
