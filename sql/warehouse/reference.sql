-- Reference files from the workspace, reloaded every run so edits to them take effect. Each
-- <name>_csv relation is the file read as text from its exact path (flows/reference_checks.py:
-- DuckDB's read_csv would expand [, * and ? in a workspace path and read another folder's files).
create or replace table ref_sites as
select
    trim(site_code) as site_code,
    trim(site_name) as site_name,
    trim(provider_code) as provider_code,
    trim(provider_name) as provider_name,
    trim(care_type) as care_type,
    cast(beds as integer) as beds,
    -- optional column: the site sends no returns from this date (ISO or DD/MM/YYYY; blank = open)
    coalesce(try_strptime(nullif(trim(to_json(sites) ->> 'closed_from'), ''), '%Y-%m-%d'),
             strptime(nullif(trim(to_json(sites) ->> 'closed_from'), ''), '%d/%m/%Y'))::date as closed_from
from sites_csv as sites;

create or replace table ref_local_authorities as
select trim(la_code) as la_code, trim(dh_code) as dh_code, trim(la_name) as la_name
from local_authorities_csv;

create or replace table ref_population_18plus as
select trim(la_code) as la_code, cast(year as integer) as year, cast(population as double) as population
from population_18plus_csv;

create or replace table ref_national_rate_targets as
select trim(measure) as measure, cast(target_per_100k_per_day as double) as target_per_100k_per_day
from national_rate_targets_csv;
