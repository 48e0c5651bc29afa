-- depends_on: int_site_months, ref_sites
-- Home-LA delayed days per site and month (month_rule decides which weeks count where).
select
    site_months.month,
    site_months.site_code,
    sites.site_name,
    sites.provider_code,
    site_months.nhs_days,
    site_months.social_care_days,
    site_months.both_days,
    site_months.att_nhs_days,
    site_months.att_social_care_days,
    site_months.total_days,
    pct_of_total(site_months.att_social_care_days, site_months.total_days) as pct_att_social_care
from int_site_months as site_months
join ref_sites as sites using (site_code)
