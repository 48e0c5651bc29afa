-- depends_on: reconciliation
-- published: per month (publish/gap_decomposition_<month>.csv for each month with national data)
-- Why the national figure differs from the council's own count, month by month:
-- local + national_only (the council's residents at providers outside the local collection)
-- + residual (national validation amendments and week-versus-calendar timing) = national.
with la_totals as (
    select
        month,
        la_code,
        max(local_days) filter (where provider_code = 'Total') as local_days,
        max(national_days) filter (where provider_code = 'OUT_OF_AREA') as national_only_days,
        max(national_days) filter (where provider_code = 'Total') as national_days
    from reconciliation
    where responsible_org = 'Total'
    group by month, la_code
)

select month, la_code, component, days
from la_totals,
    lateral (values
        ('local', local_days),
        ('national_only', national_only_days),
        ('residual', national_days - local_days - national_only_days),
        ('national', national_days)
    ) as components (component, days)
