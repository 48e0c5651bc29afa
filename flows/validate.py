"""Check weekly submissions against the Great Expectations suites under `expectations/`.

The rules are data: `expectations/gx/expectations/weekly_<layout>.json`. Each expectation's
`meta` says which column the analyst should look at (`column`) and what is wrong (`problem`, a
sentence that may name row values and run parameters in braces). This module prepares the
columns those rules read (parsed dates, standardised codes, site-week totals), runs the suites
once over all files of a layout, and turns failures into `file, row, column, value, problem`.
"""

from __future__ import annotations

import functools
import io
import threading
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from flows import ingest, suite_in_sql
from flows.ingest import RawSubmission, UnreadableFile, content_hash, read_submission, without_blank_rows
from flows.resources import shipped
from flows.suite_in_sql import certainly_passes, suite_document
from flows.workspace import Settings

EXPECTATIONS_ROOT = shipped("expectations")
DATASOURCE, ASSET, BATCH = "dtoc_inputs", "frame", "all_rows"  # in-memory frames, one batch each
LAYOUT_SUITES = {"detail": "weekly_detail", "summary": "weekly_summary"}
SUMMARY_DAY_COLUMNS = {"nhs_days": "NHS", "social_care_days": "Social Care", "both_days": "Both"}

RESPONSIBLE_ORGS = {
    "NHS": "NHS",
    "SOCIAL CARE": "Social Care",
    "SOCIAL_CARE": "Social Care",
    "SC": "Social Care",
    "ASC": "Social Care",
    "ADULT SOCIAL CARE": "Social Care",
    "BOTH": "Both",
    "JOINT": "Both",
}
REASONS = {
    "A": "A_COMPLETION_ASSESSMENT",
    "B": "B_PUBLIC_FUNDING",
    "C": "C_FURTHER_NON_ACUTE_NHS",
    "DI": "DI_RESIDENTIAL_HOME",
    "DII": "DII_NURSING_HOME",
    "E": "E_CARE_PACKAGE_IN_HOME",
    "F": "F_COMMUNITY_EQUIP_ADAPT",
    "G": "G_PATIENT_FAMILY_CHOICE",
    "H": "H_DISPUTES",
    "I": "I_HOUSING",
    "O": "O_OTHER",
}
REASON_ALIASES = {**{code: code for code in REASONS}, **{long: code for code, long in REASONS.items()}}
REASON_NOT_STATED = "NOT_STATED"
CARE_TYPES = {
    "ACUTE": "acute",
    "NON-ACUTE": "non-acute",
    "NON ACUTE": "non-acute",
    "NON_ACUTE": "non-acute",
    "NONACUTE": "non-acute",
}


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str
    value: str
    problem: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": "" if self.row is None else self.row,
            "column": self.column,
            "value": self.value,
            "problem": self.problem,
        }


def describe(problem: dict) -> str:
    """One problem as a sentence for a summary: where, which column and value, what is wrong."""
    where = f"row {problem['row']}" if problem["row"] != "" else "file"
    column = f", {problem['column']}" if problem["column"] else ""
    value = f" = '{problem['value']}'" if problem["value"] else ""
    return f"{where}{column}{value}: {problem['problem']}"


@dataclass
class CheckedFile:
    """A file after its checks: accepted when no problem was found (a refused file is quarantined)."""

    path: Path
    content_hash: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.problems


@dataclass
class CheckedSubmission(CheckedFile):
    layout: str | None = None
    returns: pl.DataFrame | None = None  # one row per site x week x LA x care type x org x reason

    @property
    def keys(self) -> list[tuple[str, date]]:
        if self.returns is None:
            return []
        return sorted(self.returns.select("site_code", "week_ending").unique().iter_rows())


@dataclass(frozen=True)
class Reference:
    sites: pl.DataFrame
    la_codes: tuple[str, ...]
    dh_to_ons: dict[str, str]  # three-digit codes of the national files -> ONS codes

    @classmethod
    def load(cls, folder: Path) -> Reference:
        # read as bytes: polars would expand [, * and ? in the workspace path and read another folder's file
        sites = without_blank_rows(
            pl.read_csv(io.BytesIO((folder / "sites.csv").read_bytes()), schema_overrides={"beds": pl.Int64})
        ).with_columns(pl.col(pl.String).str.strip_chars())
        las = pl.read_csv(io.BytesIO((folder / "local_authorities.csv").read_bytes()), infer_schema=False).with_columns(
            pl.col(pl.String).str.strip_chars()
        )
        return cls(sites, tuple(las["la_code"].to_list()), dict(las.select("dh_code", "la_code").iter_rows()))


_GX_LOCK = threading.RLock()


@functools.cache
def _gx_context(root: Path):
    import great_expectations as gx

    return gx.get_context(mode="file", project_root_dir=str(root))


def checking_code(judge: str) -> bytes:
    """The code a check's verdict depends on: `judge` (the checking module's file), this module, DuckDB's
    translation of the suites and the reader. Part of the digest a remembered check is kept under."""
    return b"".join(Path(path).read_bytes() for path in (judge, __file__, suite_in_sql.__file__, ingest.__file__))


def suite_path(suite_name: str) -> Path:
    """The suite's JSON file (the rules are data, shipped with the code)."""
    return EXPECTATIONS_ROOT / "gx" / "expectations" / f"{suite_name}.json"


@functools.cache
def gx_suite(suite_name: str):
    """The suite as Great Expectations reads it, read once per process (reading one costs about 0.3 s)."""
    with _GX_LOCK:
        return _gx_context(EXPECTATIONS_ROOT).suites.get(suite_name)


def required_columns(suite_name: str) -> list[str]:
    """The columns a suite requires (its expect_column_to_exist rules), checked per file before values."""
    return [
        e["kwargs"]["column"]
        for e in suite_document(suite_path(suite_name))["expectations"]
        if e["type"] == "expect_column_to_exist"
    ]


def layout_columns(suite_name: str) -> tuple[list[str], list[str]]:
    """The columns a layout reads (every column its rules name) and those it keeps but ignores (notes).

    Any other column refuses the file: a council column under a header no layout knows must not
    be dropped (its residents would be counted as the home council's).
    """
    suite = suite_document(suite_path(suite_name))
    named = required_columns(suite_name)
    for expectation in suite["expectations"]:
        named += (expectation.get("meta") or {}).get("column", "").split("+")
    known = list(dict.fromkeys(c for c in named if c))
    return known, list((suite.get("meta") or {}).get("ignored_columns", []))


def check_submissions(
    paths: list[Path], reference: Reference, settings: Settings, as_of: date, journal: list | None = None
) -> list[CheckedSubmission]:
    """Read and validate every file; each comes back accepted (with its returns) or with problems."""
    checked: list[CheckedSubmission] = []
    prepared: dict[str, list[tuple[CheckedSubmission, pl.DataFrame]]] = {layout: [] for layout in LAYOUT_SUITES}
    for path in paths:
        try:
            raw = read_submission(path)
        except UnreadableFile as exc:
            checked.append(CheckedSubmission(path, content_hash(path), [Problem(path.name, exc.row, "", "", str(exc))]))
            continue
        result = CheckedSubmission(path, raw.content_hash)
        checked.append(result)
        result.layout = detect_layout(raw.cells.columns)
        if result.layout is None:
            result.problems.append(
                Problem(
                    path.name,
                    1,
                    "",
                    ",".join(c for c in raw.cells.columns if c != "row"),
                    _unrecognised_header_message(),
                )
            )
            continue
        missing = [c for c in required_columns(LAYOUT_SUITES[result.layout]) if c not in raw.cells.columns]
        result.problems.extend(
            Problem(
                path.name,
                1,
                c,
                "",
                f"required column {c} is missing from the header of this {result.layout}-layout file",
            )
            for c in missing
        )
        known, ignored = layout_columns(LAYOUT_SUITES[result.layout])
        unknown = [c for c in raw.cells.columns if c not in known and c not in ignored and c != "row"]
        result.problems.extend(
            Problem(
                path.name,
                1,
                c,
                raw.headers.get(c, c),
                f"column {c} is not part of the {result.layout} layout ({', '.join(known)}); rename it to one of "
                "these or delete it (a notes or comments column is kept and ignored)",
            )
            for c in unknown
        )
        if result.problems:
            continue
        if raw.cells.height == 0:
            result.problems.append(Problem(path.name, None, "", "", "the file has a header but no rows"))
            continue
        raw = replace(raw, cells=raw.cells.drop(ignored, strict=False))
        prepared[result.layout].append((result, prepare_cells(raw, result.layout, reference, settings)))
    for layout, items in prepared.items():
        if items:
            _validate_layout(layout, items, reference, settings, as_of, journal)
    for result, cells in (item for items in prepared.values() for item in items):
        if result.accepted:
            try:
                result.returns = returns_from_cells(cells, result.layout, reference)
            except pl.exceptions.PolarsError as exc:  # passed every rule yet cannot be shaped: refused, never loaded
                reason = " ".join(str(exc).split())
                result.problems.append(
                    Problem(
                        result.path.name,
                        None,
                        "",
                        "",
                        f"the file passed its checks but could not be read into rows: {reason}",
                    )
                )
    return checked


def detect_layout(columns: list[str]) -> str | None:
    present = set(columns)
    if present >= set(SUMMARY_DAY_COLUMNS):
        return "summary"
    if present & {"delayed_days", "responsible_org", "reason_code", "care_type"}:
        return "detail"
    if present & set(SUMMARY_DAY_COLUMNS):
        return "summary"
    return None


def _unrecognised_header_message() -> str:
    return (
        "the header matches neither layout: detail needs "
        + ", ".join(required_columns("weekly_detail"))
        + "; summary needs "
        + ", ".join(required_columns("weekly_summary"))
    )


def _standardise(column: str, mapping: dict[str, str]) -> pl.Expr:
    """Upper-cased lookup in an alias table; unknown values stay as typed so the rule reports them."""
    key = pl.col(column).str.to_uppercase().str.replace_all(r"\s+", " ")
    return key.replace_strict(mapping, default=pl.col(column), return_dtype=pl.String)


def parse_week_ending(column: str = "week_ending") -> pl.Expr:
    """ISO YYYY-MM-DD or UK DD/MM/YYYY, each parsed by its own pattern (never a day-first guess)."""
    text = pl.col(column)
    iso = pl.when(text.str.contains(r"^\d{4}-\d{2}-\d{2}$")).then(text.str.strptime(pl.Date, "%Y-%m-%d", strict=False))
    uk = pl.when(text.str.contains(r"^\d{1,2}/\d{1,2}/\d{4}$")).then(
        text.str.strptime(pl.Date, "%d/%m/%Y", strict=False)
    )
    return pl.coalesce(iso, uk)


def prepare_cells(raw: RawSubmission, layout: str, reference: Reference, settings: Settings) -> pl.DataFrame:
    """Add the columns the suite reads: parsed week, standard codes, site-week totals and capacity."""
    cells = raw.cells.with_columns(pl.lit(raw.path.name).alias("file"))
    if layout == "summary":
        if "la_code" not in cells.columns:
            cells = cells.with_columns(pl.lit(None, pl.String).alias("la_code"))
        # the summary layout's optional la_code: absent or blank means the home council
        cells = cells.with_columns(pl.col("la_code").fill_null(settings.home_la).alias("la_code_std"))
        day_columns = list(SUMMARY_DAY_COLUMNS)
    else:  # the detail layout names the council on every row: a blank one is refused, never defaulted
        cells = cells.with_columns(pl.col("la_code").alias("la_code_std"))
        if "patients_delayed" not in cells.columns:
            cells = cells.with_columns(pl.lit(None, pl.String).alias("patients_delayed"))
        day_columns = ["delayed_days"]
        cells = cells.with_columns(
            _standardise("care_type", CARE_TYPES).alias("care_type_std"),
            _standardise("responsible_org", RESPONSIBLE_ORGS).alias("responsible_org_std"),
            _standardise("reason_code", REASON_ALIASES).alias("reason_code_std"),
        )
    cells = cells.with_columns(
        parse_week_ending().alias("week_ending_date"),
        pl.sum_horizontal(pl.col(c).cast(pl.Float64, strict=False) for c in day_columns).alias("row_days"),
    ).with_columns(
        pl.col("week_ending_date").dt.strftime("%A").alias("week_ending_weekday"),
        pl.col("row_days").sum().over("site_code", "week_ending_date").alias("site_week_days"),
    )
    capacity = reference.sites.select("site_code", "beds", (pl.col("beds") * 7).alias("site_week_max_days"))
    return cells.join(capacity, on="site_code", how="left", maintain_order="left")


def _validate_layout(
    layout: str,
    items: list[tuple[CheckedSubmission, pl.DataFrame]],
    reference: Reference,
    settings: Settings,
    as_of: date,
    journal: list | None,
) -> None:
    import pandas as pd

    cells = pl.concat([frame for _, frame in items], how="diagonal_relaxed")
    parameters = {
        "site_codes": reference.sites["site_code"].to_list(),
        "la_codes": list(reference.la_codes),
        "reason_codes": list(REASONS),
        "week_ending_weekday": [settings.week_ending_weekday.title()],
        "as_of": pd.Timestamp(as_of),
    }
    message_parameters = {"expected_weekday": settings.week_ending_weekday.title(), "as_of_text": as_of.isoformat()}
    by_file = {result.path.name: result for result, _ in items}
    for problem in run_suite(LAYOUT_SUITES[layout], cells, parameters, message_parameters, journal):
        by_file[problem.file].problems.append(problem)
    for result, _ in items:
        result.problems.sort(key=lambda p: (p.row or 0, p.column, p.problem))


def frame_batch(frame):
    """A pandas frame as a batch of the in-memory datasource, ready to validate (call it holding _GX_LOCK)."""
    return (
        _gx_context(EXPECTATIONS_ROOT)
        .data_sources.get(DATASOURCE)
        .get_asset(ASSET)
        .get_batch_definition(BATCH)
        .get_batch(batch_parameters={"dataframe": frame})
    )


def run_suite(
    suite_name: str, cells: pl.DataFrame, parameters: dict, message_parameters: dict, journal: list | None = None
) -> list[Problem]:
    """Validate a frame (with `file` and `row` columns) against a suite; each failing cell becomes a Problem.

    Date columns are handed to Great Expectations as timestamps so that range rules compare dates.
    The raw result is added to `journal` (suite, files, result) for the run's Data Docs. With no
    journal to keep, a frame that certainly passes (`certainly_passes_in_duckdb`) is not handed to GX.
    """
    if journal is None and certainly_passes_in_duckdb(suite_name, cells, parameters):
        return []
    import pandas as pd  # only with GX (about 0.8 s to import)

    frame = cells.to_pandas()
    for name, dtype in cells.schema.items():
        if dtype == pl.Date:
            frame[name] = pd.to_datetime(frame[name])
    results = validate_frame(frame, suite_name, parameters)
    if journal is not None:
        journal.append((suite_name, sorted(set(cells["file"].to_list())), results))
    problems: list[Problem] = []
    for outcome in failed_expectations(suite_name, results):
        problems += problems_at_rows(
            cells, outcome.result.get("unexpected_index_list") or [], outcome.expectation_config, message_parameters
        )
    return problems


# More failed rules than this and the whole suite is validated again in COMPLETE instead (each alone costs about
# 20 ms, the suite about 0.3 s)
RULES_VALIDATED_AGAIN_ALONE = 4


def validate_frame(frame, suite_name: str, parameters: dict | None, first_pass: str = "BASIC"):
    """Great Expectations' result for a pandas frame, as one COMPLETE validation gives it (every failing row's
    index and value) for each rule that found a failing row; in `first_pass` format for the others.

    Every expectation is validated in `first_pass` first (BASIC: the counts Data Docs show; BOOLEAN_ONLY, pass or
    fail, is cheaper still), then those that found failing rows (failed, or passed by `mostly` when the first pass
    counts rows) again in COMPLETE: on their own when they are few, else the whole suite. COMPLETE for every rule
    costs about half as much again, for lists of rows almost always empty.
    """
    with _GX_LOCK:  # one validation at a time per process: the context is shared by the task runner's threads
        batch = frame_batch(frame)
        results = batch.validate(gx_suite(suite_name), expectation_parameters=parameters, result_format=first_pass)
        again = [
            position
            for position, outcome in enumerate(results.results)
            if exception_message(outcome) is None
            and (not outcome.success or (outcome.result or {}).get("unexpected_count"))
        ]
        if len(again) > RULES_VALIDATED_AGAIN_ALONE:
            return batch.validate(gx_suite(suite_name), expectation_parameters=parameters, result_format="COMPLETE")
        for position in again:
            results.results[position] = batch.validate(
                results.results[position].expectation_config.to_domain_obj(),
                expectation_parameters=parameters,
                result_format="COMPLETE",
            )
    return results


def exception_message(outcome) -> str | None:
    """Why a rule could not judge (an exception it or one of its metrics raised; GX keys the latter by the
    metric), or None when it judged."""
    info = outcome.exception_info or {}
    for raised in (info, *(value for value in info.values() if isinstance(value, dict))):
        if raised.get("raised_exception"):
            return raised.get("exception_message") or "no message"
    return None


def certainly_passes_in_duckdb(suite_name: str, cells: pl.DataFrame, parameters: dict) -> bool:
    """Whether the suite certainly finds no problem to report in the frame, answered by DuckDB
    (flows/suite_in_sql.py) without Great Expectations; False also when a rule is not translated there."""
    import duckdb

    with duckdb.connect() as con:
        con.register("suite_frame", cells)
        found = certainly_passes(con, "select * from suite_frame", suite_path(suite_name), parameters, True)
    return found is not None


def failed_expectations(suite_name: str, results) -> list:
    """The failed expectations' results; an expectation that could not run stops the run."""
    failed = []
    for outcome in results.results:
        if outcome.success:
            continue
        message = exception_message(outcome)
        if message is not None:
            raise RuntimeError(
                f"expectation {outcome.expectation_config.type} in {suite_name} could not run: {message}"
            )
        failed.append(outcome)
    return failed


def problems_at_rows(cells: pl.DataFrame, positions, expectation, message_parameters: dict) -> list[Problem]:
    """One failed expectation's rows as Problems, worded by its `meta` (column, problem, value_column, report)."""
    meta = expectation.meta or {}
    problems: list[Problem] = []
    reported: set[tuple[str, str]] = set()
    for position in positions:
        row = cells.row(position, named=True)
        if meta.get("skip_when_empty") and row.get(meta["skip_when_empty"]) is None:
            continue
        problem = _fill(meta.get("problem", expectation.type), row, message_parameters)
        if meta.get("report") == "first_row":
            if (row["file"], problem) in reported:
                continue
            reported.add((row["file"], problem))
        value = _cell_text(row, meta.get("value_column") or meta.get("column", ""))
        problems.append(Problem(row["file"], row["row"], meta.get("column", ""), value, problem))
    return problems


def _cell_text(row: dict, column: str) -> str:
    parts = [row.get(name) for name in column.split("+")]
    return "/".join("" if part is None else _plain(part) for part in parts)


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, row: dict, parameters: dict) -> str:
    values = _Blank({k: _plain(v) for k, v in row.items() if v is not None})
    values.update(parameters)
    return template.format_map(values)


def returns_from_cells(cells: pl.DataFrame, layout: str, reference: Reference) -> pl.DataFrame:
    """The accepted file's rows in the warehouse's shape (summary rows become three org rows)."""
    whole = lambda column: pl.col(column).cast(pl.Float64).cast(pl.Int64)  # noqa: E731  "7" and Excel's "7.0"
    if layout == "detail":
        shaped = cells.select(
            "row",
            "site_code",
            pl.col("week_ending_date").alias("week_ending"),
            pl.col("la_code_std").alias("la_code"),
            pl.col("care_type_std").alias("care_type"),
            pl.col("responsible_org_std").alias("responsible_org"),
            pl.col("reason_code_std").alias("reason_code"),
            whole("delayed_days").alias("delayed_days"),
            whole("patients_delayed").alias("patients_delayed"),
        )
    else:
        site_care_type = reference.sites.select("site_code", "care_type")
        shaped = (
            cells.join(site_care_type, on="site_code", how="left", maintain_order="left")
            .unpivot(
                index=["row", "site_code", "week_ending_date", "la_code_std", "care_type"],
                on=list(SUMMARY_DAY_COLUMNS),
                variable_name="day_column",
                value_name="days_text",
            )
            .select(
                "row",
                "site_code",
                pl.col("week_ending_date").alias("week_ending"),
                pl.col("la_code_std").alias("la_code"),
                "care_type",
                pl.col("day_column").replace_strict(SUMMARY_DAY_COLUMNS).alias("responsible_org"),
                pl.lit(REASON_NOT_STATED).alias("reason_code"),
                whole("days_text").alias("delayed_days"),
                pl.lit(None, pl.Int64).alias("patients_delayed"),
            )
        )
    return shaped.sort("row", "responsible_org")


def validation_problem_rows(checked: list[CheckedSubmission]) -> list[dict[str, Any]]:
    return [p.as_dict() for result in checked for p in result.problems]
