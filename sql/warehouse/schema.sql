-- Raw tables: what the pipeline has received. Rows are only ever added, never updated or
-- deleted, so every earlier version of a resubmitted week stays here for the audit trail.
create table if not exists submission_files (
    file_id        integer primary key,   -- load order: a higher id is a later submission
    file_name      varchar not null,
    content_hash   varchar not null,      -- sha256 of the file's bytes; a file is processed once
    layout         varchar,               -- detail | summary (null when unreadable)
    received_at    timestamp,             -- the file's modification time in the inbox
    processed_at   timestamp not null,
    status         varchar not null,      -- accepted | rejected
    rows_loaded    integer not null,
    problem_count  integer not null,
    run_as_of      date not null
);

create table if not exists weekly_return_rows (
    file_id           integer not null,
    row_number        integer not null,   -- row in the file as the analyst sees it (header = 1)
    site_code         varchar not null,
    week_ending       date not null,
    la_code           varchar not null,
    care_type         varchar not null,
    responsible_org   varchar not null,   -- NHS | Social Care | Both
    reason_code       varchar not null,   -- A .. O, or NOT_STATED for the summary layout
    delayed_days      integer not null,
    patients_delayed  integer
);

create table if not exists validation_problems (
    file_id      integer not null,
    file_name    varchar not null,
    row_number   integer,
    column_name  varchar not null,
    value        varchar not null,
    problem      varchar not null
);
