-- depends_on: int_site_months
-- The council's own count by month, site and responsible organisation (home-LA residents).
unpivot (select month, site_code, nhs_days, social_care_days, both_days from int_site_months)
on nhs_days as 'NHS', social_care_days as 'Social Care', both_days as 'Both'
into name responsible_org value delayed_days
