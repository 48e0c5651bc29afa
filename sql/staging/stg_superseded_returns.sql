-- depends_on: stg_loaded_returns
-- Audit trail: rows replaced by a later resubmission of the same site-week.
select * exclude (latest_file_id), latest_file_id as superseded_by_file_id
from stg_loaded_returns
where file_id < latest_file_id
