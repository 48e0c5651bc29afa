"""Steps the flows share (weekly, national, backfill): discover, load, quarantine, attribute/reconcile,
snapshot, alert, publish; and what every run summary holds. The flow modules hold only their flow."""

from __future__ import annotations

import contextlib
import contextvars
import csv
import functools
import gc
import hashlib
import importlib
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

import duckdb
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows import commentary as commentary_module
from flows import report as report_module
from flows import report_layout as report_layout_module
from flows import warehouse as warehouse_module
from flows.alerts import deliver_pending, emit_events, should_alert, store_new_alerts
from flows.charts import start_drawing
from flows.commentary import commentary_months, write_commentary
from flows.dashboard import TEMPLATES as DASHBOARD_TEMPLATES
from flows.dashboard import build_dashboard
from flows.data_docs import document_validations as build_data_docs
from flows.ingest import content_hash
from flows.output_checks import OutputChecks, summary_rows
from flows.prefect_server import flow_run_settings, wait_for_api_server
from flows.report import ReportWriter, rows_by_month
from flows.trajectory import FILE_NAME as TRAJECTORY_FILE
from flows.trajectory import check_bcf_trajectory
from flows.validate import CheckedFile, CheckedSubmission, Reference, describe
from flows.warehouse import (
    MONTHLY_TABLES,
    PUBLISH_ORDER,
    PUBLISHED_TABLES,
    build_models,
    check_workspace_path,
    known_hashes,
    publish_months,
    publish_order,
    publish_table,
    reconciled_months,
    record_submission,
    set_run_variables,
    snapshot_trajectory,
)
from flows.workspace import Settings, Workspace, default_workdir, open_workspace

ERRORS_HEADER = ("file", "row", "column", "value", "problem")
# the published tables a month's Excel report reads: one failing them withholds the report too
REPORT_TABLES = ("reconciliation", "gap_decomposition", "la_rates", "kpi_monthly", "weekly_site_summary")


@dataclass
class RunOutcome:
    """What every run reports: files taken and refused, the trajectory's state, months reconciled, outputs."""

    workdir: str
    as_of: str
    accepted: list[dict] = field(default_factory=list)
    quarantined: list[dict] = field(default_factory=list)
    already_processed: int = 0
    deferred: list[dict] = field(default_factory=list)  # files left in the inbox for a later run
    reconciled_months: list[str] = field(default_factory=list)
    trajectory_problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # figures published blank for want of reference or national data
    published: list[str] = field(default_factory=list)
    flow_run_id: str = ""
    # one entry per published table checked before writing: table, suite, expectations, rows, success, problems
    output_checks: list[dict] = field(default_factory=list)
    # files not written because their table failed its checks (the previous file is kept): file, table, reasons
    not_published: list[dict] = field(default_factory=list)


def inbox_files(folder: Path) -> list[Path]:
    """Files waiting in an inbox, oldest received first (ties by name).

    Hidden files and Excel's owner files (`~$name.xlsx`, present while a workbook is open) are not returns.
    """
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def inbox_folder_warnings(folder: Path) -> list[str]:
    """Folders inside an inbox are not read: say so, so that returns filed in one are not forgotten."""
    return [
        f"the folder {sub.name!r} in {folder} is not read: move the returns in it into {folder} itself"
        for sub in sorted(folder.iterdir())
        if sub.is_dir() and not sub.name.startswith(".")
    ]


class AsOfInFuture(ValueError):
    """A run dated after today: refused unless explicitly allowed."""


def check_as_of(as_of: date, allow_future: bool, what: str = "as-of date") -> None:
    """Refuse a run dated after today (a typo such as 2029 would silence alerts until then)."""
    if as_of > date.today() and not allow_future:
        raise AsOfInFuture(
            f"the {what} {as_of.isoformat()} is after today ({date.today().isoformat()}); "
            "a run can only look at weeks that have ended. Nothing was changed. Check the date, "
            "or pass --allow-future-as-of (flow parameter allow_future_as_of) if you really mean it."
        )


def open_run(
    workdir: str | None, as_of: date, allow_future_as_of: bool, what: str = "as-of date"
) -> tuple[Workspace, Settings]:
    """The run's first step: its as-of checked, its workspace opened, settings read, reference files checked.

    A date after today, a workspace path DuckDB cannot keep a warehouse under, a wrong setting, reference file or
    home_la stops the run here, before anything is read or changed.
    """
    from flows.reference_checks import check_reference_files

    check_as_of(as_of, allow_future_as_of, what)
    check_workspace_path(workdir)
    ws = open_workspace(workdir or default_workdir())
    settings = ws.settings()
    check_reference_files(ws, settings)
    return ws, settings


def week_limit(as_of: date) -> date:
    """The latest week ending a return may carry: today (or a deliberately future as-of)."""
    return max(as_of, date.today())


@contextlib.contextmanager
def prepared_run(great_expectations: bool = True, data_docs: bool = True):
    """Around a `run_*` call of a flow: while Prefect starts, in the background, start the chart renderer,
    import Great Expectations (about 2 s; not when the run may well not need it) and compile the templates
    of the dashboard and (when the run builds them) the Data Docs; wait for the Prefect API server a `dtoc`
    command started early, then run the flow in that server's settings (see flows.prefect_server).
    Nothing done in the background can stop a run: what failed there is done again when the run needs it."""

    def load() -> None:
        with contextlib.suppress(Exception):  # a chart the helper cannot draw is drawn in the run's process
            start_drawing()
        with contextlib.suppress(Exception):
            if great_expectations:
                importlib.import_module("great_expectations")
        with contextlib.suppress(Exception):
            DASHBOARD_TEMPLATES.get_template("dashboard.html")
        with contextlib.suppress(Exception):
            if great_expectations and data_docs:
                importlib.import_module("flows.data_docs_views").compile_templates()
        keep_imports_out_of_garbage_collection()

    threading.Thread(target=load, name="dtoc-warm-up", daemon=True).start()
    wait_for_api_server()
    with flow_run_settings():
        yield


@functools.cache
def keep_imports_out_of_garbage_collection() -> None:
    """Once per process, after the imports a run needs: move every object alive now (the modules of Prefect, Great
    Expectations, pandas: millions of them, alive until the process ends) out of the garbage collector's sight.

    Python's full collections otherwise walk all of them again, 0.1-0.25 s each, whenever enough new objects
    have been made: two or three times in a weekly run, in whichever step happens to cross the threshold."""
    gc.collect()
    gc.freeze()


@task(cache_policy=NO_CACHE)
def discover_new_files(con: duckdb.DuckDBPyConnection, inbox: Path, files_table: str) -> tuple[list[Path], int]:
    """New or changed files in an inbox; a file whose bytes are the version of that name currently loaded is skipped.

    A file changed back to an earlier version is read again (it differs from the version loaded
    now). Returns the files to read, oldest received first, and how many were skipped.
    """
    loaded = known_hashes(con, files_table)
    waiting = inbox_files(inbox)
    new = [p for p in waiting if (p.name, content_hash(p)) not in loaded]
    return new, len(waiting) - len(new)


def defer_later_weeks(checked: list, as_of: date) -> tuple[list, list[dict]]:
    """Split accepted weekly files carrying a week after as-of (but not after today) from the rest.

    Such a file belongs to a later run: it stays in the inbox untouched and is not recorded, so the
    run that covers its weeks reads it. A file mixing weeks up to as-of with later weeks is left
    whole. Returns the files to load or quarantine now, and what was left, with the reason.
    """
    now, deferred = [], []
    for item in checked:
        later = sorted({week for _, week in item.keys if week > as_of}) if item.accepted else []
        if later:
            mixed = any(week <= as_of for _, week in item.keys)
            deferred.append(
                {
                    "file": item.path.name,
                    "weeks_after_as_of": [w.isoformat() for w in later],
                    "reason": f"carries week(s) ending {', '.join(w.isoformat() for w in later)}, after "
                    f"this run's as-of {as_of.isoformat()}"
                    + ("; it also has earlier weeks and is kept whole" if mixed else "")
                    + ": left in the inbox for the run that covers them",
                }
            )
        else:
            now.append(item)
    return now, deferred


def write_errors_csv(path: Path, problems: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        write_problems(handle, problems)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading ' (so -5 shows as '-5, as typed)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_problems(handle: TextIO, problems: list[dict]) -> None:
    """The errors.csv of a refused file; no cell starts with a character that makes it a formula."""
    writer = csv.DictWriter(handle, fieldnames=ERRORS_HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows({name: spreadsheet_safe(value) for name, value in problem.items()} for problem in problems)


@task(cache_policy=NO_CACHE)
def quarantine_rejected(ws: Workspace, checked: list[CheckedFile]) -> list[dict]:
    """Move each refused file (a checked weekly return or national extract) to quarantine/ with its errors.csv."""
    moved = []
    for item in (c for c in checked if not c.accepted):
        target = ws.quarantine / item.path.name
        if target.exists() and content_hash(target) != item.content_hash:
            target = target.with_name(f"{item.path.stem}__{item.content_hash[:8]}{item.path.suffix}")
        shutil.move(item.path, target)
        write_errors_csv(target.with_name(target.name + ".errors.csv"), [p.as_dict() for p in item.problems])
        moved.append(
            {
                "file": item.path.name,
                "quarantined_as": str(target),
                "problems": len(item.problems),
                "first_problem": describe(item.problems[0].as_dict()),
            }
        )
    return moved


@task(cache_policy=NO_CACHE)
def attribute_and_reconcile(
    con: duckdb.DuckDBPyConnection, ws: Workspace, settings: Settings, as_of: date, journal: list | None
) -> list[str]:
    """Build the SQL models (attribution, monthly tables, reconciliation) on the checked BCF trajectory.

    Returns the trajectory's problems, already written to quarantine/bcf_trajectory.csv.errors.csv;
    with any problem the trajectory is not used and targets are left blank.
    """
    set_run_variables(con, settings, as_of, ws.reference)
    trajectory, problems = check_bcf_trajectory(
        ws.reference, Reference.load(ws.reference), journal, ws.publish / "data_docs"
    )
    errors = ws.quarantine / f"{TRAJECTORY_FILE}.errors.csv"
    if problems:
        write_errors_csv(errors, [p.as_dict() for p in problems])
    elif errors.exists():
        errors.unlink()
    build_models(con, trajectory)
    return [describe(p.as_dict()) for p in problems]


@task(cache_policy=NO_CACHE)
def document_validations(ws: Workspace, journal: list, run_name: str, as_of: date) -> str:
    """Great Expectations Data Docs of this run's validations (a failed file's included) in publish/data_docs/."""
    if not journal:
        return ""
    return str(build_data_docs(ws.root, ws.publish / "data_docs", journal, run_name, as_of))


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


@task(cache_policy=NO_CACHE)
def resubmissions(con: duckdb.DuckDBPyConnection, file_ids: list[int]) -> list[str]:
    """The site-weeks whose earlier rows these files replaced (stg_superseded_returns), each with the
    file now in force: `SITE YYYY-MM-DD (file name)`. Read after the models are built."""
    if not file_ids:
        return []
    rows = con.execute(
        """
        select distinct superseded.site_code, superseded.week_ending, files.file_name, files.file_id
        from stg_superseded_returns as superseded
        join submission_files as files on files.file_id = superseded.superseded_by_file_id
        where files.file_id in (select unnest($1::integer[]))
        order by files.file_id, superseded.week_ending, superseded.site_code""",
        [file_ids],
    ).fetchall()
    return [f"{site} {week.isoformat()} ({name})" for site, week, name, _ in rows]


@task(cache_policy=NO_CACHE)
def keep_trajectory_snapshot(con: duckdb.DuckDBPyConnection, as_of: date) -> int:
    """The trajectory as it stands at this as-of, kept in trajectory_snapshots; returns the snapshot number."""
    return snapshot_trajectory(con, as_of)


@task(cache_policy=NO_CACHE)
def raise_alerts(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: date, asked: bool | None) -> dict:
    """Raise this run's trajectory, missing-return and SPC alerts, emit them as events, deliver what is pending.

    A run for an earlier date than the latest alerting run (a rerun of the past, a backfill) raises
    nothing unless asked. Delivery problems are reported, never raised: the run goes on. Returns
    what the run summary shows: the alerts raised, how many were delivered, how many are pending,
    the last delivery error, and whether the run stayed quiet.
    """
    logger = get_run_logger()
    if not should_alert(con, as_of, asked):
        return {"raised": [], "delivered": 0, "pending": 0, "error": "", "quiet": True}
    raised = store_new_alerts(con, as_of)
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


@task(cache_policy=NO_CACHE)
def publish(
    con: duckdb.DuckDBPyConnection, ws: Workspace, as_of: date, outcome: RunOutcome
) -> tuple[list[str], list[str]]:
    """Every published table, for each month with national data its reconciliation and report, the dashboard.

    Each table is checked against its expectation suite first (flows/output_checks.py); a table, month
    file or report that fails is not written (its previous file stays) and is listed in
    `outcome.not_published` with the reasons. A month's files are written only when something they
    show has changed since they were last written (`month_fingerprints`). Returns the published files
    and the months reconciled; each reconciliation written is also a Prefect table artifact. A table
    whose rows, columns and rules are those it last passed with is not checked or written again.
    """
    with OutputChecks(con) as checks:
        paths, months, withheld = _publish_checked(con, ws, as_of, checks)
    outcome.output_checks = summary_rows(checks)
    outcome.not_published = withheld
    if withheld:
        logger = get_run_logger()
        for item in withheld:
            logger.warning(
                "not published (the previous file is kept): %s: %s", item["file"], "; ".join(item["reasons"])
            )
    return [str(path) for path in paths], months


def _publish_checked(
    con: duckdb.DuckDBPyConnection, ws: Workspace, as_of: date, checks: OutputChecks
) -> tuple[list[Path], list[str], list[dict]]:
    withheld: list[dict] = []

    def passes(file_name: str, reasons: list[str], table: str) -> bool:
        if reasons:
            withheld.append({"file": file_name, "table": table, "reasons": reasons})
        return not reasons

    stored = dict(con.execute("select output, fingerprint from published_fingerprints").fetchall())

    # A file is up to date when what it shows is unchanged AND its bytes are those this pipeline wrote:
    # a report saved over in Excel, a truncated copy or a hand-edited CSV is written again.
    def on_disk(path: Path, fingerprint: str) -> str:
        return f"{fingerprint} {hashlib.sha256(path.read_bytes()).hexdigest()}"

    def up_to_date(path: Path, fingerprint: str) -> bool:
        kept = stored.get(path.name, "")
        return kept.startswith(f"{fingerprint} ") and path.exists() and kept == on_disk(path, fingerprint)

    # recorded together at the end (one statement): a run stopped before then writes its files again next time
    fresh: dict[str, str] = {}

    def written(path: Path, fingerprint: str) -> None:
        fresh[path.name] = on_disk(path, fingerprint)

    paths = []
    for name in PUBLISHED_TABLES:
        if not passes(f"{name}.csv", checks(name), name):
            continue
        path = ws.publish / f"{name}.csv"
        fingerprint = hashlib.sha256(
            "\n".join([checks.fingerprint(name), PUBLISH_ORDER.get(name, ""), CSV_WRITER]).encode()
        ).hexdigest()
        if not (checks.fingerprint(name) and up_to_date(path, fingerprint)):
            publish_table(con, name, ws.publish)
            written(path, fingerprint)
        paths.append(path)
    months = reconciled_months(con)
    commentaries = commentary_months(con)
    fingerprints = month_fingerprints(con, months, commentaries)
    due = []  # (month, kind, path) of the month files to write, each checked
    for month in months:
        for kind in (*MONTHLY_TABLES, "report"):
            path = ws.publish / (f"dtoc_report_{month}.xlsx" if kind == "report" else f"{kind}_{month}.csv")
            if up_to_date(path, fingerprints[(kind, month)]):
                paths.append(path)
                continue
            if kind == "report":
                reasons = [f"{name}: {reason}" for name in REPORT_TABLES for reason in checks(name, month)]
            else:
                reasons = checks(kind, month)
            if passes(path.name, reasons, kind):
                paths.append(path)
                due.append((month, kind, path))
    # Artifacts go to Prefect's server (another process) on background threads, in this run's context, and
    # the reports' workbooks are laid out by worker processes, while the month files are written here;
    # DuckDB is only ever read from this thread. Four threads: a backfill sends one artifact per month, each
    # mostly waiting on the server (one thread left 7 s of 115 still to send).
    reports_due = [(month, path) for month, kind, path in due if kind == "report"]
    with (
        ThreadPoolExecutor(max_workers=4, thread_name_prefix="artifacts") as artifacts,
        ReportWriter(con, as_of, len(reports_due)) as reports,
    ):
        reconciliations = [month for month, kind, _ in due if kind == "reconciliation"]
        sent = [
            artifacts.submit(
                contextvars.copy_context().run,
                create_table_artifact,
                key=f"dtoc-reconciliation-{month}",
                table=table,
                description=f"Local v national v BCF target, {month}",
            )
            for month, table in _reconciliation_tables(con, reconciliations).items()
        ]
        for month, path in reports_due:
            reports.write(month, path)
        for kind in MONTHLY_TABLES:
            kind_due = [month for month, due_kind, _ in due if due_kind == kind]
            for month, path in zip(kind_due, publish_months(con, kind, ws.publish, kind_due), strict=True):
                written(path, fingerprints[(kind, month)])
        for future in sent:
            future.result()
    for month, path in reports_due:
        written(path, fingerprints[("report", month)])
    failed = [name for name in checks.results if checks(name)]
    if passes("commentary_<YYYY-MM>.md", [f"{name} failed its checks" for name in failed], "commentary"):
        for month in commentaries:
            path = ws.publish / f"commentary_{month}.md"
            if not up_to_date(path, fingerprints[("commentary", month)]):
                write_commentary(con, path, month, as_of)
                written(path, fingerprints[("commentary", month)])
            paths.append(path)
    if passes("site/index.html", [f"{name} failed its checks" for name in failed], "dashboard"):
        dashboard = build_dashboard(con, ws.publish, as_of)
        paths.append(dashboard)
        _dashboard_artifact(con, dashboard, months)
    con.execute(
        "insert or replace into published_fingerprints select unnest(?::varchar[]), unnest(?::varchar[])",
        [list(fresh), list(fresh.values())],
    )
    return paths, months, withheld


def _dashboard_artifact(con: duckdb.DuckDBPyConnection, dashboard: Path, months: list[str]) -> None:
    """A markdown artifact linking the dashboard, with the headline figures read from the published views."""
    week = con.execute("select week_ending, total_days from weekly_headlines where latest").fetchone() or (None, None)
    kpi = con.execute("select month, pct_att_social_care, rag from kpi_monthly order by month desc limit 1").fetchone()
    lines = ["# DToC dashboard", "", f"[Open the dashboard]({dashboard.resolve().as_uri()}) (`{dashboard}`)", ""]
    if week[0] is not None:
        lines.append(f"- Week ending {week[0]:%d %B %Y}: **{float(week[1]):,.0f}** delayed days across the sites")
    if kpi:
        pct = "no delays" if kpi[1] is None else f"{kpi[1]:.1f}%"
        lines.append(f"- {kpi[0]}: {pct} attributable to social care, **{kpi[2] or 'n/a'}**")
    if months:
        local, national, target = con.execute(
            "select local_days, national_days, bcf_target_days from reconciliation "
            "where month = ? and provider_code = 'Total' and responsible_org = 'Total'",
            [months[-1]],
        ).fetchone()
        target_text = "no target" if target is None else f"{float(target):,.0f}"
        local_text = "no returns" if local is None else f"{float(local):,.0f}"
        lines.append(
            f"- {months[-1]}: local {local_text}, national {float(national):,.0f}, "
            f"BCF target {target_text} delayed days"
        )
    create_markdown_artifact(
        key="dtoc-dashboard", markdown="\n".join(lines), description="The dashboard and its headline figures"
    )


# Everything a month's files show, by file: the published views they read, each for the month's own
# rows; the report also shows the 12 weeks to the month's end (report.REPORT_WEEKS_SQL) and both the
# report and the commentary name the previous month's people counts (monthly_site_people). Never the
# run's as-of: a month's report and commentary are rewritten only when what they show changes.
COMMENTARY_VIEWS = (
    "monthly_headlines",
    "monthly_reasons",
    "monthly_movers",
    "monthly_site_people",
    "monthly_completeness",
    "suspicious_returns",
)
REPORT_VIEWS = (
    "reconciliation",
    "gap_decomposition",
    "la_rates",
    "kpi_monthly",
    "monthly_provider_summary",
    "monthly_site_summary",
    *COMMENTARY_VIEWS,
)


# the code that writes a published CSV (flows/warehouse.py): a change to it writes every CSV again
CSV_WRITER = hashlib.sha256(Path(warehouse_module.__file__).read_bytes()).hexdigest()


def month_fingerprints(
    con: duckdb.DuckDBPyConnection, months: list[str], commentary_months: list[str] = ()
) -> dict[tuple[str, str], str]:
    """A digest per (file kind, month) of every figure and setting the month's published file shows.

    Kinds: each of MONTHLY_TABLES and "report" for `months` (those with national data), "commentary"
    for `commentary_months` (those with local data).
    """
    digests: dict[str, dict[str, str]] = {}
    for view in REPORT_VIEWS:
        digests[view] = dict(
            con.execute(
                f"select month, md5(string_agg(t::varchar, '|' order by t::varchar)) from {view} as t group by month"
            ).fetchall()
        )
    previous = dict(con.execute("select month, previous_month from monthly_headlines").fetchall())
    weekly = dict(
        con.execute(
            "select shown.month, md5(string_agg(t::varchar, '|' order by t::varchar)) "
            f"from weekly_site_summary as t join ({report_module.REPORT_WEEKS_SQL}) as shown "
            "on t.week_ending = shown.week_ending group by shown.month",
            [list(months)],
        ).fetchall()
    )
    council = con.execute(
        "select md5(coalesce(string_agg(t::varchar, '|'), '')) from ref_local_authorities as t "
        "where la_code = getvariable('home_la')"
    ).fetchone()[0]
    code = {
        module: hashlib.sha256(Path(module.__file__).read_bytes()).hexdigest()
        for module in (report_module, report_layout_module, commentary_module)
    }

    def shown(month: str, views: tuple[str, ...]) -> list[str]:
        before = previous.get(month)
        return [
            council,
            *(digests[view].get(month, "") for view in views),
            digests["monthly_site_people"].get(before, "") if before else "",
        ]

    def digest(parts: list[str]) -> str:
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    result = {}
    for month in months:
        for name in MONTHLY_TABLES:
            result[(name, month)] = digest(
                [name, PUBLISH_ORDER.get(name, ""), digests[name].get(month, ""), CSV_WRITER]
            )
        result[("report", month)] = digest(
            [
                code[report_module],
                code[report_layout_module],
                code[commentary_module],
                weekly.get(month, ""),
                *shown(month, REPORT_VIEWS),
            ]
        )
    for month in commentary_months:
        result[("commentary", month)] = digest([code[commentary_module], *shown(month, COMMENTARY_VIEWS)])
    return result


def _reconciliation_tables(con: duckdb.DuckDBPyConnection, months: list[str]) -> dict[str, dict[str, list]]:
    """Each month's reconciliation for a Prefect table artifact, column by column (one query for all the months).

    Prefect shows a table given as columns as it shows one given as rows; columns are about a third of
    the JSON (names not repeated in every row), which Prefect's server parses and stores for each month.
    """
    names, by_month = rows_by_month(
        con,
        "select month, provider_code, provider_name, responsible_org, local_days::double as local_days, "
        "national_days::double as national_days, bcf_target_days::double as bcf_target_days, "
        "local_minus_target::double as local_minus_target, national_minus_local::double as national_minus_local "
        "from reconciliation where month in (select unnest(?::varchar[])) "
        f"order by {publish_order('reconciliation')}",
        months,
    )
    return {month: {name: [row[i] for row in rows] for i, name in enumerate(names)} for month, rows in by_month.items()}


def log_files_not_taken(outcome: RunOutcome) -> None:
    """A warning in the run's log for each file quarantined or left in the inbox for a later run."""
    logger = get_run_logger()
    for q in outcome.quarantined:
        logger.warning("quarantined %s: %s", q["file"], q["first_problem"])
    for d in outcome.deferred:
        logger.warning("left in the inbox %s: %s", d["file"], d["reason"])


def summary_tail_markdown(outcome: RunOutcome) -> list[str]:
    """The part of a run summary both flows share: refused files, months reconciled, trajectory, outputs."""
    lines = [f"- Months reconciled with national data: {', '.join(outcome.reconciled_months) or 'none yet'}"]
    if outcome.output_checks:
        passed = sum(1 for check in outcome.output_checks if check["success"])
        unchanged = sum(1 for check in outcome.output_checks if check.get("unchanged"))
        lines.append(
            f"- Output checks: {passed} of {len(outcome.output_checks)} published tables passed "
            f"({sum(check['expectations'] for check in outcome.output_checks)} expectations"
            + (f"; {unchanged} unchanged since they last passed, not checked again" if unchanged else "")
            + ")"
        )
    if outcome.deferred:
        lines += ["", "## Left in the inbox for a later run", ""]
        lines += [f"- `{d['file']}`: {d['reason']}" for d in outcome.deferred]
    if outcome.quarantined:
        lines += ["", "## Quarantined files", ""]
        lines += [f"- `{q['file']}` ({q['problems']} problem(s)): {q['first_problem']}" for q in outcome.quarantined]
    if outcome.trajectory_problems:
        lines += ["", "## BCF trajectory not used (targets left blank)", ""]
        lines += [f"- {problem}" for problem in outcome.trajectory_problems]
    if outcome.not_published:
        lines += ["", "## Not published: failed their output checks (the previous file is kept)", ""]
        for item in outcome.not_published:
            lines.append(f"- `{item['file']}` ({item['table']}): " + "; ".join(item["reasons"]))
    if outcome.warnings:
        lines += ["", "## Warnings", ""]
        lines += [f"- {warning}" for warning in outcome.warnings]
    return lines + ["", "## Published", ""] + [f"- `{path}`" for path in outcome.published]
