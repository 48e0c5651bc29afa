"""Reference files and the home council, checked before a run touches the warehouse.

A duplicated site would double that site in every figure and an unknown `home_la` would publish
zeros, so the reference files get the strictness of the weekly returns: the rules are Great
Expectations suites (`reference_sites`, `reference_local_authorities`,
`reference_population_18plus`) and every problem names file, row, column, value and problem.
Unlike a weekly return, a reference file cannot be set aside while the run goes on: a file with
any problem stops the run (nothing is loaded or published, exit status 2) and its problems are
written to `quarantine/<file>.errors.csv`; the file itself stays in `reference/` for the analyst
to correct. (bcf_trajectory.csv keeps its own check: a bad trajectory only leaves targets blank.)

Reference files are always read as bytes from their literal path, never through a reader that
expands `*`, `?` or `[...]`, so a workspace folder named with those characters reads its own files.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import duckdb
import polars as pl

from flows.ingest import UnreadableFile, read_submission, without_blank_rows
from flows.validate import (
    EXPECTATIONS_ROOT,
    Problem,
    checking_code,
    describe,
    parse_week_ending,
    required_columns,
    run_suite,
)
from flows.workspace import Settings, SettingsError, Workspace, did_you_mean

SUITES = {
    "sites.csv": "reference_sites",
    "local_authorities.csv": "reference_local_authorities",
    "population_18plus.csv": "reference_population_18plus",
}
SHOWN_PER_FILE = 10


class ReferenceFilesError(RuntimeError):
    """A reference file the run cannot rely on; the message lists the problems."""


def read_reference_csv(path: Path) -> pl.DataFrame:
    """A reference CSV as text columns, read from exactly this path (no wildcard expansion)."""
    return without_blank_rows(pl.read_csv(io.StringIO(path.read_bytes().decode("utf-8-sig")), infer_schema=False))


def register_reference_frames(con: duckdb.DuckDBPyConnection, reference_dir: Path) -> None:
    """Each reference CSV as a DuckDB relation `<stem>_csv` (all text), for sql/warehouse/reference.sql."""
    for name in ("sites.csv", "local_authorities.csv", "population_18plus.csv", "national_rate_targets.csv"):
        con.register(f"{Path(name).stem}_csv", read_reference_csv(reference_dir / name))


def _check_file(folder: Path, name: str, parameters: dict) -> tuple[list[Problem], pl.DataFrame | None]:
    path = folder / name
    if not path.exists():
        return [Problem(name, None, "", "", f"the file is missing from {folder}")], None
    try:
        cells = read_submission(path).cells
    except UnreadableFile as exc:
        return [Problem(name, None, "", "", str(exc))], None
    suite = SUITES[name]
    missing = [c for c in required_columns(suite) if c not in cells.columns]
    if missing:
        return [Problem(name, 1, c, "", f"required column {c} is missing from the header") for c in missing], None
    if cells.height == 0:
        return [Problem(name, None, "", "", "the file has a header but no rows")], None
    if name == "sites.csv":
        if "closed_from" not in cells.columns:
            cells = cells.with_columns(pl.lit(None, pl.String).alias("closed_from"))
        cells = cells.with_columns(parse_week_ending("closed_from").alias("closed_from_date"))
    problems = run_suite(suite, cells.with_columns(pl.lit(name).alias("file")), parameters, {})
    return sorted(problems, key=lambda p: (p.row or 0, p.column, p.problem)), cells


# The last check that passed, as a digest of everything it read (`_checked_digest`), is kept in the
# workspace: `dtoc run` checks before starting its flow and the flow checks again, and most runs
# find the same files as the run before; unchanged files are not checked again.
PASSED_FILE = Path("validation") / "reference_checked.sha256"
CHECK_CODE = checking_code(__file__)  # the code that reads and judges the files


def _checked_digest(ws: Workspace, settings: Settings) -> str:
    """The bytes of every reference file and suite the check reads, home_la and the checking code."""
    digest = hashlib.sha256(settings.home_la.encode() + CHECK_CODE)
    for name, suite in SUITES.items():
        path = ws.reference / name
        digest.update(name.encode() + (path.read_bytes() if path.exists() else b"<missing>"))
        digest.update((EXPECTATIONS_ROOT / "gx" / "expectations" / f"{suite}.json").read_bytes())
    return digest.hexdigest()


def check_reference_files(ws: Workspace, settings: Settings) -> None:
    """Stop the run (ReferenceFilesError, SettingsError) when a reference file or `home_la` is wrong.

    Writes `quarantine/<file>.errors.csv` for each refused file and removes an earlier one once
    its file is correct. Files, suites and home_la exactly as in the last check that passed in this
    workspace are not checked again.
    """
    digest, passed = _checked_digest(ws, settings), ws.root / PASSED_FILE
    if passed.exists() and passed.read_text(encoding="utf-8") == digest:
        return
    _check_reference_files(ws, settings)
    passed.parent.mkdir(parents=True, exist_ok=True)
    passed.write_text(digest, encoding="utf-8")


def _check_reference_files(ws: Workspace, settings: Settings) -> None:
    from flows.pipeline import write_errors_csv

    la_problems, las = _check_file(ws.reference, "local_authorities.csv", {})
    la_codes = [] if las is None else sorted({c for c in las["la_code"].to_list() if c})
    found = {
        "sites.csv": _check_file(ws.reference, "sites.csv", {})[0],
        "local_authorities.csv": la_problems,
        "population_18plus.csv": _check_file(ws.reference, "population_18plus.csv", {"la_codes": la_codes})[0],
    }
    lines = []
    for name, problems in found.items():
        errors = ws.quarantine / f"{name}.errors.csv"
        if not problems:
            errors.unlink(missing_ok=True)
            continue
        write_errors_csv(errors, [p.as_dict() for p in problems])
        lines.append(f"reference/{name} has {len(problems)} problem(s); all of them are in {errors}:")
        lines += [f"  {describe(p.as_dict())}" for p in problems[:SHOWN_PER_FILE]]
        if len(problems) > SHOWN_PER_FILE:
            lines.append(f"  ... and {len(problems) - SHOWN_PER_FILE} more")
    if lines:
        raise ReferenceFilesError(
            "the run was stopped before loading anything, because a reference file is not "
            "right; correct it and run again.\n" + "\n".join(lines)
        )
    home_la = settings.home_la
    if home_la not in la_codes:
        raise SettingsError(
            f"setting home_la = '{home_la}' is not an la_code in reference/local_authorities.csv"
            f"{did_you_mean(home_la.upper(), la_codes)}; nothing was run (every figure would have been 0)"
        )


def run_warnings(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Warnings for the run summary about published figures that rest on incomplete reference or national data.

    - a local provider that the month's national extract does not carry at all: its national
      figures are published blank (not 0), and its days may sit under OUT_OF_AREA if the extract
      names the trust by another code;
    - months whose rates are blank because population_18plus.csv has no row for the home
      council in that year or any earlier year.
    """
    warnings = [
        f"{month}: provider {code} ({name}) is not in the national extract for the month; its national "
        f"figures are left blank in reconciliation_{month}.csv (check the provider code in reference/sites.csv)"
        for month, code, name in con.execute("""
            select national_months.month, sites.provider_code, min(sites.provider_name)
            from (select distinct month from int_national_org_days) as national_months
            cross join ref_sites as sites
            where not exists (select 1 from int_national_org_days as national
                              where national.month = national_months.month
                                and national.provider_code = sites.provider_code)
            group by all order by all""").fetchall()
    ]
    gaps = con.execute(
        "select la_code, list(distinct month order by month) from la_rates "
        "where population_18plus is null group by la_code order by la_code"
    ).fetchall()
    for la_code, months in gaps:
        first_year = con.execute("select min(year) from ref_population_18plus where la_code = ?", [la_code]).fetchone()[
            0
        ]
        since = f"the first year it has is {first_year}" if first_year else "it has no row for this council"
        warnings.append(
            f"rates left blank for {la_code} in {', '.join(months)}: reference/population_18plus.csv has "
            f"no population for that year or an earlier one ({since})"
        )
    return warnings


def preflight(workdir) -> None:
    """The command line's check before a flow starts: the warehouse's path, settings, reference files and home_la."""
    from flows.warehouse import check_workspace_path
    from flows.workspace import open_workspace

    check_workspace_path(workdir)
    ws = open_workspace(workdir)
    check_reference_files(ws, ws.settings())
