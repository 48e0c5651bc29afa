"""The monthly national run as a Prefect flow: discover -> validate -> load -> reconcile -> publish -> report.

NHS England publishes each month's SitRep about six weeks after the month ends. Dropping the
extract into inbox/national/ and running this flow (or waiting for its monthly schedule) loads
it and reconciles every month that has national data against the council's own count and
the BCF target.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.dashboard import draw_charts_soon
from flows.pipeline import (
    RunOutcome,
    attribute_and_reconcile,
    discover_new_files,
    document_validations,
    inbox_folder_warnings,
    log_files_not_taken,
    open_run,
    prepared_run,
    publish,
    quarantine_rejected,
    summary_tail_markdown,
)
from flows.reference_checks import run_warnings
from flows.sitrep import CheckedNationalFile, check_extracts
from flows.validate import Reference
from flows.warehouse import check_sites_kept, open_warehouse, record_national_files
from flows.workspace import Workspace


@dataclass
class NationalRunSummary(RunOutcome):
    republished_months: list[str] = field(default_factory=list)


@task(cache_policy=NO_CACHE)
def validate_extracts(paths: list[Path], ws: Workspace, journal: list) -> list[CheckedNationalFile]:
    return check_extracts(paths, Reference.load(ws.reference).dh_to_ons, journal)


@task(cache_policy=NO_CACHE)
def load_extracts(con: duckdb.DuckDBPyConnection, checked: list[CheckedNationalFile]) -> list[str]:
    """All the extracts in one transaction (a file the database refuses is quarantined, the others load);
    returns the months that replaced an earlier publication."""
    return record_national_files(con, checked)


@task(cache_policy=NO_CACHE)
def report_national_run(summary: NationalRunSummary, checked: list[CheckedNationalFile]) -> NationalRunSummary:
    """Complete the run summary with the extracts taken, log what was not, and show it as a Prefect artifact."""
    logger = get_run_logger()
    summary.accepted = [
        {
            "file": c.path.name,
            "months": ", ".join(c.months),
            "rows": c.rows_read,
            "header_line": c.header_line,
            "empty_cells": sum(c.empty_cells.values()),
            "unknown_la_codes": ", ".join(f"{code} ({n} rows)" for code, n in c.unknown_la_codes.items()),
        }
        for c in checked
        if c.accepted
    ]
    for item in summary.accepted:
        if item["unknown_la_codes"]:
            logger.warning(
                "%s: local authority codes not in reference/local_authorities.csv: %s",
                item["file"],
                item["unknown_la_codes"],
            )
    log_files_not_taken(summary)
    for warning in summary.warnings:
        logger.warning("%s", warning)
    lines = [
        f"# National DToC run, as of {summary.as_of}",
        "",
        f"- Workspace: `{summary.workdir}`",
        f"- Extracts accepted: **{len(summary.accepted)}**; quarantined: **{len(summary.quarantined)}**; "
        f"already processed earlier: {summary.already_processed}",
    ]
    for item in summary.accepted:
        lines.append(
            f"  - `{item['file']}`: months {item['months']}, {item['rows']} rows, header on line "
            f"{item['header_line']}, empty numeric cells {item['empty_cells']}"
            + (f", unknown LA codes {item['unknown_la_codes']}" if item["unknown_la_codes"] else "")
        )
    lines.append(
        f"- Re-published months (the earlier publication is kept in history): "
        f"{', '.join(summary.republished_months) or 'none'}"
    )
    lines += summary_tail_markdown(summary)
    create_markdown_artifact(
        key="national-dtoc-run-summary",
        markdown="\n".join(lines),
        description="What the national DToC run loaded, quarantined and reconciled",
    )
    return summary


@flow(name="national_dtoc", log_prints=True)
def national_dtoc(
    workdir: str | None = None, as_of: date | None = None, allow_future_as_of: bool = False
) -> NationalRunSummary:
    """Load new national SitRep extracts and reconcile every month that has national data."""
    as_of = as_of or date.today()
    ws, settings = open_run(workdir, as_of, allow_future_as_of)
    summary = NationalRunSummary(workdir=str(ws.root), as_of=as_of.isoformat(), flow_run_id=str(flow_run.id))
    with open_warehouse(ws.warehouse, settings.lock_timeout_seconds) as con:
        check_sites_kept(con, ws.reference)
        new_files, summary.already_processed = discover_new_files(con, ws.inbox_national, "national_files")
        journal: list = []  # this run's Great Expectations results, for the Data Docs
        checked = validate_extracts(new_files, ws, journal)
        summary.republished_months = load_extracts(con, checked)
        summary.quarantined = quarantine_rejected(ws, checked)
        summary.trajectory_problems = attribute_and_reconcile(con, ws, settings, as_of, journal)
        draw_charts_soon(con)  # drawn while the run goes on
        document_validations(ws, journal, "national", as_of)
        summary.published, summary.reconciled_months = publish(con, ws, as_of, summary)
        summary.warnings = run_warnings(con) + inbox_folder_warnings(ws.inbox_national)
    return report_national_run(summary, checked)


def run_national(
    workdir: str | os.PathLike, as_of: date | None = None, allow_future_as_of: bool = False
) -> NationalRunSummary:
    with prepared_run():
        return national_dtoc(workdir=str(workdir), as_of=as_of, allow_future_as_of=allow_future_as_of)
