-- Check columns read by the suite published_gap_decomposition: each month has its four
-- components and local + national_only + residual = national.
select
    *,
    count(*) over month_la as components,
    cast(sum(days) filter (where component in ('local', 'national_only', 'residual')) over month_la
         - sum(days) filter (where component = 'national') over month_la as double) as decomposition_gap
from gap_decomposition
window month_la as (partition by month, la_code)
