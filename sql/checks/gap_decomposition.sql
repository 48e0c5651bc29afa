-- Check columns read by the suite published_gap_decomposition: each month has its four
-- components and local + national_only + residual = national. Days are blank only for local and
-- residual in a month without local returns (then there is no decomposition to check).
with local_months as (
    select distinct month, true as has_local_returns from int_local_org_days
)

select
    gap_decomposition.*,
    count(*) over month_la as components,
    case when days is null
          and not (component in ('local', 'residual') and has_local_returns is null) then component end
        as blank_component,
    case when count(days) over month_la = 4 then
        cast(sum(days) filter (where component in ('local', 'national_only', 'residual')) over month_la
             - sum(days) filter (where component = 'national') over month_la as double) end as decomposition_gap
from gap_decomposition
left join local_months using (month)
window month_la as (partition by month, la_code)
