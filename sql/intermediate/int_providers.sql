-- depends_on: ref_sites
-- One row per local provider (trust) in sites.csv, with its name.
select
    provider_code,
    min(provider_name) as provider_name
from ref_sites
group by provider_code
