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
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import polars as pl

from flows.validate import CheckedSubmission, Problem

SQL_ROOT = Path(__file__).resolve().parent.parent / "sql"
MODEL_LAYERS = ("staging", "intermediate", "published")
PUBLISHED_TABLES = ("weekly_site_summary", "monthly_site_summary", "monthly_provider_summary", "kpi_monthly")


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
        lock.write(f"pid {os.getpid()} since {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC\n")
        lock.flush()
        con = duckdb.connect(str(path))
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


def known_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("select content_hash from submission_files where status = 'accepted'").fetchall()
    return {row[0] for row in rows}


def record_submission(con: duckdb.DuckDBPyConnection, checked: CheckedSubmission, received_at: datetime,
                      as_of: date) -> int:
    """Write one file's outcome and, when accepted, all its rows, in a single transaction."""
    con.begin()
    try:
        file_id = insert_file_record(con, checked, received_at, as_of)
        if checked.accepted:
            insert_return_rows(con, file_id, checked.returns)
        else:
            insert_problems(con, file_id, checked.problems)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return file_id


def insert_file_record(con, checked: CheckedSubmission, received_at: datetime, as_of: date) -> int:
    file_id = con.execute("select coalesce(max(file_id), 0) + 1 from submission_files").fetchone()[0]
    rows = 0 if checked.returns is None else checked.returns.height
    con.execute(
        "insert into submission_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [file_id, checked.path.name, checked.content_hash, checked.layout, received_at,
         datetime.now(timezone.utc).replace(tzinfo=None), "accepted" if checked.accepted else "rejected",
         rows, len(checked.problems), as_of],
    )
    return file_id


def insert_return_rows(con, file_id: int, returns: pl.DataFrame) -> None:
    rows = returns.select(pl.lit(file_id).alias("file_id"), pl.col("row").alias("row_number"), pl.exclude("row"))
    con.execute("insert into weekly_return_rows by name select * from rows")


def insert_problems(con, file_id: int, problems: list[Problem]) -> None:
    con.executemany(
        "insert into validation_problems values (?, ?, ?, ?, ?, ?)",
        [[file_id, p.file, p.row, p.column, p.value, p.problem] for p in problems],
    )


def set_run_variables(con: duckdb.DuckDBPyConnection, settings: dict, as_of: date, reference_dir: Path) -> None:
    values = {
        "as_of": as_of,
        "home_la": settings["home_la"],
        "both_share_to_social_care": float(settings["both_share_to_social_care"]),
        "month_rule": settings["month_rule"],
        "rag_target_pct_social_care": float(settings["rag_target_pct_social_care"]),
        "rag_red_pct_social_care": float(settings["rag_red_pct_social_care"]),
        "reference_dir": str(reference_dir),
    }
    for name, value in values.items():
        con.execute(f"set variable {name} = ?", [value])


def build_models(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)create reference tables, macros and every model view; returns the models in build order."""
    con.execute(_sql_text(SQL_ROOT / "warehouse" / "reference.sql"))
    for macro_file in sorted((SQL_ROOT / "macros").glob("*.sql")):
        con.execute(_sql_text(macro_file))
    order = model_build_order()
    for name, path in order:
        con.execute(f"create or replace view {name} as\n{_sql_text(path)}")
    return [name for name, _ in order]


def model_build_order() -> list[tuple[str, Path]]:
    models = {path.stem: path for layer in MODEL_LAYERS for path in sorted((SQL_ROOT / layer).glob("*.sql"))}
    depends = {
        name: {other for other in models if other != name and re.search(rf"\b{other}\b", _sql_text(path))}
        for name, path in models.items()
    }
    order: list[str] = []
    while len(order) < len(models):
        ready = [name for name in models if name not in order and depends[name] <= set(order)]
        if not ready:
            raise RuntimeError(f"circular references between models: {sorted(set(models) - set(order))}")
        order.extend(sorted(ready))
    return [(name, models[name]) for name in order]


def publish_table(con: duckdb.DuckDBPyConnection, name: str, folder: Path) -> Path:
    """Write one published model to `<folder>/<name>.csv` atomically, rows in a stable order."""
    target = folder / f"{name}.csv"
    partial = folder / f".{name}.csv.partial"
    quoted = str(partial).replace("'", "''")
    con.execute(f"copy (select * from {name} order by all) to '{quoted}' (header, delimiter ',')")
    os.replace(partial, target)
    return target
