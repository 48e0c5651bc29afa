-- depends_on: gap_decomposition
-- The dashboard's waterfall of gap_decomposition, every month: the local count and the national
-- figure stand on zero; each part of the gap between them (national_only, residual) starts where
-- the parts before it ended. A month without local returns has no local bar (blank days and bars).
with placed as (
    select
        month,
        component,
        gap_component_rank(component) as step,
        days,
        coalesce(sum(days) filter (where component <> 'national') over (
            partition by month order by gap_component_rank(component)
            rows between unbounded preceding and 1 preceding
        ), 0) as running_days
    from gap_decomposition
)

select
    month,
    step,
    component,
    days,
    case when days is null then null when component in ('local', 'national') then 0 else running_days end
        as bar_start,
    case when days is null then null when component in ('local', 'national') then days else running_days + days end
        as bar_end
from placed
