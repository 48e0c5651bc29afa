"""Checks on every published table before it is written, as dbt tests check models.

Each published table has a Great Expectations suite `published_<table>` under
`expectations/gx/expectations/`: its key is unique, measures are filled in where a return
exists, attributed parts add up to the total, reconciliations hold, codes are known values. Cross-
column rules are computed as check columns by `sql/checks/<table>.sql` (a plain SELECT over the
published model, e.g. `att_nhs_days + att_social_care_days - total_days as attribution_gap`) and
the suite expects each such column to be (about) zero; a table without a checks file is validated
as it is. Every expectation's `meta.problem` is the sentence a run summary shows, with the first
failing row's values filled in.

A table is validated once per run, all its months together (one GX validation per table); a
monthly table's failures withhold only the months whose rows fail. A table that fails is not
written: its previous file stays as it was, and the run says which table and why.

A table whose rows and rules are exactly those it last passed with (`table_fingerprint`: a digest
of its rows, its columns and types, its suite and its checks SQL, kept in the warehouse's
`published_fingerprints` under `output checks: <table>`) is not validated again: the verdict
would be the same. The run summary counts it as passed and marks it `unchanged`.

While the tables are checked and written, each staging or intermediate view that two or more
views read (`shared_views`) is computed once, as a temporary table of the same name, instead of
once for every table that reads it.
"""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from flows.models import shared_views
from flows.suite_in_sql import certainly_passes, suite_expectations
from flows.validate import _Blank, exception_message, suite_path, validate_frame
from flows.warehouse import SQL_ROOT

SUITE_PREFIX = "published_"
CHECKS_SQL = SQL_ROOT / "checks"


def suite_name(table: str) -> str:
    return f"{SUITE_PREFIX}{table}"


@dataclass
class Failure:
    """One failed expectation: the sentence for people, how many rows fail, the months they are in."""

    reason: str
    rows: int
    months: frozenset[str] | None  # None: the whole table (a rule about the table, or a table without months)


@dataclass
class TableCheck:
    table: str
    suite: str
    expectations: int
    rows: int
    seconds: float
    failures: list[Failure] = field(default_factory=list)
    unchanged: bool = False  # passed earlier with the same rows and rules: not validated again
    fingerprint: str = ""  # table_fingerprint of the rows checked ("" when they could not be computed)

    @property
    def success(self) -> bool:
        return not self.failures

    def reasons(self, month: str | None = None) -> list[str]:
        """The failures that concern the whole table, or (for one month's file) that month."""
        return [f.reason for f in self.failures if month is None or f.months is None or month in f.months]


class OutputChecks:
    """Validates each published table on first request, once per run; later requests reuse the result.

    Used as a context manager around publishing: a checked table's rows are kept as a temporary
    table of the same name, which hides the model's view on this connection until the end of the
    block, so the file, the report and the dashboard are written from exactly the rows that were
    checked, and the model is computed once instead of once per reader. The shared views the
    tables read are kept the same way first (their rows are what the tables are computed from).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.results: dict[str, TableCheck] = {}
        self.shared: list[str] = []
        for view in shared_views():
            try:
                keep_rows(con, view)
            except duckdb.Error:  # left as a view: the checks of the tables that read it say why
                continue
            self.shared.append(view)
        self.passed = dict(
            con.execute(
                "select substr(output, length(?) + 1), fingerprint from published_fingerprints where starts_with(output, ?)",
                [PASSED_KEY, PASSED_KEY],
            ).fetchall()
        )

    def __enter__(self) -> OutputChecks:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Drop the checked copies: the models' views are seen again."""
        for table in [*self.results, *self.shared]:
            self.con.execute(f"drop table if exists temp.main.{table}")

    def __call__(self, table: str, month: str | None = None) -> list[str]:
        """Why `table` (or its file for `month`) must not be published; empty when it passes."""
        if table not in self.results:
            self.results[table] = self._check(table)
        return self.results[table].reasons(month)

    def fingerprint(self, table: str) -> str:
        """The table_fingerprint of the rows checked this run ("" when they could not be computed)."""
        self(table)
        return self.results[table].fingerprint

    def _check(self, table: str) -> TableCheck:
        started = time.perf_counter()
        if not has_suite(table):
            return check_table(self.con, table, keep=True)
        try:
            keep_rows(self.con, table)
        except duckdb.Error:
            return check_table(self.con, table, keep=True)  # says why its rows could not be computed
        fingerprint = table_fingerprint(self.con, table)
        if self.passed.get(table) == fingerprint:
            rows = self.con.execute(f"select count(*) from temp.main.{table}").fetchone()[0]
            return TableCheck(
                table,
                suite_name(table),
                _expectation_count(table),
                rows,
                time.perf_counter() - started,
                unchanged=True,
                fingerprint=fingerprint,
            )
        check = check_table(self.con, table)
        check.fingerprint = fingerprint
        check.seconds = time.perf_counter() - started
        key = PASSED_KEY + table
        if check.success:
            self.con.execute("insert or replace into published_fingerprints values (?, ?)", [key, fingerprint])
        else:
            self.con.execute("delete from published_fingerprints where output = ?", [key])
        return check


PASSED_KEY = "output checks: "


def keep_rows(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """The model's rows as a temporary table of the same name (see OutputChecks)."""
    catalog = con.execute("select current_database()").fetchone()[0]
    con.execute(f'create or replace temp table {table} as select * from "{catalog}".main.{table}')


def table_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A digest of a table's rows (in any order), columns and types, and of the rules that check it.

    Rows are summed as 64-bit hashes (order-free, a few milliseconds for 100,000 rows, where an
    ordered md5 of every row as text took over a second).
    """
    columns = con.execute(f"select column_name, column_type from (describe {table})").fetchall()
    count, total = con.execute(f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from {table} as t").fetchone()
    parts = [
        table,
        repr(columns),
        str(count),
        str(total),
        _suite_path(table).read_text(encoding="utf-8"),
        _check_sql(table),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _suite_path(table: str) -> Path:
    return suite_path(suite_name(table))


def _expectation_count(table: str) -> int:
    return len(suite_expectations(_suite_path(table)))


def check_published_table(con: duckdb.DuckDBPyConnection, name: str, month: str | None = None) -> list[str]:
    """Why a published table (or its file for one month) must not be written; empty when it passes."""
    return check_table(con, name).reasons(month)


@functools.cache
def _check_sql(table: str) -> str:
    path = CHECKS_SQL / f"{table}.sql"
    return path.read_text(encoding="utf-8") if path.exists() else f"select * from {table}"


def has_suite(table: str) -> bool:
    return _suite_path(table).exists()


def check_table(con: duckdb.DuckDBPyConnection, table: str, keep: bool = False) -> TableCheck:
    """Run the table's suite on its check frame (one GX validation) and turn failures into sentences.

    `keep`: leave the rows checked in a temporary table named like the model (see OutputChecks).
    """
    started = time.perf_counter()
    suite = suite_name(table)
    if not has_suite(table):
        return TableCheck(
            table,
            suite,
            0,
            0,
            0.0,
            [
                Failure(
                    f"no expectation suite {suite}.json under expectations/gx/expectations/ (every published table "
                    "needs one)",
                    0,
                    None,
                )
            ],
        )
    try:
        if keep:
            keep_rows(con, table)
        rows = certainly_passes(con, _check_sql(table), _suite_path(table))
        if rows is not None:  # every rule holds, answered in DuckDB: GX would say the same (see flows.suite_in_sql)
            return TableCheck(table, suite, _expectation_count(table), rows, time.perf_counter() - started)
        frame = con.execute(f"select * from ({_check_sql(table)}) order by all").df()  # the same first row every run
    except duckdb.Error as exc:
        return TableCheck(
            table,
            suite,
            0,
            0,
            time.perf_counter() - started,
            [Failure(f"its checks could not be computed (sql/checks/{table}.sql): {exc}", 0, None)],
        )
    # pass or fail only (about half the cost); the rare failure is run again for its rows
    results = validate_frame(frame, suite, None, first_pass="BOOLEAN_ONLY")
    failed = [outcome for outcome in results.results if not outcome.success]
    check = TableCheck(table, suite, len(results.results), len(frame), 0.0)
    check.failures = [_failure(outcome, frame) for outcome in failed]
    check.seconds = time.perf_counter() - started
    return check


def _failure(outcome, frame) -> Failure:
    config = outcome.expectation_config
    meta = config.meta or {}
    message = exception_message(outcome)
    if message is not None:
        return Failure(f"the check {config.type} on {meta.get('column', '')} could not run: {message}", 0, None)
    indexes = list(outcome.result.get("unexpected_index_list") or [])
    template = meta.get("problem", config.type)
    if not indexes:
        observed = outcome.result.get("observed_value")
        return Failure(
            template.format_map(_Blank()) + (f" (found {observed})" if observed is not None else ""), 0, None
        )
    first = {column: _plain(value) for column, value in frame.iloc[indexes[0]].items() if not _missing(value)}
    sentence = template.format_map(_Blank(first))
    if len(indexes) > 1:
        sentence += f" ({len(indexes)} rows fail this check; the first is shown)"
    months = frozenset(str(frame["month"].iloc[i]) for i in indexes) if "month" in frame.columns else None
    return Failure(sentence, len(indexes), months)


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        return (
            value.date().isoformat()
            if value == datetime.combine(value.date(), datetime.min.time())
            else value.isoformat(sep=" ")
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.6g}"
    return str(value)


def summary_rows(checks: OutputChecks) -> list[dict]:
    """One line per table checked this run, for the run summary."""
    return [
        {
            "table": c.table,
            "suite": c.suite,
            "expectations": c.expectations,
            "rows": c.rows,
            "success": c.success,
            "problems": [f.reason for f in c.failures],
            "seconds": round(c.seconds, 4),
            "unchanged": c.unchanged,
        }
        for c in checks.results.values()
    ]
