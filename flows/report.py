"""The monthly Excel report `dtoc_report_<YYYY-MM>.xlsx`, formatted for people.

Every figure is read here from the published SQL views, and laid out by flows/report_layout.py:
the drafted commentary (flows/commentary.py), the summary (LA totals, rates against targets, the
KPI with its RAG in words and colour, the gap explained), the reconciliation laid out like the
council's Cabinet table, the twelve weeks of the weekly dashboard up to the month's end and the
month's site and trust summaries.

A month's report is a report of that month: everything in it is the month's own rows (and the
twelve weeks to its end, by the workspace's month rule), never "the latest" data, so a later run
leaves it alone unless something it shows changed. Its "as of" date is the as-of of the run that
last wrote it, i.e. the run that last changed its figures.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb

from flows.commentary import draft, headlines
from flows.report_layout import ReportContent, lay_out_report
from flows.warehouse import publish_order

# The weeks each month's report shows: the latest twelve that count (wholly or in part, by the
# workspace's month rule, sql/intermediate/int_week_months.sql) towards that month or an earlier one.
# One query for the report and its fingerprint (flows/pipeline.py), so both cover the same rows.
REPORT_WEEKS_SQL = """
    select months.month, weeks.week_ending
    from (select unnest(?::varchar[]) as month) as months
    join (select week_ending, min(month) as first_month from int_week_months
          where week_ending in (select week_ending from weekly_site_summary)
          group by week_ending) as weeks
      on weeks.first_month <= months.month
    qualify row_number() over (partition by months.month order by weeks.week_ending desc) <= 12"""


def rows_by_month(
    con: duckdb.DuckDBPyConnection, sql: str, months: list[str], *params
) -> tuple[list[str], dict[str, list[tuple]]]:
    """Run `sql` (its first column the month, `?` the list of months, rows in the month's order) once for
    all the months; its other columns' names and each month's rows."""
    cursor = con.execute(sql, [months, *params])
    by_month: dict[str, list[tuple]] = {month: [] for month in months}
    for month, *row in cursor.fetchall():
        by_month[month].append(tuple(row))
    return [d[0] for d in cursor.description[1:]], by_month


def read_reports(con: duckdb.DuckDBPyConnection, months: list[str], as_of: date) -> list[ReportContent]:
    """The months' report contents: every figure read from the published SQL views, each view once."""
    chosen = "month in (select unnest(?::varchar[]))"
    la = con.execute(
        "select la_code, coalesce(la_name, la_code) from ref_local_authorities where la_code = getvariable('home_la')"
    ).fetchone() or (None, None)
    _, totals = rows_by_month(
        con,
        f"""
        select month, responsible_org, local_days, national_days, bcf_target_days, local_minus_target,
               national_minus_target, national_minus_local
        from reconciliation where {chosen} and provider_code = 'Total'
        order by {publish_order("reconciliation")}""",
        months,
    )
    _, rates = rows_by_month(
        con,
        f"""
        select month, measure,
               max(rate_per_100k_per_day) filter (where source = 'local'),
               max(rate_per_100k_per_day) filter (where source = 'national'),
               max(rate_per_100k_per_day) filter (where source = 'bcf_target'),
               max(national_target_per_100k_per_day)
        from la_rates where {chosen} group by month, measure
        order by month, rate_measure_rank(measure)""",
        months,
    )
    _, kpi = rows_by_month(
        con, f"select month, pct_att_social_care, target_pct, rag from kpi_monthly where {chosen}", months
    )
    _, gap = rows_by_month(
        con,
        f"select month, component, days from gap_decomposition where {chosen} "
        f"order by {publish_order('gap_decomposition')}",
        months,
    )
    _, reconciliation = rows_by_month(
        con,
        f"""
        select month, responsible_org, provider_code, provider_name, local_days, national_days,
               national_provider_days, out_of_area_days, bcf_target_days, local_minus_target,
               national_minus_target, national_minus_local
        from reconciliation where {chosen}
        order by {publish_order("reconciliation")}""",
        months,
    )
    weekly_names, weekly = rows_by_month(
        con,
        f"""
        select shown.month, t.* from weekly_site_summary as t
        join ({REPORT_WEEKS_SQL}) as shown on t.week_ending = shown.week_ending
        order by shown.month, t.week_ending, t.provider_code, t.site_code""",
        months,
    )
    _, coverage = rows_by_month(
        con,
        f"select month, coverage, returns_received, returns_expected from monthly_headlines where {chosen}",
        months,
    )
    heads = headlines(con, months)
    monthly = [
        rows_by_month(con, f"select month as report_month, * from {view} where {chosen} order by all", months)
        for view in ("monthly_provider_summary", "monthly_site_summary")
    ]
    return [
        ReportContent(
            month=month,
            as_of=as_of,
            la=la,
            commentary=draft(con, month, heads),
            totals=totals[month],
            rates=rates[month],
            kpi=next(iter(kpi[month]), None),
            gap=gap[month],
            reconciliation=reconciliation[month],
            weekly=(weekly_names, weekly[month]),
            coverage=next(iter(coverage[month]), None),
            monthly=[(names, rows[month]) for names, rows in monthly],
        )
        for month in months
    ]


REPORTS_PER_WORKER_RUN = 12  # reports one worker process lays out: fewer are not worth starting one for


class ReportLayoutFailed(RuntimeError):
    pass


def lay_out_in_a_worker(batch: list[tuple[ReportContent, Path]]) -> None:
    """Lay the reports out in a fresh Python running flows/report_layout.py as its main module (the batch
    pickled on its stdin), importing this same copy of the package."""
    package_root = str(Path(__file__).resolve().parent.parent)
    start = f"import runpy, sys; sys.path.insert(0, {package_root!r}); runpy.run_module('flows.report_layout', run_name='__main__')"
    done = subprocess.run([sys.executable, "-c", start], input=pickle.dumps(batch), capture_output=True)
    if done.returncode:
        said = done.stderr.decode(errors="replace").strip().splitlines() or [f"exit status {done.returncode}"]
        raise ReportLayoutFailed(f"laying out {', '.join(path.name for _, path in batch)} failed: {said[-1]}")


class ReportWriter:
    """Writes a run's monthly reports: each one's figures are read here (the warehouse is only ever read from
    the publishing thread), its workbook laid out here too when there are few, else by worker processes.

    Laying a workbook out is most of a report's time and pure Python (xlsxwriter), so threads would take
    turns on one core: in a backfill of 115 months, worker processes (one per core, each laying out
    REPORTS_PER_WORKER_RUN reports) use the other cores while this process reads the next reports'
    figures. They are started as fresh Python processes, not by multiprocessing, which would run
    the caller's unguarded script again in each. Leaving the `with` block waits for every report and
    raises the first failure.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, as_of: date, reports: int):
        self.con, self.as_of = con, as_of
        self.batch: list[tuple[str, Path]] = []
        self.sent: list = []
        workers = min(os.cpu_count() or 1, reports // REPORTS_PER_WORKER_RUN)
        self.workers = ThreadPoolExecutor(workers, thread_name_prefix="report-layout") if workers else None

    def write(self, month: str, path: Path) -> None:
        """Write the month's report at `path`: now, or with the batch it joins (by the end of the `with` block)."""
        self.batch.append((month, path))
        if len(self.batch) == REPORTS_PER_WORKER_RUN:
            self._send()

    def _send(self) -> None:
        if not self.batch:
            return
        contents = read_reports(self.con, [month for month, _ in self.batch], self.as_of)
        laid_out = [(content, path) for content, (_, path) in zip(contents, self.batch, strict=True)]
        self.batch = []
        if self.workers is None:
            for content, path in laid_out:
                lay_out_report(content, path)
        else:
            self.sent.append(self.workers.submit(lay_out_in_a_worker, laid_out))

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(self, error_type, *_) -> None:
        try:
            if error_type is None:
                self._send()
                for future in self.sent:
                    future.result()
        finally:
            if self.workers is not None:
                self.workers.shutdown(cancel_futures=True)
