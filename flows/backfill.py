"""Backfills: load whatever is in the inboxes, then recompute every week and month of a range.

    discover -> weekly returns: check (fanned out over chunks of files) -> load each chunk as it is checked
             -> national extracts: read (fanned out over chunks) -> stage each chunk's rows in the warehouse
                -> validate every cell of every extract in one pass -> load them all in one transaction
    -> reconcile -> replay every week of the range (the trajectory as it stood at that week's as-of,
       and its alerts when asked) -> publish at the end of the range

Reading and checking files is pure work on files and reference data, so it runs on the flow's
task runner: threads by default, a Dask cluster when `DTOC_DASK_ADDRESS` names a scheduler
(`prefect-dask`). DuckDB stays the single writer: every load, snapshot and publication happens
in this flow's process, in order. Running the same backfill twice changes nothing.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from flows.dashboard import draw_charts_soon
from flows.pipeline import (
    RunOutcome,
    attribute_and_reconcile,
    defer_later_weeks,
    discover_new_files,
    inbox_folder_warnings,
    load_submissions,
    log_files_not_taken,
    open_run,
    prepared_run,
    publish,
    quarantine_rejected,
    raise_alerts,
    summary_tail_markdown,
    week_limit,
)
from flows.reference_checks import run_warnings
from flows.sitrep import CheckedNationalFile, ReadExtracts, check_values, read_extracts
from flows.validate import CheckedSubmission, Reference, check_submissions
from flows.warehouse import (
    check_sites_kept,
    open_warehouse,
    record_national_files,
    snapshot_trajectory,
    stage_national_rows,
)
from flows.workspace import WEEKDAYS, Settings, environment

SOURCES = ("weekly", "national")
FILES_PER_CHUNK = 250
CHUNK_BYTES = 8000000  # about four months of national extracts: memory stays bounded on a backfill of 115 months


def backfill_task_runner():
    """Dask when DTOC_DASK_ADDRESS names a scheduler (tcp://host:8786), else two threads."""
    address = environment("DTOC_DASK_ADDRESS")
    if address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=address)
    return ThreadPoolTaskRunner(max_workers=2)


@dataclass
class BackfillSummary(RunOutcome):
    date_from: str = ""
    sources: list[str] = field(default_factory=list)
    weeks_recomputed: int = 0
    alerts_raised: int = 0
    site_weeks_loaded: int = 0
    national_months_loaded: list[str] = field(default_factory=list)


def week_endings(date_from: date, date_to: date, weekday: str) -> list[date]:
    first = date_from + timedelta(days=(WEEKDAYS.index(weekday) - date_from.weekday()) % 7)
    return [first + timedelta(weeks=n) for n in range((date_to - first).days // 7 + 1)] if first <= date_to else []


def chunks(paths: list[Path], size: int = FILES_PER_CHUNK, max_bytes: int = CHUNK_BYTES) -> list[list[Path]]:
    """Consecutive groups of files, at most `size` files or `max_bytes` of input each (order kept)."""
    groups: list[list[Path]] = [[]]
    weight = 0
    for path in paths:
        length = path.stat().st_size
        if groups[-1] and (len(groups[-1]) >= size or weight + length > max_bytes):
            groups.append([])
            weight = 0
        groups[-1].append(path)
        weight += length
    return [group for group in groups if group]


def read_ahead(reader, groups: list[list[Path]], *args, ahead: int = 2) -> Iterator:
    """Submit `reader` for each group of files, in order, at most `ahead` groups before the one being used.

    A generator: the next group is submitted only as an earlier one is taken, so that reading
    cannot run far ahead of the single writer and pile the read rows up in memory.
    """
    waiting: deque = deque()
    for group in groups:
        waiting.append(reader.submit(group, *args))
        if len(waiting) > ahead:
            yield waiting.popleft()
    yield from waiting


@task(cache_policy=NO_CACHE)
def check_weekly_chunk(
    paths: list[Path], reference_dir: Path, settings: Settings, as_of: date
) -> list[CheckedSubmission]:
    """Check the files; a week after as-of is refused only when it is after today too (else it is deferred)."""
    return check_submissions(paths, Reference.load(reference_dir), settings, week_limit(as_of))


@task(cache_policy=NO_CACHE)
def load_weekly_chunk(
    con, checked: list[CheckedSubmission], date_to: date
) -> tuple[list[CheckedSubmission], list[dict], int]:
    """Load one checked chunk, each file in its own transaction; a file with a week after date_to is left for
    later. Returns the files recorded (their rows let go: they are in the warehouse), those left, and the
    site-weeks loaded."""
    checked, deferred = defer_later_weeks(checked, date_to)
    load_submissions(con, checked, date_to)
    site_weeks = sum(len(c.keys) for c in checked if c.accepted)
    for result in checked:
        result.returns = None
    return checked, deferred, site_weeks


@task(cache_policy=NO_CACHE)
def read_national_chunk(paths: list[Path], reference_dir: Path) -> ReadExtracts:
    """Read a chunk of extracts: unreadable ones refused, the others' rows and distinct values kept."""
    return read_extracts(paths, Reference.load(reference_dir).dh_to_ons)


def stage_national_chunk(con, chunk: ReadExtracts) -> ReadExtracts:
    """Hand a read chunk's rows to the warehouse's staging table; the chunk keeps its distinct values.

    A plain call in the flow, not a task of its own: a task run costs Prefect's server about 40 ms of
    CPU, and a 115-month backfill stages 39 chunks, each about 30 ms of our own work.
    """
    stage_national_rows(con, chunk.checked)
    return chunk


@task(cache_policy=NO_CACHE)
def check_national_cells(chunks_read: list[ReadExtracts], reference_dir: Path) -> list[CheckedNationalFile]:
    """Every cell of every extract against the suite, in one pass over their distinct values."""
    check_values(chunks_read, Reference.load(reference_dir).dh_to_ons)
    return [result for chunk in chunks_read for result in chunk.checked]


@task(cache_policy=NO_CACHE)
def load_national(con, checked: list[CheckedNationalFile]) -> list[str]:
    """The staged rows of every accepted extract in one transaction (see `record_national_files`)."""
    return record_national_files(con, checked)


@task(cache_policy=NO_CACHE)
def recompute_weeks(con, settings: Settings, weeks: list[date], alerts: bool, date_to: date) -> tuple[int, int]:
    """The trajectory (and, when asked, the alerts) as they stood at each week's as-of, in order.

    The models are views on the run's `as_of` variable, so each week only moves that date. With
    no trajectory at the range's end (none planned up to then, so none at any earlier as-of), no
    earlier snapshot in the range and no alerts asked for, replaying would change nothing: skipped.
    """
    if weeks and not alerts and nothing_to_replay(con, weeks, date_to):
        return 0, 0
    raised = 0
    for week in _progress(weeks, "weeks"):
        as_of = week + timedelta(days=1)
        con.execute("set variable as_of = ?", [as_of])
        snapshot_trajectory(con, as_of)
        if alerts:
            raised += len(raise_alerts(con, settings, as_of, True)["raised"])
    con.execute("set variable as_of = ?", [date_to])
    return len(weeks), raised


def nothing_to_replay(con, weeks: list[date], date_to: date) -> bool:
    con.execute("set variable as_of = ?", [date_to])
    planned = con.execute("select count(*) from trajectory_status").fetchone()[0]
    earlier = con.execute(
        "select count(*) from trajectory_snapshots where as_of between ? and ?",
        [weeks[0] + timedelta(days=1), weeks[-1] + timedelta(days=1)],
    ).fetchone()[0]
    return planned == 0 and earlier == 0


def _progress(items: list, unit: str):
    if sys.stderr.isatty():
        from tqdm import tqdm

        return tqdm(items, unit=unit, desc="backfill")
    return items


@flow(name="backfill_dtoc", log_prints=True, task_runner=backfill_task_runner())
def backfill_dtoc(
    date_from: date,
    date_to: date,
    workdir: str | None = None,
    sources: list[str] | None = None,
    alerts: bool = False,
    files_per_chunk: int = FILES_PER_CHUNK,
    allow_future_as_of: bool = False,
) -> BackfillSummary:
    """Load new files from the inboxes and recompute every week and month from date_from to date_to.

    A date_to after today is refused unless `allow_future_as_of`. A valid weekly file carrying a
    week after date_to (not after today) is left in the inbox for the run that covers it.
    """
    sources = [s for s in (sources or list(SOURCES)) if s]
    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(unknown)}: use weekly and/or national")
    ws, settings = open_run(workdir, date_to, allow_future_as_of, "--to date")
    summary = BackfillSummary(
        workdir=str(ws.root),
        as_of=date_to.isoformat(),
        date_from=date_from.isoformat(),
        sources=sources,
        flow_run_id=str(flow_run.id),
    )
    with open_warehouse(ws.warehouse, settings.lock_timeout_seconds) as con:
        check_sites_kept(con, ws.reference)
        weekly_files, national_files, processed = [], [], 0
        if "weekly" in sources:
            weekly_files, earlier = discover_new_files(con, ws.inbox_weekly, "submission_files")
            processed += earlier
        if "national" in sources:
            national_files, earlier = discover_new_files(con, ws.inbox_national, "national_files")
            processed += earlier
        summary.already_processed = processed
        weekly_futures = [
            check_weekly_chunk.submit(chunk, ws.reference, settings, date_to)
            for chunk in chunks(weekly_files, files_per_chunk)
        ]
        national_futures = read_ahead(read_national_chunk, chunks(national_files, files_per_chunk), ws.reference)
        weekly: list[CheckedSubmission] = []
        for future in weekly_futures:  # loaded chunk by chunk, in order, as each is checked
            loaded, deferred, site_weeks = load_weekly_chunk(con, future, date_to)
            weekly += loaded
            summary.deferred += deferred
            summary.site_weeks_loaded += site_weeks
        national: list[CheckedNationalFile] = []
        if national_files:  # staged chunk by chunk as each is read, then judged and loaded together
            national = check_national_cells(
                [stage_national_chunk(con, future.result()) for future in national_futures], ws.reference
            )
            load_national(con, national)
        summary.quarantined = quarantine_rejected(ws, [c for c in weekly + national if not c.accepted])
        summary.trajectory_problems = attribute_and_reconcile(con, ws, settings, date_to, None)  # no Data Docs
        weeks = week_endings(date_from, date_to, settings.week_ending_weekday)
        summary.weeks_recomputed, summary.alerts_raised = recompute_weeks(con, settings, weeks, alerts, date_to)
        draw_charts_soon(con)  # drawn while the month files and reports are written
        summary.published, summary.reconciled_months = publish(con, ws, date_to, summary)
        summary.warnings = (
            run_warnings(con) + inbox_folder_warnings(ws.inbox_weekly) + inbox_folder_warnings(ws.inbox_national)
        )
    return report_backfill(summary, weekly + national)


@task(cache_policy=NO_CACHE)
def report_backfill(summary: BackfillSummary, checked: list) -> BackfillSummary:
    """Complete the summary with the files taken and the months loaded, log what was not, show it as an artifact."""
    summary.accepted = [{"file": c.path.name} for c in checked if c.accepted]
    summary.national_months_loaded = sorted(
        {m for c in checked if c.accepted and isinstance(c, CheckedNationalFile) for m in c.months}
    )
    log_files_not_taken(summary)
    lines = [
        f"# DToC backfill {summary.date_from} to {summary.as_of}",
        "",
        f"- Workspace: `{summary.workdir}`; sources: {', '.join(summary.sources)}",
        f"- Files accepted: **{len(summary.accepted)}**; quarantined: **{len(summary.quarantined)}**; "
        f"already processed earlier: {summary.already_processed}",
        f"- Site-weeks loaded: {summary.site_weeks_loaded}; national months loaded: "
        f"{len(summary.national_months_loaded)}",
        f"- Weeks recomputed at their own as-of: {summary.weeks_recomputed}"
        + ("" if summary.weeks_recomputed else " (no BCF trajectory up to the range's end: nothing to replay)")
        + f"; alerts raised: {summary.alerts_raised}",
    ]
    lines += summary_tail_markdown(summary)
    create_markdown_artifact(
        key="backfill-dtoc-summary",
        markdown="\n".join(lines),
        description="What the backfill loaded, quarantined and recomputed",
    )
    return summary


def run_backfill(
    workdir,
    date_from: date,
    date_to: date,
    sources: list[str] | None = None,
    alerts: bool = False,
    task_runner=None,
    files_per_chunk: int = FILES_PER_CHUNK,
    allow_future_as_of: bool = False,
) -> BackfillSummary:
    chosen = backfill_dtoc if task_runner is None else backfill_dtoc.with_options(task_runner=task_runner)
    # national extracts and reference files that certainly pass are judged in DuckDB without Great Expectations
    # (no Data Docs in a backfill); weekly returns need it (their suites have rules DuckDB does not answer)
    with prepared_run(great_expectations="weekly" in (sources or SOURCES), data_docs=False):
        return chosen(
            date_from=date_from,
            date_to=date_to,
            workdir=str(workdir),
            sources=sources,
            alerts=alerts,
            files_per_chunk=files_per_chunk,
            allow_future_as_of=allow_future_as_of,
        )
