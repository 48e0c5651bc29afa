-- Check columns read by the suite published_monthly_site_people: each organisation's days (and
-- the Total) are the site's days in monthly_site_summary; the Total row's days and people are the
-- sum of the NHS, Social Care and Both rows (people only where every row has them);
-- wholly_attributable_to names a side exactly when all the site's days that month were that side's.
with summary_days as (
    unpivot (select month, site_code, nhs_days, social_care_days, both_days, total_days from monthly_site_summary)
    on nhs_days as 'NHS', social_care_days as 'Social Care', both_days as 'Both', total_days as 'Total'
    into name responsible_org value summary_days
),

site_months as (
    select
        *,
        max(delayed_days) filter (where responsible_org = 'Total') over site_month as site_total_days,
        max(delayed_days) filter (where responsible_org = 'NHS') over site_month as site_nhs_days,
        max(delayed_days) filter (where responsible_org = 'Social Care') over site_month as site_social_care_days,
        sum(delayed_days) filter (where responsible_org <> 'Total') over site_month as org_parts_days,
        case when count(*) filter (where responsible_org <> 'Total' and patients_delayed is null) over site_month = 0
             then sum(patients_delayed) filter (where responsible_org <> 'Total') over site_month
        end as org_parts_patients
    from monthly_site_people
    window site_month as (partition by month, site_code)
)

select
    site_months.* exclude (site_nhs_days, site_social_care_days, org_parts_days, org_parts_patients),
    cast(summary_days.summary_days as double) as summary_days,
    cast(site_months.delayed_days - coalesce(summary_days.summary_days, 0) as double) as summary_gap,
    case when site_months.responsible_org = 'Total'
         then cast(site_months.delayed_days - site_months.org_parts_days as double) end as total_gap,
    case when site_months.responsible_org = 'Total'
              and (site_months.patients_delayed is distinct from site_months.org_parts_patients)
         then coalesce(cast(site_months.org_parts_patients as varchar), 'blank') end as patients_expected,
    case when site_months.wholly_attributable_to is not null and site_months.wholly_attributable_to not in ('NHS', 'Social Care')
             then null  -- reported by the value-set rule
         when site_months.wholly_attributable_to = 'NHS'
              and not (site_months.site_total_days > 0 and site_months.site_nhs_days = site_months.site_total_days)
             then 'it says NHS, but not every delayed day was an NHS delay'
         when site_months.wholly_attributable_to = 'Social Care'
              and not (site_months.site_total_days > 0 and site_months.site_social_care_days = site_months.site_total_days)
             then 'it says Social Care, but not every delayed day was a social care delay'
         when site_months.wholly_attributable_to is null and site_months.site_total_days > 0
              and site_months.site_nhs_days = site_months.site_total_days
             then 'every delayed day was an NHS delay, but it is blank'
         when site_months.wholly_attributable_to is null and site_months.site_total_days > 0
              and site_months.site_social_care_days = site_months.site_total_days
             then 'every delayed day was a social care delay, but it is blank'
    end as wholly_problem
from site_months
left join summary_days using (month, site_code, responsible_org)
