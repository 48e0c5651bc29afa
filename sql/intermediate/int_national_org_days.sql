-- depends_on: stg_national_rows
-- materialized: table (read by every month's reconciliation, rates and report; built once per run)
-- National delayed days (the B SUM columns) by month, provider, patient's council and
-- responsible organisation, summed over reasons and care types. Empty cells stay out of the
-- sums; they are counted per file. A provider named two ways in a group is given the first name
-- in sort order, whatever order its rows were stored in.
with by_org as (
    unpivot (
        select month, provider_code, provider_name, la_code, dh_la_code, nhs_b_sum, social_care_b_sum, both_b_sum
        from stg_national_rows
    )
    on nhs_b_sum as 'NHS', social_care_b_sum as 'Social Care', both_b_sum as 'Both'
    into name responsible_org value delayed_days
)

select month, provider_code, min(provider_name) as provider_name, la_code, dh_la_code, responsible_org,
       sum(delayed_days) as delayed_days
from by_org
group by month, provider_code, la_code, dh_la_code, responsible_org
