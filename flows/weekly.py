"""The weekly run as a Prefect flow: discover -> validate -> load -> attribute -> reconcile -> alert -> publish
-> report. The steps it shares with the other flows are in flows/pipeline.py."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.dashboard import draw_charts_soon
from flows.pipeline import (
    RunOutcome,
    attribute_and_reconcile,
    defer_later_weeks,
    discover_new_files,
    document_validations,
    inbox_folder_warnings,
    keep_trajectory_snapshot,
    load_submissions,
    log_files_not_taken,
    open_run,
    prepared_run,
    publish,
    quarantine_rejected,
    raise_alerts,
    resubmissions,
    summary_tail_markdown,
    week_limit,
)
from flows.reference_checks import run_warnings
from flows.validate import CheckedSubmission, Reference, check_submissions
from flows.warehouse import check_sites_kept, open_warehouse
from flows.workspace import Settings, Workspace


@dataclass
class RunSummary(RunOutcome):
    resubmitted_keys: list[str] = field(default_factory=list)
    weeks_loaded: list[str] = field(default_factory=list)
    alerts: dict = field(default_factory=dict)  # what raise_alerts returned: raised, delivered, pending, error, quiet


@task(cache_policy=NO_CACHE)
def validate_submissions(
    paths: list[Path], ws: Workspace, settings: Settings, as_of: date, journal: list
) -> list[CheckedSubmission]:
    """Check the files; a week after as-of is refused only when it is after today too (else it is deferred)."""
    return check_submissions(paths, Reference.load(ws.reference), settings, week_limit(as_of), journal)


@task(cache_policy=NO_CACHE)
def report_run(summary: RunSummary, checked: list[CheckedSubmission]) -> RunSummary:
    """Complete the run summary with the files taken, log what was not, and show it as Prefect artifacts."""
    for result in checked:
        if result.accepted:
            summary.accepted.append(
                {"file": result.path.name, "rows": result.returns.height, "site_weeks": len(result.keys)}
            )
            summary.weeks_loaded.extend(f"{site} {week.isoformat()}" for site, week in result.keys)
    summary.weeks_loaded.sort(key=lambda key: (key.split()[1], key.split()[0]))
    log_files_not_taken(summary)
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
    create_markdown_artifact(
        key="weekly-dtoc-run-summary",
        markdown="\n".join(lines),
        description="What the weekly DToC run accepted, quarantined and published",
    )
    rows = [
        {"file": a["file"], "outcome": "accepted", "rows": a["rows"], "site_weeks": a["site_weeks"], "reason": ""}
        for a in summary.accepted
    ]
    rows += [
        {"file": q["file"], "outcome": "quarantined", "rows": 0, "site_weeks": "", "reason": q["first_problem"]}
        for q in summary.quarantined
    ]
    rows += [
        {"file": d["file"], "outcome": "left for a later run", "rows": 0, "site_weeks": "", "reason": d["reason"]}
        for d in summary.deferred
    ]
    create_table_artifact(
        key="weekly-dtoc-files",
        table=rows or [{"file": "", "outcome": "no new files", "rows": 0, "site_weeks": "", "reason": ""}],
        description="Every file this run looked at",
    )
    return summary


def alert_markdown(alerts: dict) -> list[str]:
    if not alerts or alerts.get("quiet"):
        return ["- Alerts: none raised (a run for an earlier date than the latest alerting run)"]
    lines = [
        f"- Alerts raised: {len(alerts['raised'])}; delivered this run: {alerts['delivered']}; "
        f"pending: {alerts['pending']}" + (f" ({alerts['error']})" if alerts["error"] and alerts["pending"] else "")
    ]
    return lines + [f"  - {text}" for text in alerts["raised"]]


@flow(name="weekly_dtoc", log_prints=True)
def weekly_dtoc(
    workdir: str | None = None, as_of: date | None = None, alerts: bool | None = None, allow_future_as_of: bool = False
) -> RunSummary:
    """Discover new weekly returns, validate them, load the good ones, attribute, reconcile, alert and publish.

    `alerts`: None (default) raises alerts unless as_of is before the latest alerting run;
    True raises them regardless (a backfill that should alert); False never does.
    An as_of after today is refused unless `allow_future_as_of`. A valid file carrying a week
    after as_of (not after today) is left in the inbox for the run that covers it.
    """
    as_of = as_of or date.today()
    ws, settings = open_run(workdir, as_of, allow_future_as_of)
    summary = RunSummary(workdir=str(ws.root), as_of=as_of.isoformat(), flow_run_id=str(flow_run.id))
    with open_warehouse(ws.warehouse, settings.lock_timeout_seconds) as con:
        check_sites_kept(con, ws.reference)
        new_files, summary.already_processed = discover_new_files(con, ws.inbox_weekly, "submission_files")
        journal: list = []  # this run's Great Expectations results, for the Data Docs
        checked, summary.deferred = defer_later_weeks(
            validate_submissions(new_files, ws, settings, as_of, journal), as_of
        )
        loaded = load_submissions(con, checked, as_of)
        summary.quarantined = quarantine_rejected(ws, checked)
        summary.trajectory_problems = attribute_and_reconcile(con, ws, settings, as_of, journal)
        draw_charts_soon(con)  # drawn while the run goes on
        summary.resubmitted_keys = resubmissions(con, loaded)
        keep_trajectory_snapshot(con, as_of)
        summary.alerts = raise_alerts(con, settings, as_of, alerts)
        document_validations(ws, journal, "weekly", as_of)
        summary.published, summary.reconciled_months = publish(con, ws, as_of, summary)
        summary.warnings = run_warnings(con) + inbox_folder_warnings(ws.inbox_weekly)
    return report_run(summary, checked)


def run_weekly(
    workdir: str | os.PathLike, as_of: date | None = None, alerts: bool | None = None, allow_future_as_of: bool = False
) -> RunSummary:
    with prepared_run():
        return weekly_dtoc(workdir=str(workdir), as_of=as_of, alerts=alerts, allow_future_as_of=allow_future_as_of)
