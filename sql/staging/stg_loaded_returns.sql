-- depends_on: submission_files, weekly_return_rows
-- Every accepted row ever loaded, with the latest file that carries its site-week: a
-- resubmission (a later file with the same site_code and week_ending) supersedes all earlier
-- rows for that key, which stay here for the audit trail.
select
    rows.*,
    files.file_name,
    files.received_at,
    max(rows.file_id) over (partition by rows.site_code, rows.week_ending) as latest_file_id
from weekly_return_rows as rows
join submission_files as files using (file_id)
where files.status = 'accepted'
