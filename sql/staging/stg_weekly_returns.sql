-- depends_on: stg_loaded_returns
-- The current version of every site-week up to the run's as-of date.
select * exclude (latest_file_id)
from stg_loaded_returns
where file_id = latest_file_id
  and week_ending <= getvariable('as_of')
