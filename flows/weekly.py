"""The weekly run: discover -> validate -> load -> attribute -> reconcile -> publish, as a Prefect flow."""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.alerts import deliver_pending, emit_events, raise_alerts, should_alert
from flows.pipeline import (
    RunOutcome,
    attribute_and_reconcile,
    check_as_of,
    defer_later_weeks,
    discover_new_files,
    document_validations,
    inbox_folder_warnings,
    publish,
    quarantine_rejected,
    summary_tail_markdown,
    week_limit,
)
from flows.reference_checks import check_reference_files, run_warnings
from flows.validate import CheckedSubmission, Reference, check_submissions
from flows.warehouse import check_sites_kept, open_warehouse, record_submission, snapshot_trajectory
from flows.workspace import Workspace, default_workdir, open_workspace


@dataclass
class RunSummary(RunOutcome):
    resubmitted_keys: list[str] = field(default_factory=list)
    weeks_loaded: list[str] = field(default_factory=list)
    alerts: dict = field(default_factory=dict)


@task(cache_policy=NO_CACHE)
def validate_submissions(paths: list[Path], ws: Workspace, settings: dict, as_of: date,
                         journal: list) -> list[CheckedSubmission]:
    """Check the files; a week after as-of is refused only when it is after today too (else it is deferred)."""
    return check_submissions(paths, Reference.load(ws.reference), settings, week_limit(as_of), journal)


@task(cache_policy=NO_CACHE)
def load_submissions(con: duckdb.DuckDBPyConnection, checked: list[CheckedSubmission], as_of: date) -> list[int]:
    """Each file in its own transaction; returns the ids of the files recorded, in load order.

    A file the warehouse refuses is marked refused (with the database's reason) and quarantined
    by the next step; the other files load as usual.
    """
    file_ids = []
    for result in checked:
        received = datetime.fromtimestamp(result.path.stat().st_mtime) if result.path.exists() else None
        file_ids.append(record_submission(con, result, received, as_of))
    return file_ids


def resubmissions(con: duckdb.DuckDBPyConnection, file_ids: list[int]) -> list[str]:
    """The site-weeks whose earlier rows these files replaced (stg_superseded_returns), each with the
    file now in force: `SITE YYYY-MM-DD (file name)`. Read after the models are built."""
    if not file_ids:
        return []
    rows = con.execute("""
        select distinct superseded.site_code, superseded.week_ending, files.file_name, files.file_id
        from stg_superseded_returns as superseded
        join submission_files as files on files.file_id = superseded.superseded_by_file_id
        where files.file_id in (select unnest($1::integer[]))
        order by files.file_id, superseded.week_ending, superseded.site_code""", [file_ids]).fetchall()
    return [f"{site} {week.isoformat()} ({name})" for site, week, name, _ in rows]


@task(cache_policy=NO_CACHE)
def report_run(summary: RunSummary) -> None:
    """People-facing summary of the run as Prefect artifacts."""
    lines = [
        f"# Weekly DToC run, as of {summary.as_of}",
        "",
        f"- Workspace: `{summary.workdir}`",
        f"- Files accepted: **{len(summary.accepted)}**; quarantined: **{len(summary.quarantined)}**; "
        f"already processed earlier: {summary.already_processed}",
        f"- Site-weeks loaded: {len(summary.weeks_loaded)}"
        + (f" ({summary.weeks_loaded[0]} to {summary.weeks_loaded[-1]})" if summary.weeks_loaded else ""),
        f"- Resubmissions that replaced earlier figures: {len(summary.resubmitted_keys)}",
    ]
    lines += [f"  - {key}" for key in summary.resubmitted_keys]
    lines += alert_markdown(summary.alerts)
    lines += summary_tail_markdown(summary)
    create_markdown_artifact(key="weekly-dtoc-run-summary", markdown="\n".join(lines),
                             description="What the weekly DToC run accepted, quarantined and published")
    rows = [{"file": a["file"], "outcome": "accepted", "rows": a["rows"], "site_weeks": a["site_weeks"], "reason": ""}
            for a in summary.accepted]
    rows += [{"file": q["file"], "outcome": "quarantined", "rows": 0, "site_weeks": "", "reason": q["first_problem"]}
             for q in summary.quarantined]
    rows += [{"file": d["file"], "outcome": "left for a later run", "rows": 0, "site_weeks": "", "reason": d["reason"]}
             for d in summary.deferred]
    create_table_artifact(key="weekly-dtoc-files", table=rows or [{"file": "", "outcome": "no new files", "rows": 0,
                                                                     "site_weeks": "", "reason": ""}],
                          description="Every file this run looked at")


@task(cache_policy=NO_CACHE)
def alert(con: duckdb.DuckDBPyConnection, settings: dict, as_of: date, asked: bool | None) -> dict:
    """Raise this run's trajectory, missing-return and SPC alerts, emit them as events, deliver what is pending.

    A run for an earlier date than the latest alerting run (a rerun of the past, a backfill) raises
    nothing unless asked. Delivery problems are reported, never raised: the run goes on.
    """
    logger = get_run_logger()
    if not should_alert(con, as_of, asked):
        return {"raised": [], "delivered": 0, "pending": 0, "error": "", "quiet": True}
    raised = raise_alerts(con, as_of)
    try:
        emit_events(raised)
    except Exception as exc:  # events are a second channel; the alert stays in the log either way
        logger.warning("could not emit Prefect events for %d alert(s): %s", len(raised), exc)
    try:
        outcome = deliver_pending(con, settings)
    except Exception as exc:
        outcome = {"delivered": 0, "pending": len(raised), "error": f"{type(exc).__name__}: {exc}"}
    if outcome["error"] and outcome["pending"]:
        logger.warning("%d alert(s) pending delivery: %s", outcome["pending"], outcome["error"])
    return {"raised": [a["text"] for a in raised], **outcome, "quiet": False}


@flow(name="weekly_dtoc", log_prints=True)
def weekly_dtoc(workdir: str | None = None, as_of: date | None = None, alerts: bool | None = None,
                allow_future_as_of: bool = False) -> RunSummary:
    """Discover new weekly returns, validate them, load the good ones, attribute, reconcile, alert and publish.

    `alerts`: None (default) raises alerts unless as_of is before the latest alerting run;
    True raises them regardless (a backfill that should alert); False never does.
    An as_of after today is refused unless `allow_future_as_of`. A valid file carrying a week
    after as_of (not after today) is left in the inbox for the run that covers it.
    """
    logger = get_run_logger()
    ws = open_workspace(workdir or default_workdir())
    settings = ws.settings()
    check_reference_files(ws, settings)  # a wrong reference file or home_la stops the run here
    as_of = as_of or date.today()
    check_as_of(as_of, allow_future_as_of)
    summary = RunSummary(workdir=str(ws.root), as_of=as_of.isoformat(), flow_run_id=str(flow_run.id))
    with open_warehouse(ws.warehouse, settings["lock_timeout_seconds"]) as con:
        check_sites_kept(con, ws.reference)
        new_files, summary.already_processed = discover_new_files(con, ws.inbox_weekly, "submission_files")
        journal: list = []  # this run's Great Expectations results, for the Data Docs
        checked, summary.deferred = defer_later_weeks(validate_submissions(new_files, ws, settings, as_of, journal),
                                                      as_of)
        loaded = load_submissions(con, checked, as_of)
        summary.quarantined = quarantine_rejected(ws, checked)
        summary.trajectory_problems = attribute_and_reconcile(con, ws, settings, as_of, journal)
        summary.resubmitted_keys = resubmissions(con, loaded)
        snapshot_trajectory(con, as_of)
        summary.alerts = alert(con, settings, as_of, alerts)
        document_validations(ws, journal, "weekly", as_of)
        summary.published, summary.reconciled_months = publish(con, ws, as_of, summary)
        summary.warnings = run_warnings(con) + inbox_folder_warnings(ws.inbox_weekly)
    for result in checked:
        if result.accepted:
            summary.accepted.append({"file": result.path.name, "rows": result.returns.height,
                                     "site_weeks": len(result.keys)})
            summary.weeks_loaded.extend(f"{site} {week.isoformat()}" for site, week in result.keys)
    summary.weeks_loaded.sort(key=lambda key: (key.split()[1], key.split()[0]))
    for q in summary.quarantined:
        logger.warning("quarantined %s: %s", q["file"], q["first_problem"])
    for d in summary.deferred:
        logger.warning("left in the inbox %s: %s", d["file"], d["reason"])
    report_run(summary)
    return summary


def alert_markdown(alerts: dict) -> list[str]:
    if not alerts or alerts.get("quiet"):
        return ["- Alerts: none raised (a run for an earlier date than the latest alerting run)"]
    lines = [f"- Alerts raised: {len(alerts['raised'])}; delivered this run: {alerts['delivered']}; "
             f"pending: {alerts['pending']}" + (f" ({alerts['error']})" if alerts["error"] and alerts["pending"] else "")]
    return lines + [f"  - {text}" for text in alerts["raised"]]


def warm_up_libraries() -> None:
    """Import Great Expectations (about 2 s) and start the chart renderer in the background while Prefect starts."""
    def load() -> None:
        with contextlib.suppress(Exception):
            importlib.import_module("great_expectations")
            importlib.import_module("vl_convert").vegalite_to_svg('{"mark": "point"}')

    threading.Thread(target=load, name="dtoc-warm-up", daemon=True).start()


def run_weekly(workdir: str | os.PathLike, as_of: date | None = None, alerts: bool | None = None,
               allow_future_as_of: bool = False) -> RunSummary:
    warm_up_libraries()
    return weekly_dtoc(workdir=str(workdir), as_of=as_of, alerts=alerts, allow_future_as_of=allow_future_as_of)
