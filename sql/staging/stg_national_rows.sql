-- depends_on: national_files, national_rows
-- The current national figures: for each month, the rows of the latest file that carries it
-- (a re-published month replaces the earlier publication, which stays in national_rows).
with ranked as (
    select
        national_rows.*,
        max(national_rows.file_id) over (partition by national_rows.month) as latest_file_id
    from national_rows
    join national_files using (file_id)
    where national_files.status = 'accepted'
)

select * exclude (latest_file_id)
from ranked
where file_id = latest_file_id
  and month <= strftime(getvariable('as_of'), '%Y-%m')
