-- Check columns read by the suite published_spc_chart_sites: the drawn lower limit is the computed
-- one, no lower than zero; recent special causes are among all of them and concerning ones among
-- the recent; at most 40 sites are charted, each with its place on the page.
select
    *,
    cast(chart_lower_limit - greatest(lower_limit, 0) as double) as lower_limit_gap,
    special_causes - recent_special_causes as older_special_causes,
    recent_special_causes - recent_concerning as recent_not_concerning,
    count(*) filter (where charted) over () as charted_sites,
    case when charted <> (chart_order is not null) then 'mismatch' end as chart_order_mismatch
from spc_chart_sites
