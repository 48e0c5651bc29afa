"""The DuckDB warehouse: one writer at a time, one transaction per file, models from `sql/`.

Models follow dbt's layout: every view is one file under `sql/staging`, `sql/intermediate` or
`sql/published`, named for what it holds and written as a plain SELECT; the views are created in
dependency order, found from the model names each file mentions.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from flows.sitrep import CheckedNationalFile
from flows.validate import CheckedSubmission, Problem

SQL_ROOT = Path(__file__).resolve().parent.parent / "sql"
MODEL_LAYERS = ("staging", "intermediate", "published")
# A model whose file starts with this line is built as a table once per run (as at the run's as-of)
# instead of a view, where many later queries read it.
MATERIALIZED_TABLE = "-- materialized: table"
PUBLISHED_TABLES = ("weekly_site_summary", "monthly_site_summary", "monthly_provider_summary", "kpi_monthly",
                    "la_rates", "trajectory_status", "trajectory_status_history", "trajectory_burnup", "spc_signals",
                    "alerts", "weekly_social_care_makeup")


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse for longer than this run is willing to wait."""


@contextlib.contextmanager
def open_warehouse(path: Path, wait_seconds: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """Hold the workspace's run lock, then open the warehouse; a second run waits, then stops clearly."""
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
        con = duckdb.connect(str(path), config={"memory_limit": os.environ.get("DTOC_DUCKDB_MEMORY_LIMIT", "512MB")})
        try:
            con.execute(_sql_text(SQL_ROOT / "warehouse" / "schema.sql"))
            yield con
        finally:
            con.close()
            lock.seek(0)
            lock.truncate()
            fcntl.flock(lock, fcntl.LOCK_UN)


def _sql_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def known_hashes(con: duckdb.DuckDBPyConnection, files_table: str = "submission_files") -> set[str]:
    """Content hashes of files already loaded: such a file is not read again."""
    rows = con.execute(f"select content_hash from {files_table} where status = 'accepted'").fetchall()
    return {row[0] for row in rows}


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
    return datetime.now(UTC).replace(tzinfo=None)


def record_submission(con: duckdb.DuckDBPyConnection, checked: CheckedSubmission, received_at: datetime,
                      as_of: date) -> int:
    """Write one weekly file's outcome and, when accepted, all its rows, in a single transaction."""
    with transaction(con):
        file_id = insert_file_record(con, checked, received_at, as_of)
        if checked.accepted:
            insert_return_rows(con, file_id, checked.returns)
        else:
            insert_problems(con, "weekly", file_id, checked.problems)
    return file_id


def insert_file_record(con, checked: CheckedSubmission, received_at: datetime, as_of: date) -> int:
    file_id = _next_id(con, "submission_files")
    rows = 0 if checked.returns is None else checked.returns.height
    con.execute(
        "insert into submission_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [file_id, checked.path.name, checked.content_hash, checked.layout, received_at, _now(),
         "accepted" if checked.accepted else "rejected", rows, len(checked.problems), as_of],
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


def record_national_file(con: duckdb.DuckDBPyConnection, checked: CheckedNationalFile, received_at: datetime) -> int:
    """One national extract, its rows or its problems, in a single transaction.

    An extract that passed its checks but that the database refuses (a value too large for its
    column, say) is recorded as rejected with the database's reason, so that it is quarantined and
    never blocks the other files or later runs.
    """
    def write() -> int:
        with transaction(con):
            file_id = _next_id(con, "national_files")
            unknown = ", ".join(f"{code} ({n} rows)" for code, n in checked.unknown_la_codes.items())
            con.execute(
                "insert into national_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [file_id, checked.path.name, checked.content_hash, received_at, _now(),
                 "accepted" if checked.accepted else "rejected", checked.header_line, ",".join(checked.months),
                 0 if checked.rows is None else checked.rows.height, sum(checked.empty_cells.values()),
                 unknown or None, len(checked.problems)],
            )
            if checked.accepted:
                rows = checked.rows.with_columns(pl.lit(file_id).alias("file_id"))  # noqa: F841  (DuckDB reads the frame by name)
                con.execute("insert into national_rows by name select * from rows")
            else:
                insert_problems(con, "national", file_id, checked.problems)
        return file_id

    try:
        return write()
    except duckdb.Error as exc:
        if not checked.accepted:
            raise
        reason = str(exc).strip().splitlines()[0]
        checked.problems.append(Problem(checked.path.name, None, "", "", f"the warehouse could not load this file, "
                                        f"although every cell passed the checks: {reason}"))
        checked.rows, checked.empty_cells, checked.unknown_la_codes = None, {}, {}
        return write()


def set_run_variables(con: duckdb.DuckDBPyConnection, settings: dict, as_of: date, reference_dir: Path) -> None:
    values = {
        "as_of": as_of,
        "home_la": settings["home_la"],
        "both_share_to_social_care": float(settings["both_share_to_social_care"]),
        "month_rule": settings["month_rule"],
        "rag_target_pct_social_care": float(settings["rag_target_pct_social_care"]),
        "rag_red_pct_social_care": float(settings["rag_red_pct_social_care"]),
        "week_ending_weekday": settings["week_ending_weekday"],
        "alert_tolerance": float(settings["alert_tolerance"]),
        "alert_on_spc_signals": bool(settings["alert_on_spc_signals"]),
        "reference_dir": str(reference_dir),
    }
    for name, value in values.items():
        con.execute(f"set variable {name} = ?", [value])
    # a decimal share keeps attributed days exact, so sums do not depend on the order of addition
    con.execute("set variable both_share_to_social_care = cast(? as decimal(18, 9))",
                [float(settings["both_share_to_social_care"])])


def build_models(con: duckdb.DuckDBPyConnection, bcf_trajectory: pl.DataFrame) -> list[str]:
    """(Re)create reference tables, macros and every model view; returns the models in build order."""
    con.execute(_sql_text(SQL_ROOT / "warehouse" / "reference.sql"))
    con.execute("create or replace table ref_bcf_trajectory as select * from bcf_trajectory")
    for macro_file in sorted((SQL_ROOT / "macros").glob("*.sql")):
        con.execute(_sql_text(macro_file))
    order = model_build_order()
    for name, path in order:
        sql = _sql_text(path)
        kind = "table" if sql.startswith(MATERIALIZED_TABLE) else "view"
        con.execute(f"create or replace {kind} {name} as\n{sql}")
    return [name for name, _ in order]


def model_build_order() -> list[tuple[str, Path]]:
    models = {path.stem: path for layer in MODEL_LAYERS for path in sorted((SQL_ROOT / layer).glob("*.sql"))}
    code = {name: re.sub(r"--[^\n]*", "", _sql_text(path)) for name, path in models.items()}  # comments may name models
    depends = {name: {other for other in models if other != name and re.search(rf"\b{other}\b", code[name])}
               for name in models}
    order: list[str] = []
    while len(order) < len(models):
        ready = [name for name in models if name not in order and depends[name] <= set(order)]
        if not ready:
            raise RuntimeError(f"circular references between models: {sorted(set(models) - set(order))}")
        order.extend(sorted(ready))
    return [(name, models[name]) for name in order]


# Rows are written in a fixed order so that the same inputs give byte-identical files; where the
# natural order is not alphabetical, it is spelled out here (presentation only, no arithmetic).
PUBLISH_ORDER = {
    "reconciliation": "month, list_position(['NHS', 'Social Care', 'Both', 'Total'], responsible_org), "
                      "provider_code = 'Total', provider_code = 'OUT_OF_AREA', provider_code",
    "gap_decomposition": "month, list_position(['local', 'national_only', 'residual', 'national'], component)",
    "la_rates": "month, list_position(['local', 'national', 'bcf_target'], source), "
                "list_position(['all', 'nhs', 'social_care', 'both'], measure)",
    "alerts": "raised_as_of, event, dedup_key",
}
MONTHLY_TABLES = ("reconciliation", "gap_decomposition")


def publish_table(con: duckdb.DuckDBPyConnection, name: str, folder: Path, month: str | None = None) -> Path:
    """Write a published model to `<folder>/<name>[_<month>].csv` atomically, rows in a stable order."""
    target = folder / (f"{name}_{month}.csv" if month else f"{name}.csv")
    partial = folder / f".{target.name}.partial"
    quoted = str(partial).replace("'", "''")
    where = f"where month = '{month}'" if month else ""
    order = PUBLISH_ORDER.get(name, "all")
    con.execute(f"copy (select {_display_columns(con, name)} from {name} {where} order by {order}) "
                f"to '{quoted}' (header, delimiter ',')")
    os.replace(partial, target)
    return target


def snapshot_trajectory(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """Keep the trajectory as it stands at this as-of (replacing an earlier snapshot for the same date)."""
    with transaction(con):
        con.execute("delete from trajectory_snapshots where as_of = ?", [as_of])
        con.execute("insert into trajectory_snapshots select * from trajectory_status")


def _display_columns(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """Exact DECIMAL figures are written as plain numbers (106.2, not 106.2000000000)."""
    described = con.execute(f"describe {name}").fetchall()
    return ", ".join(f'cast("{column}" as double) as "{column}"' if kind.startswith("DECIMAL") else f'"{column}"'
                     for column, kind, *_ in described)


def reconciled_months(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Months that have national data (up to the run's as-of), each with its own reconciliation."""
    return [row[0] for row in con.execute("select distinct month from reconciliation order by month").fetchall()]
