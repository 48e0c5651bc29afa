-- Check columns read by the suite published_gap_waterfall: every bar is as long as its days, the
-- local count and the national figure stand on zero, and the last part of the gap ends at the
-- national figure (the waterfall closes) whenever the month has a local count.
with national as (
    select
        month,
        max(days) filter (where component = 'national') as national_days,
        max(days) filter (where component = 'local') as local_days
    from gap_waterfall
    group by month
)

select
    gap_waterfall.*,
    cast(gap_waterfall.bar_end - gap_waterfall.bar_start - gap_waterfall.days as double) as bar_gap,
    case when gap_waterfall.component in ('local', 'national') then cast(gap_waterfall.bar_start as double) end
        as start_gap,
    case when gap_waterfall.component = 'residual' and national.local_days is not null
         then cast(gap_waterfall.bar_end - national.national_days as double) end as closing_gap
from gap_waterfall
left join national using (month)
