-- Check columns read by the suite published_la_rates: for each month and source, the `all` row's
-- days are the sum of the nhs, social_care and both rows.
select
    *,
    case when measure = 'all' then cast(
        delayed_days - sum(delayed_days) filter (where measure <> 'all') over (partition by month, source)
        as double) end as parts_gap
from la_rates
