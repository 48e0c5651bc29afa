"""The DuckDB warehouse: one writer at a time, one transaction per file, models from `sql/`.

Models follow dbt's layout: every view is one file under `sql/staging`, `sql/intermediate`,
`sql/published` or `sql/alerting`, named for what it holds and written as a plain SELECT. Each file
declares what it reads (`-- depends_on:`); flows/models.py checks the declarations and gives the
build order and the published set.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from flows.models import (  # the graph's names stay importable from here
    MODEL_LAYERS,  # noqa: F401
    SQL_ROOT,
    ModelGraphError,  # noqa: F401
    model_build_order,  # noqa: F401
    model_graph,
    monthly_tables,
    published_tables,
)
from flows.reference_checks import read_reference_csv, register_reference_frames
from flows.sitrep import CheckedNationalFile
from flows.validate import CheckedSubmission, Problem
from flows.workspace import Settings, default_workdir, environment

# Every file in sql/published is published under its own name (no list to keep here): one file each,
# or one per month for those whose header says `-- published: per month`.
PUBLISHED_TABLES = published_tables()
MONTHLY_TABLES = monthly_tables()


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse for longer than this run is willing to wait."""


class WarehousePathUnsupported(RuntimeError):
    """The workspace's path holds a character DuckDB cannot keep a database under."""


def check_workspace_path(workdir: str | os.PathLike | None) -> None:
    """Refuse a workspace (None: the default one) DuckDB could never commit its warehouse in, before a command
    creates, reads or writes anything.

    DuckDB names a database's write-ahead log (and, from 2.0.1, its checkpoint's files) by inserting ".wal" before
    the first "?" of its path: in a folder "a?b" that is "a.wal?b/warehouse.duckdb", which does not exist. Every
    other character is fine (`[`, `*`, `#`, `%`, spaces, quotes).
    """
    resolved = Path(workdir or default_workdir()).resolve()
    if "?" in str(resolved):
        folder = next(part for part in reversed([resolved, *resolved.parents]) if "?" in part.name)
        raise WarehousePathUnsupported(
            f"the workspace {resolved} cannot keep its warehouse: DuckDB cannot write a database whose path "
            f"contains '?' (the folder {folder}). Nothing was changed: rename that folder (or move the workspace) "
            "to a path without '?' and run again."
        )


@contextlib.contextmanager
def open_warehouse(path: Path, wait_seconds: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """Hold the workspace's run lock, then open the warehouse; a second run waits, then stops clearly."""
    check_workspace_path(path.parent)
    lock_path = path.with_suffix(".lock")
    with open(lock_path, "a+") as lock:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    lock.seek(0)
                    holder = lock.read().strip() or "another process"
                    raise WarehouseBusy(
                        f"the warehouse {path} is in use by another dtoc run ({holder}); waited "
                        f"{wait_seconds:g} s. Nothing was changed: run again when it has finished."
                    ) from None
                time.sleep(0.2)
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n")
        lock.flush()
        con = duckdb.connect(str(path), config={"memory_limit": environment("DTOC_DUCKDB_MEMORY_LIMIT")})
        try:
            con.execute("set TimeZone = 'UTC'")  # instants are shown and written in UTC whatever the machine's zone
            migrate_timestamps(con)
            con.execute(_sql_text(SQL_ROOT / "warehouse" / "schema.sql"))
            yield con
        finally:
            with contextlib.suppress(duckdb.Error):
                _unstage(con)  # what an interrupted load staged
            con.close()
            lock.seek(0)
            lock.truncate()
            fcntl.flock(lock, fcntl.LOCK_UN)


# Columns that an earlier version stored as plain TIMESTAMP, and the zone their values were written in.
ZONED_COLUMNS = {
    ("submission_files", "received_at"): "local",
    ("submission_files", "processed_at"): "UTC",
    ("national_files", "received_at"): "local",
    ("national_files", "processed_at"): "UTC",
}


def migrate_timestamps(con: duckdb.DuckDBPyConnection) -> None:
    """Convert an older warehouse's zoneless file times to TIMESTAMPTZ, in place, in one transaction.

    received_at was the file's modification time in the local time of the machine that ran the
    pipeline (taken to be this machine's zone); processed_at was UTC.
    """
    plain = [
        (table, column, zone)
        for (table, column), zone in ZONED_COLUMNS.items()
        if con.execute(
            "select data_type from information_schema.columns where table_schema = 'main' "
            "and table_name = ? and column_name = ?",
            [table, column],
        ).fetchone()
        in (("TIMESTAMP",), ("TIMESTAMP WITHOUT TIME ZONE",))
    ]
    if not plain:
        return
    with transaction(con):
        for table, column, zone in plain:
            con.execute(f"alter table {table} alter {column} type timestamptz using {_as_instant(column, zone)}")


def _as_instant(column: str, zone: str) -> str:
    """SQL turning a zoneless time in `zone` (UTC, or local: this machine's zone) into an instant."""
    if zone == "UTC":
        return f"timezone('UTC', {column})"
    name = environment("TZ").lstrip(":")
    if not name:
        with contextlib.suppress(OSError):
            target = os.path.realpath("/etc/localtime")
            if "zoneinfo/" in target:
                name = target.split("zoneinfo/", 1)[1]
    if name and re.fullmatch(r"[A-Za-z0-9_+\-/]+", name):
        return f"timezone('{name}', {column})"
    minutes = int((datetime.now().astimezone().utcoffset() or timedelta(0)).total_seconds() // 60)  # no zone name
    return f"timezone('UTC', {column} - interval {minutes} minute)"


def _sql_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def known_hashes(con: duckdb.DuckDBPyConnection, files_table: str = "submission_files") -> set[tuple[str, str]]:
    """(file name, content hash) of the version of each file name currently loaded.

    A file's current content decides: an inbox file is skipped only when its bytes are those of the
    latest accepted version of the same name. A file changed back to an earlier version (10 -> 20 ->
    10) differs from the latest version (20), so it is read again and replaces it, like any other
    resubmission.
    """
    rows = con.execute(f"""
        select file_name, content_hash from (
            select file_name, content_hash,
                   row_number() over (partition by file_name order by file_id desc) as newest
            from {files_table}
            where status = 'accepted')
        where newest = 1""").fetchall()
    return {(row[0], row[1]) for row in rows}


class SitesRemoved(RuntimeError):
    """reference/sites.csv no longer lists a site whose returns are loaded (or has a bad closed_from)."""


def check_sites_kept(con: duckdb.DuckDBPyConnection, reference_dir: Path) -> None:
    """Refuse a run when sites.csv dropped a site with loaded returns, or carries a closed_from that is not a date.

    Removing such a site would silently change figures already published for past weeks (its
    returns would lose their provider); a site that has closed gets a `closed_from` date instead.
    """
    # read from exactly this path (a workspace path with [, * or ? must not read another folder's file)
    sites = read_reference_csv(reference_dir / "sites.csv").with_columns(pl.col(pl.String).str.strip_chars())
    if "closed_from" in sites.columns:
        for line, (code, text) in enumerate(sites.select("site_code", "closed_from").iter_rows(), start=2):
            if text and _parse_date(text) is None:
                raise SitesRemoved(
                    f"{reference_dir / 'sites.csv'} row {line}, closed_from = '{text}' for site "
                    f"{code}: not a date; write it as YYYY-MM-DD or DD/MM/YYYY. Nothing was changed."
                )
    listed = set(sites["site_code"].to_list()) if "site_code" in sites.columns else set()
    loaded = con.execute(
        "select rows.site_code, count(distinct rows.week_ending), max(rows.week_ending) "
        "from weekly_return_rows as rows join submission_files as files using (file_id) "
        "where files.status = 'accepted' group by rows.site_code order by rows.site_code"
    ).fetchall()
    removed = [(code, weeks, last) for code, weeks, last in loaded if code not in listed]
    if removed:
        names = "; ".join(
            f"{code} ({weeks} week(s) loaded, the last ending {last:%Y-%m-%d})" for code, weeks, last in removed
        )
        raise SitesRemoved(
            f"{reference_dir / 'sites.csv'} no longer lists site(s) with loaded returns: {names}. Removing a site "
            "would change figures already published for past weeks. Put the row back and, if the site has "
            "closed, give it a closed_from date (the first date it sends no return). Nothing was changed."
        )


def _parse_date(text: str) -> date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All or nothing: a failure (or a killed process) leaves the warehouse as it was before."""
    con.begin()
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    con.commit()


def _next_id(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"select coalesce(max(file_id), 0) + 1 from {table}").fetchone()[0]


def _now() -> datetime:
    return datetime.now(UTC)


def _instant(moment: datetime | None) -> datetime | None:
    """A file time as an instant: a naive datetime (a file's mtime from fromtimestamp) is local time."""
    return None if moment is None else moment.astimezone(UTC)


def record_submission(
    con: duckdb.DuckDBPyConnection, checked: CheckedSubmission, received_at: datetime, as_of: date
) -> int:
    """Write one weekly file's outcome and, when accepted, all its rows, in a single transaction.

    A file that passed validation but that the warehouse refuses (a constraint, a type, a value out
    of range) loads nothing: it is marked refused with the database's reason, so that it is
    quarantined like any other refused file and never blocks the other files or later runs.
    """
    try:
        with transaction(con):
            file_id = insert_file_record(con, checked, received_at, as_of)
            if checked.accepted:
                insert_return_rows(con, file_id, checked.returns)
            else:
                insert_problems(con, "weekly", file_id, checked.problems)
        return file_id
    except duckdb.Error as exc:
        if not checked.accepted:
            raise  # recording a refusal failed: the warehouse itself is in trouble
        reason = " ".join(str(exc).split())
    checked.problems.append(Problem(checked.path.name, None, "", "", f"the warehouse refused this file: {reason}"))
    checked.returns = None
    return record_submission(con, checked, received_at, as_of)


def insert_file_record(con, checked: CheckedSubmission, received_at: datetime, as_of: date) -> int:
    file_id = _next_id(con, "submission_files")
    rows = 0 if checked.returns is None else checked.returns.height
    con.execute(
        "insert into submission_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            file_id,
            checked.path.name,
            checked.content_hash,
            checked.layout,
            _instant(received_at),
            _now(),
            "accepted" if checked.accepted else "rejected",
            rows,
            len(checked.problems),
            as_of,
        ],
    )
    return file_id


def insert_return_rows(con, file_id: int, returns: pl.DataFrame) -> None:
    rows = returns.select(pl.lit(file_id).alias("file_id"), pl.col("row").alias("row_number"), pl.exclude("row"))  # noqa: F841  (DuckDB reads the frame by name)
    con.execute("insert into weekly_return_rows by name select * from rows")


def insert_problems(con, source: str, file_id: int, problems: list[Problem]) -> None:
    con.executemany(
        "insert into file_problems values (?, ?, ?, ?, ?, ?, ?)",
        [[source, file_id, p.file, p.row, p.column, p.value, p.problem] for p in problems],
    )


STAGED_NATIONAL_ROWS = "staged_national_rows"  # this connection's temporary view: read rows awaiting their verdict
STAGED_NATIONAL_FILES = "staged_national_files"  # temporary: the Parquet file holding each staged extract's rows


def stage_national_rows(con: duckdb.DuckDBPyConnection, checked: list[CheckedNationalFile]) -> None:
    """Hand the rows of read extracts to the warehouse's staging area, read as the view `staged_national_rows`.

    A backfill reads many months before their cells are judged together; their rows wait on disk, one
    Parquet file per batch in a temporary folder of this connection's, rather than in Python, and the
    extracts keep only their counts. (A temporary table grown batch by batch cost about 10 s of a
    115-month backfill, against about 1.5 s for writing Parquet; DuckDB reads the files back in parallel.)
    """
    frames = [c.rows.with_columns(pl.lit(c.path.name).alias("file_name")) for c in checked if c.rows is not None]
    if frames:
        folder = _staging_folder(con)
        path = folder / f"{len(list(folder.iterdir())):06d}.parquet"
        pl.concat(frames, how="vertical_relaxed").write_parquet(path, compression="lz4")
        con.execute(
            f"insert into {STAGED_NATIONAL_FILES} select unnest(?::varchar[]), ?",
            [[c.path.name for c in checked if c.rows is not None], str(path)],
        )
        files = con.execute(f"select distinct parquet from {STAGED_NATIONAL_FILES} order by all").fetchall()
        listed = ", ".join(_exact_path(parquet) for (parquet,) in files)
        con.execute(f"""
            create or replace temp view {STAGED_NATIONAL_ROWS} as
            select * from read_parquet([{listed}], union_by_name = true)
            where file_name in (select file_name from {STAGED_NATIONAL_FILES})""")
    for result in checked:
        result.rows = None


def _exact_path(path: str) -> str:
    """A path as a DuckDB string literal that read_parquet reads as exactly this file: DuckDB takes `[`, `*`
    and `?` as a pattern (a TMPDIR may hold them), so each is written as the one-character class matching it."""
    return _sql_string(path.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]"))


def _staging_folder(con: duckdb.DuckDBPyConnection) -> Path:
    """This connection's staging folder, made with the connection's first staged batch."""
    if not _staging(con):
        con.execute(f"create temp table {STAGED_NATIONAL_FILES} (file_name varchar, parquet varchar)")
        con.execute(
            f"comment on table {STAGED_NATIONAL_FILES} is {_sql_string(tempfile.mkdtemp(prefix='dtoc-staged-'))}"
        )
    return Path(
        con.execute(
            "select comment from duckdb_tables() where temporary and table_name = ?", [STAGED_NATIONAL_FILES]
        ).fetchone()[0]
    )


def _staging(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where temporary and table_name = ?", [STAGED_NATIONAL_FILES]
        ).fetchone()[0]
    )


def _unstage(con: duckdb.DuckDBPyConnection, file_names: list[str] | None = None) -> None:
    """Let the extracts' staged rows go (all of them when no names are given); the folder goes with the last."""
    if not _staging(con):
        return
    if file_names is not None:
        con.execute(
            f"delete from {STAGED_NATIONAL_FILES} where file_name in (select unnest(?::varchar[]))", [file_names]
        )
        if con.execute(f"select count(*) from {STAGED_NATIONAL_FILES}").fetchone()[0]:
            return
    folder = _staging_folder(con)
    con.execute(f"drop view if exists {STAGED_NATIONAL_ROWS}")
    con.execute(f"drop table {STAGED_NATIONAL_FILES}")
    shutil.rmtree(folder, ignore_errors=True)


def record_national_files(con: duckdb.DuckDBPyConnection, checked: list[CheckedNationalFile]) -> list[str]:
    """Record a batch of national extracts, their staged rows or their problems, in a single transaction.

    If the database refuses any accepted extract's rows (a value too large for its column, say),
    nothing of the batch is kept and each extract is recorded again in its own transaction: the one
    refused is recorded as rejected with the database's reason, so that it is quarantined and never
    blocks the other files or later runs. Returns the months the batch re-published ("month (file)").
    """
    stage_national_rows(con, checked)
    first_id = _next_id(con, "national_files")
    try:
        with transaction(con):
            for offset, result in enumerate(checked):
                _insert_national_file(con, result, first_id + offset)
            ids = pl.DataFrame(
                {
                    "file_name": [c.path.name for c in checked if c.accepted],  # noqa: F841
                    "file_id": [first_id + i for i, c in enumerate(checked) if c.accepted],
                },
                schema={"file_name": pl.String, "file_id": pl.Int32},
            )
            if not ids.is_empty():
                # in no particular order (sorting 2.4 M rows by file and row cost a 115-month backfill 1.7 s):
                # every model and output that reads them orders or aggregates them by their own keys
                con.execute(f"""
                    insert into national_rows by name
                    select ids.file_id, staged.* exclude (file_name)
                    from {STAGED_NATIONAL_ROWS} as staged join ids using (file_name)""")
    except duckdb.Error:
        for result in checked:
            record_national_file(con, result)
    _unstage(con, [c.path.name for c in checked])
    return republished_months(con, first_id)


def record_national_file(con: duckdb.DuckDBPyConnection, checked: CheckedNationalFile) -> int:
    """One national extract, its staged rows or its problems, in a single transaction.

    An extract that passed its checks but that the database refuses is recorded as rejected with the
    database's reason (see `record_national_files`).
    """

    def write() -> int:
        with transaction(con):
            file_id = _next_id(con, "national_files")
            _insert_national_file(con, checked, file_id)
            if checked.accepted:
                con.execute(
                    f"insert into national_rows by name select ? as file_id, * exclude (file_name) "
                    f"from {STAGED_NATIONAL_ROWS} where file_name = ? order by row_number",
                    [file_id, checked.path.name],
                )
        return file_id

    stage_national_rows(con, [checked])
    try:
        return write()
    except duckdb.Error as exc:
        if not checked.accepted:
            raise
        reason = str(exc).strip().splitlines()[0]
        checked.problems.append(
            Problem(
                checked.path.name,
                None,
                "",
                "",
                f"the warehouse could not load this file, although every cell passed the checks: {reason}",
            )
        )
        checked.withdraw_rows()
        return write()


def _insert_national_file(con: duckdb.DuckDBPyConnection, checked: CheckedNationalFile, file_id: int) -> None:
    unknown = ", ".join(f"{code} ({n} rows)" for code, n in checked.unknown_la_codes.items())
    received_at = datetime.fromtimestamp(checked.path.stat().st_mtime)
    con.execute(
        "insert into national_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            file_id,
            checked.path.name,
            checked.content_hash,
            _instant(received_at),
            _now(),
            "accepted" if checked.accepted else "rejected",
            checked.header_line,
            ",".join(checked.months),
            checked.rows_read if checked.accepted else 0,
            sum(checked.empty_cells.values()),
            unknown or None,
            len(checked.problems),
        ],
    )
    if not checked.accepted:
        insert_problems(con, "national", file_id, checked.problems)


def republished_months(con: duckdb.DuckDBPyConnection, since_file_id: int) -> list[str]:
    """Months of the extracts loaded from `since_file_id` on that an earlier accepted extract already carried
    (the later publication replaces it; both stay in national_rows), as "month (file)", in load order."""
    return [
        f"{month} ({name})"
        for month, name in con.execute(
            """
        with carried as (
            select file_id, file_name, unnest(string_split(months, ',')) as month
            from national_files
            where status = 'accepted' and months <> '')
        select later.month, later.file_name
        from carried as later
        where later.file_id >= ?
          and exists (select 1 from carried as earlier where earlier.month = later.month and earlier.file_id < later.file_id)
        order by later.file_id, later.month""",
            [since_file_id],
        ).fetchall()
    ]


def set_run_variables(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: date, reference_dir: Path) -> None:
    values = {
        "as_of": as_of,
        "home_la": settings.home_la,
        "month_rule": settings.month_rule,
        "rag_target_pct_social_care": settings.rag_target_pct_social_care,
        "rag_red_pct_social_care": settings.rag_red_pct_social_care,
        "week_ending_weekday": settings.week_ending_weekday,
        "alert_tolerance": settings.alert_tolerance,
        "alert_on_spc_signals": settings.alert_on_spc_signals,
        "return_due_days": settings.return_due_days_after_week_end,
    }
    for name, value in values.items():
        con.execute(f"set variable {name} = ?", [value])
    register_reference_frames(con, reference_dir)  # read here from the literal path, never by DuckDB's globbing reader
    # a decimal share keeps attributed days exact, so sums do not depend on the order of addition
    con.execute(
        "set variable both_share_to_social_care = cast(? as decimal(18, 9))", [settings.both_share_to_social_care]
    )


def build_models(con: duckdb.DuckDBPyConnection, bcf_trajectory: pl.DataFrame, root: Path = SQL_ROOT) -> list[str]:
    """(Re)create reference tables, macros and every model; returns the models in build order.

    The model graph is checked first (flows/models.py): a model reading something its
    `-- depends_on:` line does not declare, or a layer above its own, stops the run with a
    ModelGraphError naming the file and the model before anything is built. Tables are built
    every run; a view is created again only when its SQL or the macros changed since it was
    created (each view's comment is a digest of what it was created from).
    """
    models = model_graph(root)
    con.execute(_sql_text(root / "warehouse" / "reference.sql"))
    con.execute("create or replace table ref_bcf_trajectory as select * from bcf_trajectory")
    macros = [_sql_text(macro_file) for macro_file in sorted((root / "macros").glob("*.sql"))]
    for macro in macros:
        con.execute(macro)
    built_from = dict(
        con.execute(
            "select view_name, comment from duckdb_views() "
            "where database_name = current_database() and schema_name = 'main' and not internal"
        ).fetchall()
    )
    macros_digest = hashlib.sha256("\n".join(macros).encode()).hexdigest()
    for name, model in models.items():
        text = _sql_text(model.path)
        if model.materialized == "view":
            digest = hashlib.sha256(f"{macros_digest}\n{text}".encode()).hexdigest()
            if built_from.get(name) == digest:
                continue
            con.execute(f"create or replace view {name} as\n{text}")
            con.execute(f"comment on view {name} is '{digest}'")
        else:
            con.execute(f"create or replace table {name} as\n{text}")
    return list(models)


# Rows are written in a fixed order so that the same inputs give byte-identical files; where the
# natural order is not alphabetical, it is spelled out here, once (presentation only, no arithmetic):
# the report and the dashboard read the same tables in the same order (`publish_order`). The ranks
# of organisations, gap components and rate sources and measures are macros in sql/macros/orders.sql.
PUBLISH_ORDER = {
    "reconciliation": "month, org_rank(responsible_org), provider_code = 'Total', provider_code = 'OUT_OF_AREA', "
    "provider_code",
    "gap_decomposition": "month, gap_component_rank(component)",
    "gap_waterfall": "month, step",
    "la_rates": "month, rate_source_rank(source), rate_measure_rank(measure)",
    "alerts": "raised_as_of, event, dedup_key",
    "monthly_reasons": "month, la_code, list_position(['local', 'national'], source), provider_code = 'Total', "
    "provider_code, site_code, org_rank(responsible_org), rank_in_org nulls last, reason_code",
    "monthly_site_people": "month, provider_code, site_code, org_rank(responsible_org)",
    "monthly_movers": "month, list_position(['site', 'trust'], level), provider_code, site_code",
    "monthly_completeness": "month, provider_code, site_code",
    "suspicious_returns": 'week_ending, provider_code, site_code, "check"',
}


def publish_order(name: str) -> str:
    """The ORDER BY of a published table's rows, in its file and wherever the report or dashboard lists them."""
    return PUBLISH_ORDER.get(name, "all")


def publish_table(con: duckdb.DuckDBPyConnection, name: str, folder: Path, month: str | None = None) -> Path:
    """Write a published model to `<folder>/<name>[_<month>].csv` atomically, rows in a stable order."""
    where = f"where month = {_sql_string(month)}" if month else ""
    return _copy_to_csv(
        con,
        f"select {_display_columns(con, name)} from {name} {where} order by {publish_order(name)}",
        folder / (f"{name}_{month}.csv" if month else f"{name}.csv"),
    )


# temporary: a per-month table's rows for the months being written (quoted: no model can be named so)
MONTHS_TO_PUBLISH = '"months to publish"'


def publish_months(con: duckdb.DuckDBPyConnection, name: str, folder: Path, months: list[str]) -> list[Path]:
    """Write `<folder>/<name>_<month>.csv` for each month: the same files as `publish_table` month by month.

    The months' rows are given their position in the published order once, in a temporary table, and
    each month's file copies its rows from it in that position's order: the published order (macros,
    text keys) is worked out once for all the months, not once per month (a backfill writes 115 months
    of two tables).
    """
    if not months:
        return []
    order = publish_order(name)
    if order == "all":  # ORDER BY ALL spelled out, column by column: a window cannot take ALL
        order = ", ".join(f'"{column}"' for column, *_ in con.execute(f"describe {name}").fetchall())
    con.execute(
        f"create or replace temp table {MONTHS_TO_PUBLISH} as "
        f"select *, row_number() over (order by {order}) as publish_position "
        f"from (select {_display_columns(con, name)} from {name} where month in (select unnest(?::varchar[])))",
        [months],
    )
    try:
        return [
            _copy_to_csv(
                con,
                f"select * exclude (publish_position) from {MONTHS_TO_PUBLISH} where month = {_sql_string(month)} "
                "order by publish_position",
                folder / f"{name}_{month}.csv",
            )
            for month in months
        ]
    finally:
        con.execute(f"drop table {MONTHS_TO_PUBLISH}")


def _sql_string(text: str) -> str:
    """Text as a DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


def _copy_to_csv(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> Path:
    """The query's rows as the CSV file `target`, written beside it first, then moved into place."""
    partial = target.parent / f".{target.name}.partial"
    con.execute(f"copy ({query}) to {_sql_string(str(partial))} (header, delimiter ',')")
    os.replace(partial, target)
    return target


SNAPSHOT_COLUMNS = (
    "month",
    "provider_code",
    "planned_days",
    "mtd_days",
    "mtd_planned_days",
    "projected_days",
    "status",
    "periods_to_date",
    "periods_in_month",
    "days_covered",
    "days_in_month",
)


def snapshot_trajectory(con: duckdb.DuckDBPyConnection, as_of: date) -> int:
    """Keep the trajectory as it stands at this as-of; returns the snapshot number kept.

    Every snapshot is kept: when the figures differ from the latest snapshot for the same as-of
    (a late return arrived), a new one is added beside it; the same figures add nothing, so a
    rerun leaves the history byte-identical.
    """
    columns = ", ".join(SNAPSHOT_COLUMNS)
    with transaction(con):
        latest = con.execute(
            "select coalesce(max(coalesce(snapshot, 1)), 0) from trajectory_snapshots where as_of = ?", [as_of]
        ).fetchone()[0]
        if latest:
            differ = con.execute(
                f"""
                select count(*) from (
                    (select {columns} from trajectory_status
                     except all
                     select {columns} from trajectory_snapshots where as_of = $1 and coalesce(snapshot, 1) = $2)
                    union all
                    (select {columns} from trajectory_snapshots where as_of = $1 and coalesce(snapshot, 1) = $2
                     except all
                     select {columns} from trajectory_status))""",
                [as_of, latest],
            ).fetchone()[0]
            if not differ:
                return latest
        con.execute(
            "insert into trajectory_snapshots by name select *, ? as snapshot from trajectory_status", [latest + 1]
        )
    return latest + 1


def _display_columns(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """Exact DECIMAL figures are written as plain numbers (106.2, not 106.2000000000)."""
    described = con.execute(f"describe {name}").fetchall()
    return ", ".join(
        f'cast("{column}" as double) as "{column}"' if kind.startswith("DECIMAL") else f'"{column}"'
        for column, kind, *_ in described
    )


def reconciled_months(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Months that have national data (up to the run's as-of), each with its own reconciliation."""
    return [row[0] for row in con.execute("select distinct month from reconciliation order by month").fetchall()]
