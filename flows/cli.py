"""`dtoc`: the analyst's commands (README: "Commands")."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from flows.workspace import default_workdir

EXIT_OK, EXIT_PROBLEMS, EXIT_RUN_FAILED = 0, 1, 2
FLOW_COMMANDS = ("run", "national", "backfill", "demo")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None


def allow_future(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--allow-future-as-of",
        action="store_true",
        help="accept an as-of (or --to) date after today; refused otherwise, as a likely typo",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dtoc", description="Delayed transfers of care: weekly and monthly pipeline")
    commands = parser.add_subparsers(dest="command", required=True)

    def with_workdir(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument(
            "--workdir", default=default_workdir(), help="workspace folder (default ./dtoc-work, or DTOC_WORKDIR)"
        )
        if sub.prog.split()[-1] != "validate":
            sub.add_argument(
                "--verbose",
                "-v",
                action="store_true",
                help="list every published file and where each refused file's problems are",
            )
        return sub

    run = with_workdir(commands.add_parser("run", help="process new weekly returns and publish the tables"))
    run.add_argument("--as-of", type=_iso_date, default=None, help="run as on this date (default today)")
    run.add_argument(
        "--alerts",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="raise alerts even for a date before the latest alerting run (--no-alerts: never)",
    )
    allow_future(run)

    backfill = with_workdir(commands.add_parser("backfill", help="load the inboxes and recompute a range of weeks"))
    backfill.add_argument("--from", dest="date_from", type=_iso_date, required=True)
    backfill.add_argument("--to", dest="date_to", type=_iso_date, required=True)
    backfill.add_argument("--sources", default="weekly,national", help="weekly, national or both (comma separated)")
    backfill.add_argument("--alerts", action="store_true", help="raise alerts for the past weeks, in order")
    allow_future(backfill)

    synth = commands.add_parser("synth", help="write realistic synthetic inputs into a workspace")
    synth.add_argument("kind", choices=["national", "weekly"])
    synth.add_argument("--out", type=Path, required=True, help="a workspace folder: inbox/ and reference/ are filled")
    synth.add_argument("--months", type=int, default=12, help="national: months from August 2010 (default 12)")
    synth.add_argument("--las", type=int, default=1, help="weekly: councils (default 1)")
    synth.add_argument("--weeks", type=int, default=52, help="weekly: weeks (default 52)")
    synth.add_argument("--seed", type=int, default=1)

    national = with_workdir(commands.add_parser("national", help="load new national SitRep extracts and reconcile"))
    national.add_argument("--as-of", type=_iso_date, default=None, help="run as on this date (default today)")
    allow_future(national)

    demo = with_workdir(commands.add_parser("demo", help="run the whole pipeline on the bundled Kent sample"))
    demo.add_argument("--as-of", type=_iso_date, default=None, help="as-of date (default: the day after the sample)")

    validate = with_workdir(commands.add_parser("validate", help="check files without loading them"))
    validate.add_argument("files", nargs="+", type=Path)
    validate.add_argument("--as-of", type=_iso_date, default=None, help="as-of date for the week check (default today)")

    models = commands.add_parser("models", help="list the SQL models: layer, what each reads, what is published")
    models.add_argument("--sql", type=Path, default=None, help="an sql/ folder to read (default the installed one)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if args.command in FLOW_COMMANDS:
        from flows.prefect_server import start_api_server_early

        start_api_server_early()  # comes up while the command imports its libraries
    handler = {
        "run": cmd_run,
        "national": cmd_national,
        "backfill": cmd_backfill,
        "synth": cmd_synth,
        "demo": cmd_demo,
        "validate": cmd_validate,
        "models": cmd_models,
    }[args.command]
    try:
        return handler(args)
    except Exception as exc:  # a run that could not complete: say why, no stack trace
        from flows.models import ModelGraphError
        from flows.pipeline import AsOfInFuture
        from flows.reference_checks import ReferenceFilesError
        from flows.warehouse import SitesRemoved, WarehouseBusy, WarehousePathUnsupported
        from flows.workspace import SettingsError

        if isinstance(
            exc,
            (
                WarehouseBusy,
                WarehousePathUnsupported,
                SettingsError,
                AsOfInFuture,
                SitesRemoved,
                ReferenceFilesError,
                ModelGraphError,
            ),
        ):
            print(f"dtoc {args.command}: {exc}", file=sys.stderr)
            return EXIT_RUN_FAILED
        raise


def print_summary(summary, verbose: bool = False) -> None:
    print(f"Workspace {summary.workdir}, as of {summary.as_of}")
    print(
        f"  accepted {len(summary.accepted)} file(s), {len(summary.weeks_loaded)} site-week(s) loaded; "
        f"{summary.already_processed} already processed earlier"
    )
    for key in summary.resubmitted_keys:
        print(f"  resubmission replaced {key}")
    print_deferred(summary)
    alerts = summary.alerts
    if alerts.get("quiet"):
        print("  alerts: none raised for a date before the latest alerting run (use --alerts to raise them)")
    elif alerts:
        print(
            f"  alerts raised: {len(alerts['raised'])}; delivered: {alerts['delivered']}; pending: {alerts['pending']}"
            + (f" ({alerts['error']})" if alerts["error"] and alerts["pending"] else "")
        )
        for text in alerts["raised"]:
            print(f"    {text}")
    print_outputs(summary, verbose)


def print_deferred(summary) -> None:
    for item in summary.deferred:
        print(f"  left in the inbox for a later run: {item['file']}: {item['reason']}")


def print_national_summary(summary, verbose: bool = False) -> None:
    print(f"National extracts, workspace {summary.workdir}, as of {summary.as_of}")
    print(f"  accepted {len(summary.accepted)} extract(s); {summary.already_processed} already processed earlier")
    for item in summary.accepted:
        unknown = f"; unknown LA codes {item['unknown_la_codes']}" if item["unknown_la_codes"] else ""
        print(
            f"    {item['file']}: {item['months']}, {item['rows']} rows, header on line {item['header_line']}, "
            f"{item['empty_cells']} empty numeric cell(s){unknown}"
        )
    for month in summary.republished_months:
        print(f"  re-published month replaced the earlier publication: {month}")
    print_outputs(summary, verbose)


def print_outputs(summary, verbose: bool = False) -> None:
    """What every run ends with: refused files, the BCF trajectory's state, months reconciled, and the
    dashboard's path; `--verbose` also lists every published file."""
    if summary.quarantined:
        print(f"  quarantined {len(summary.quarantined)} file(s) (problems beside each in quarantine/):")
        for q in summary.quarantined:
            print(f"    {q['file']}: {q['first_problem']}")
            if verbose:
                print(f"      all problems: {q['quarantined_as']}.errors.csv")
    for problem in summary.trajectory_problems:
        print(f"  BCF trajectory not used (targets left blank): {problem}")
    for warning in getattr(summary, "warnings", []):
        print(f"  warning: {warning}")
    print(f"  months reconciled with national data: {', '.join(summary.reconciled_months) or 'none yet'}")
    for item in summary.not_published:
        print(f"  NOT published, failed its output checks (the previous file is kept): {item['file']}")
        for reason in item["reasons"]:
            print(f"    {reason}")
    dashboard = next((path for path in summary.published if path.endswith("index.html")), None)
    commentaries = [path for path in summary.published if Path(path).name.startswith("commentary_")]
    print(
        f"  published {len(summary.published)} file(s) to {Path(summary.workdir) / 'publish'}"
        + ("" if verbose else " (--verbose lists them)")
    )
    if commentaries:
        print(f"  latest commentary: {commentaries[-1]}")
    if dashboard:
        print(f"  dashboard: {dashboard}")
    if verbose:
        print("Published:")
        for path in summary.published:
            print(f"  {path}")


def check_sites_not_removed(ws) -> None:
    """sites.csv against the loaded returns, checked before any flow starts (exit 2 with the reason)."""
    from flows.warehouse import check_sites_kept, open_warehouse

    settings = ws.settings()
    if ws.warehouse.exists():
        with open_warehouse(ws.warehouse, settings.lock_timeout_seconds) as con:
            check_sites_kept(con, ws.reference)


def cmd_run(args) -> int:
    from flows.pipeline import check_as_of
    from flows.reference_checks import preflight
    from flows.weekly import run_weekly
    from flows.workspace import open_workspace

    if args.as_of:
        check_as_of(args.as_of, args.allow_future_as_of)  # a mistaken date stops here, before any flow starts
    preflight(args.workdir)  # a settings or reference-file mistake stops here, before any flow starts
    check_sites_not_removed(open_workspace(args.workdir))
    print_summary(run_weekly(args.workdir, args.as_of, args.alerts, args.allow_future_as_of), args.verbose)
    return EXIT_OK


def cmd_backfill(args) -> int:
    from flows.backfill import run_backfill
    from flows.pipeline import check_as_of
    from flows.reference_checks import preflight
    from flows.workspace import open_workspace

    check_as_of(args.date_to, args.allow_future_as_of, "--to date")
    preflight(args.workdir)
    check_sites_not_removed(open_workspace(args.workdir))
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    summary = run_backfill(
        args.workdir, args.date_from, args.date_to, sources, args.alerts, allow_future_as_of=args.allow_future_as_of
    )
    print(
        f"Backfill {summary.date_from} to {summary.as_of}, workspace {summary.workdir} ({', '.join(summary.sources)})"
    )
    print(
        f"  accepted {len(summary.accepted)} file(s): {summary.site_weeks_loaded} site-week(s), "
        f"{len(summary.national_months_loaded)} national month(s); {summary.already_processed} already processed"
    )
    print(f"  weeks recomputed at their own as-of: {summary.weeks_recomputed}; alerts raised: {summary.alerts_raised}")
    print_deferred(summary)
    print_outputs(summary, args.verbose)
    return EXIT_OK


def cmd_synth(args) -> int:
    from flows.synth import write_synth_weekly, write_synth_workspace_national

    if args.kind == "national":
        written = write_synth_workspace_national(args.out, args.months, args.seed)
    else:
        written = write_synth_weekly(args.out, args.las, args.weeks, args.seed)
    print(f"Wrote {len(written)} {args.kind} file(s) under {args.out} (reference files in {args.out / 'reference'})")
    return EXIT_OK


def cmd_national(args) -> int:
    from flows.national import run_national
    from flows.pipeline import check_as_of
    from flows.reference_checks import preflight
    from flows.workspace import open_workspace

    if args.as_of:
        check_as_of(args.as_of, args.allow_future_as_of)
    preflight(args.workdir)
    check_sites_not_removed(open_workspace(args.workdir))
    print_national_summary(run_national(args.workdir, args.as_of, args.allow_future_as_of), args.verbose)
    return EXIT_OK


def cmd_demo(args) -> int:
    from flows.demo import DEMO_AS_OF, write_national_sample, write_sample
    from flows.national import run_national
    from flows.warehouse import check_workspace_path
    from flows.weekly import run_weekly
    from flows.workspace import open_workspace

    check_workspace_path(args.workdir)  # before the sample is written into it
    ws = open_workspace(args.workdir)
    as_of = args.as_of or DEMO_AS_OF
    written = write_sample(ws.inbox_weekly, as_of)
    national = write_national_sample(ws.inbox_national)
    print(
        f"Wrote the Kent sample: {len(written)} weekly returns to {ws.inbox_weekly}, "
        f"{len(national)} national extract to {ws.inbox_national}"
    )
    print_summary(run_weekly(ws.root, as_of), args.verbose)
    print_national_summary(run_national(ws.root, as_of), args.verbose)
    print(f"Quarantined files and their reasons: {ws.quarantine}")
    print(f"Warehouse: {ws.warehouse}   Settings: {ws.settings_file}")
    return EXIT_OK


def cmd_models(args) -> int:
    """Print the model graph (checked first: a wrong `-- depends_on:` line is an error, exit 2)."""
    from flows.models import SQL_ROOT, describe_graph

    print(describe_graph(args.sql or SQL_ROOT))
    return EXIT_OK


def cmd_validate(args) -> int:
    from flows.pipeline import write_problems
    from flows.reference_checks import check_reference_files
    from flows.validate import Reference, check_submissions
    from flows.workspace import open_workspace

    ws = open_workspace(args.workdir)
    check_reference_files(ws, ws.settings())  # checking against a broken reference would mislead
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        print(f"dtoc validate: no such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_RUN_FAILED
    checked = check_submissions(
        list(args.files), Reference.load(ws.reference), ws.settings(), args.as_of or date.today()
    )
    write_problems(sys.stdout, [p.as_dict() for result in checked for p in result.problems])
    for result in checked:
        verdict = "OK" if result.accepted else f"REJECTED ({len(result.problems)} problem(s))"
        print(f"# {result.path.name}: {result.layout or 'unknown'} layout, {verdict}", file=sys.stderr)
    return EXIT_OK if all(result.accepted for result in checked) else EXIT_PROBLEMS


if __name__ == "__main__":
    sys.exit(main())
