-- Columns are aligned for reading: sqlfluff's single-space rule is off for this file.
-- noqa: disable=LT01
-- Times of day are TIMESTAMPTZ (instants). Warehouses made before they were (plain TIMESTAMP:
-- received_at in the machine's local time, processed_at in UTC) are converted in place when
-- opened (flows/warehouse.py, migrate_timestamps).
-- Raw tables: what the pipeline has received. Rows are only ever added, never updated or
-- deleted, so every earlier version of a resubmitted week stays here for the audit trail.
create table if not exists submission_files (
    file_id        integer primary key,   -- load order: a higher id is a later submission
    file_name      varchar not null,
    content_hash   varchar not null,      -- sha256 of the file's bytes; a file is processed once
    layout         varchar,               -- detail | summary (null when unreadable)
    received_at    timestamptz,           -- the file's modification time in the inbox (an instant, UTC)
    processed_at   timestamptz not null,  -- when this run recorded it (an instant, UTC)
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

-- Why a file was refused: one row per problem, as in its <file>.errors.csv.
create table if not exists file_problems (
    source       varchar not null,   -- weekly (submission_files) | national (national_files)
    file_id      integer not null,
    file_name    varchar not null,
    row_number   integer,
    column_name  varchar not null,
    value        varchar not null,
    problem      varchar not null
);

create table if not exists national_files (
    file_id           integer primary key,   -- load order: a later file re-publishes its months
    file_name         varchar not null,
    content_hash      varchar not null,
    received_at       timestamptz,           -- as in submission_files: instants, shown in UTC
    processed_at      timestamptz not null,
    status            varchar not null,      -- accepted | rejected
    header_line       integer,
    months            varchar,               -- the months the file carries, comma separated
    rows_loaded       integer not null,
    empty_cells       integer not null,      -- empty numeric cells, kept empty (never filled in)
    unknown_la_codes  varchar,               -- three-digit codes not in reference/local_authorities.csv
    problem_count     integer not null
);

create table if not exists national_rows (
    file_id               integer not null,
    row_number            integer not null,  -- line in the file as the analyst sees it
    month                 varchar not null,  -- YYYY-MM, from Year (financial) and Period Name
    financial_year        varchar not null,
    period_name           varchar not null,
    provider_parent_code  varchar,
    provider_parent_name  varchar,
    provider_code         varchar not null,
    provider_name         varchar,
    dh_la_code            varchar not null,  -- the three-digit code as published
    la_code               varchar,           -- ONS code; null when the reference does not know dh_la_code
    la_name               varchar,
    care_type             varchar not null,  -- acute | non-acute
    reason_code           varchar not null,
    a_sum_measure         varchar not null,  -- what the A SUM columns count in this financial year
    nhs_a_sum             decimal(38, 10),
    nhs_b_sum             decimal(38, 10),  -- B SUM columns are delayed days
    social_care_a_sum     decimal(38, 10),
    social_care_b_sum     decimal(38, 10),
    both_a_sum            decimal(38, 10),
    both_b_sum            decimal(38, 10)
);

-- Every alert ever raised. dedup_key makes an alert unique: one per event, council, provider or
-- site, and month or week (and breach episode), so a rerun can never raise it twice.
create table if not exists alert_log (
    alert_id          integer primary key,
    dedup_key         varchar not null unique,
    event             varchar not null,   -- trajectory.breach | trajectory.recovered | submission.missing | spc.signal
    la_code           varchar not null,
    provider_code     varchar,
    site_code         varchar,
    month             varchar,
    week_ending       date,
    as_of             date not null,      -- the run that raised it
    planned_days      decimal(38, 10),
    mtd_days          decimal(38, 10),
    mtd_planned_days  double,
    projected_days    double,
    text              varchar not null,
    delivery_state    varchar not null,   -- pending | delivered
    attempts          integer not null,
    delivered_at      timestamp,
    last_error        varchar
);

-- The latest as-of of a run that raised alerts: a run for an earlier date is a rerun of the past.
create table if not exists alert_runs (
    as_of      date not null,
    run_at     timestamp not null
);

-- trajectory_status as it stood at each run's as-of (weekly runs and every week of a backfill).
-- Snapshots are only ever added: a later run for the same as-of that sees different figures (a
-- late return) adds snapshot 2, 3, ... beside the earlier ones; an identical rerun adds nothing.
create table if not exists trajectory_snapshots (
    as_of             date not null,
    month             varchar not null,
    provider_code     varchar not null,
    planned_days      decimal(38, 10),
    mtd_days          decimal(38, 10),
    mtd_planned_days  double,
    projected_days    double,
    status            varchar not null,
    periods_to_date   bigint,
    periods_in_month  bigint
);
alter table trajectory_snapshots add column if not exists days_covered bigint;
alter table trajectory_snapshots add column if not exists days_in_month bigint;
alter table trajectory_snapshots add column if not exists snapshot integer default 1;

-- What each per-month published file was last written from (a digest of every figure and setting
-- it shows): a file whose inputs have not changed since is not written again.
create table if not exists published_fingerprints (
    output       varchar primary key,   -- the file's name under publish/
    fingerprint  varchar not null
);
