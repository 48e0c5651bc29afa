"""Read and check NHS England's monthly SitRep DTOC extracts in their real layout.

The real files are not uniform (docs/data_dictionary.md, "National extract"): three preamble lines and the header on
line 4, sometimes 5; parent columns called `Provider SHA Code/Name` before 2013; a financial
`Year` and an upper-case `Period Name` instead of a date; numbers with thousands separators;
a few empty numeric cells in most months. Empty cells are counted and kept empty, never filled.
Three-digit local authority codes are mapped to ONS codes through the reference file; a code
the reference does not know is reported and its rows are kept (they still count in the
provider's all-residents view).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from flows.distinct_validation import ValueSummary, files_with_failures, summarise_values, validate_distinct
from flows.ingest import OLE_MAGIC, ZIP_MAGIC, UnreadableFile, content_hash
from flows.validate import REASON_ALIASES, REASONS, CheckedFile, Problem, required_columns

SUITE = "national_extract"
HEADER_SEARCH_LINES = 12
NATIONAL_HEADER_ALIASES = {
    "provider_sha_code": "provider_parent_org_code",
    "provider_sha_name": "provider_parent_name",
}
MEASURE_COLUMNS = ("nhs_a_sum", "nhs_b_sum", "social_care_a_sum", "social_care_b_sum", "both_a_sum", "both_b_sum")
A_SUM_COLUMNS = ("nhs_a_sum", "social_care_a_sum", "both_a_sum")  # patients (whole) until 2016-17, then beds
MONTHS = (
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
)
FIRST_YEAR_OF_A_MEASURED_AS_AVERAGE_BEDS = 2017  # A SUM: patients at the month's last Thursday until 2016-17


@dataclass
class CheckedNationalFile(CheckedFile):
    header_line: int | None = None
    rows: pl.DataFrame | None = None
    empty_cells: dict[str, int] = field(default_factory=dict)
    unknown_la_codes: dict[str, int] = field(default_factory=dict)
    months: list[str] = field(default_factory=list)  # the months its rows carry
    rows_read: int = 0  # its rows (they stay countable once handed to the warehouse)

    def withdraw_rows(self) -> None:
        """A refused extract loads nothing: its rows go, and so does everything counted from them."""
        self.rows, self.months, self.rows_read, self.empty_cells, self.unknown_la_codes = None, [], 0, {}, {}


def normalise_national_header(name: str) -> str:
    key = re.sub(r"[\s\-/]+", "_", str(name).strip().lower())
    return NATIONAL_HEADER_ALIASES.get(key, key)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, the encoding NHS England's older files use."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict")


def _first_lines(text: str) -> list[str]:
    """The text's first lines (at least HEADER_SEARCH_LINES of them when it has that many), line ends kept."""
    lines = text[:65536].splitlines(keepends=True)
    return lines if len(lines) > HEADER_SEARCH_LINES or len(text) <= 65536 else text.splitlines(keepends=True)


def read_extract(path: Path) -> tuple[pl.DataFrame, int]:
    """The extract's rows as text cells, with `row` = line number in the file; and the header's line."""
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile("the file is empty")
    if data.startswith((ZIP_MAGIC, OLE_MAGIC)):
        raise UnreadableFile("this is an Excel workbook, not the CSV extract; download the CSV version")
    if b"\x00" in data[:4096]:
        raise UnreadableFile("the file is binary, not CSV text")
    try:
        text = decode(data)
    except UnicodeDecodeError:
        raise UnreadableFile("the file is neither UTF-8 nor Windows-1252 text") from None
    lines = _first_lines(text)
    header_index = next(
        (
            i
            for i, line in enumerate(lines[:HEADER_SEARCH_LINES])
            if re.match(r'^\s*"?year"?\s*,', line, re.IGNORECASE) and "period name" in line.lower()
        ),
        None,
    )
    if header_index is None:
        raise UnreadableFile(f"no header line starting 'Year, Period Name' in the first {HEADER_SEARCH_LINES} lines")
    try:
        cells = pl.read_csv(text[sum(len(line) for line in lines[:header_index]) :].encode("utf-8"), infer_schema=False)
    except Exception as exc:
        raise UnreadableFile(f"the file could not be read as CSV: {str(exc).splitlines()[0]}") from None
    names = [normalise_national_header(name) for name in cells.columns]
    cells = cells.rename(dict(zip(cells.columns, names)))
    cells = cells.select(pl.col(name).str.strip_chars().replace("", None) for name in names)
    cells = cells.with_row_index("row", offset=header_index + 2).with_columns(pl.col("row").cast(pl.Int64))
    return cells.filter(pl.any_horizontal(pl.col(name).is_not_null() for name in names)), header_index + 1


def prepare_extract(cells: pl.DataFrame, file_name: str, dh_to_ons: dict[str, str]) -> pl.DataFrame:
    """Add what the suite and the warehouse need: month, ONS code, standard codes, numbers."""
    month_number = (
        pl.col("period_name")
        .str.to_uppercase()
        .replace_strict({name: i + 1 for i, name in enumerate(MONTHS)}, default=None, return_dtype=pl.Int32)
    )
    year_start = pl.when(pl.col("year").str.contains(r"^[0-9]{4}[-/][0-9]{2}$")).then(
        pl.col("year").str.slice(0, 4).cast(pl.Int32)
    )
    care = pl.col("acute_or_non_acute_description").str.to_uppercase().str.replace_all(r"[\s_]+", "-")
    prepared = cells.with_columns(
        pl.lit(file_name).alias("file"),
        year_start.alias("year_start"),
        month_number.alias("month_number"),
        pl.col("local_authority_code").replace_strict(dh_to_ons, default=None, return_dtype=pl.String).alias("la_code"),
        pl.when(care == "ACUTE")
        .then(pl.lit("acute"))
        .when(care == "NON-ACUTE")
        .then(pl.lit("non-acute"))
        .otherwise(pl.col("acute_or_non_acute_description"))
        .alias("care_type"),
        pl.col("reason_for_delay")
        .str.to_uppercase()
        .replace_strict(REASON_ALIASES, default=pl.col("reason_for_delay"), return_dtype=pl.String)
        .alias("reason_code"),
        *(
            pl.col(c).str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False).alias(f"{c}_value")
            for c in MEASURE_COLUMNS
        ),
    )
    # Financial year: April to December fall in its first calendar year, January to March in the next.
    calendar_year = pl.col("year_start") + pl.when(pl.col("month_number") <= 3).then(1).otherwise(0)
    a_is_patient_count = pl.col("year_start") < FIRST_YEAR_OF_A_MEASURED_AS_AVERAGE_BEDS
    return prepared.with_columns(
        *(pl.when(a_is_patient_count).then(pl.col(c)).alias(f"{c}_patient_count") for c in A_SUM_COLUMNS),
        pl.when(pl.col("year_start").is_not_null() & pl.col("month_number").is_not_null())
        .then(pl.format("{}-{}", calendar_year, pl.col("month_number").cast(pl.String).str.zfill(2)))
        .alias("month"),
        pl.when(pl.col("year_start") >= FIRST_YEAR_OF_A_MEASURED_AS_AVERAGE_BEDS)
        .then(pl.lit("average_delayed_beds"))
        .otherwise(pl.lit("patients_delayed_last_thursday"))
        .alias("a_sum_measure"),
    )


@dataclass
class ReadExtracts:
    """A batch of extracts as read: each file's outcome so far (unreadable ones already refused), the rows of
    the readable ones ready for the warehouse, and the distinct values their cells are validated by."""

    checked: list[CheckedNationalFile]
    values: ValueSummary


def read_checked(
    path: Path, dh_to_ons: dict[str, str], required: list[str] | None = None
) -> tuple[CheckedNationalFile, pl.DataFrame | None]:
    """One extract read and checked for its shape (readable, required columns, rows); its prepared cells if so."""
    result = CheckedNationalFile(path, content_hash(path))
    try:
        cells, result.header_line = read_extract(path)
    except UnreadableFile as exc:
        result.problems.append(Problem(path.name, None, "", "", str(exc)))
        return result, None
    missing = [c for c in required or required_columns(SUITE) if c not in cells.columns]
    if missing:
        result.problems.extend(
            Problem(
                path.name,
                result.header_line,
                c,
                "",
                f"required column {c} is missing from the header on line {result.header_line}",
            )
            for c in missing
        )
        return result, None
    if cells.height == 0:
        result.problems.append(Problem(path.name, None, "", "", "the file has a header but no rows"))
        return result, None
    return result, prepare_extract(cells, path.name, dh_to_ons)


def read_extracts(paths: list[Path], dh_to_ons: dict[str, str]) -> ReadExtracts:
    """Read every extract; keep the warehouse rows and the distinct values of each readable one, not its cells."""
    checked, frames, required = [], [], required_columns(SUITE)
    for path in paths:
        result, frame = read_checked(path, dh_to_ons, required)
        checked.append(result)
        if frame is not None:
            frames.append(frame)
            result.empty_cells = {c: n for c in MEASURE_COLUMNS if (n := frame[c].null_count())}
            unknown = frame.filter(pl.col("la_code").is_null())["local_authority_code"].value_counts(sort=True)
            result.unknown_la_codes = dict(
                sorted(unknown.iter_rows(), key=lambda item: (item[0] is None, item[0] or ""))
            )
            result.rows = warehouse_rows(frame)
            result.months = sorted(result.rows["month"].drop_nulls().unique().to_list())
            result.rows_read = result.rows.height
    everything = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
    return ReadExtracts(checked, summarise_values(SUITE, everything))


def check_values(batches: list[ReadExtracts], dh_to_ons: dict[str, str], journal: list | None = None) -> None:
    """Validate every cell of every readable extract in the batches with one pass of the suite over their
    distinct values. The extracts of a batch holding a failing value (or with a repeated key) are read
    again and validated as `validate_distinct` does, so that each refused cell is named with its file,
    row, column, value and problem. A refused extract keeps its problems and loses its rows."""
    parameters = {"reason_codes": list(REASONS)}
    suspects = files_with_failures(SUITE, [batch.values for batch in batches], parameters, journal)
    results = {c.path.name: c for batch in batches for c in batch.checked if c.accepted and c.path.name in suspects}
    if not results:
        return
    frames = [prepare_extract(read_extract(c.path)[0], name, dh_to_ons) for name, c in results.items()]
    for problem in validate_distinct(SUITE, pl.concat(frames, how="diagonal_relaxed"), parameters, {}, journal):
        results[problem.file].problems.append(problem)
    for result in results.values():
        result.problems.sort(key=lambda p: (p.row or 0, p.column))
        if not result.accepted:
            result.withdraw_rows()


def check_extracts(
    paths: list[Path], dh_to_ons: dict[str, str], journal: list | None = None
) -> list[CheckedNationalFile]:
    """Read every extract, then validate all of them in one pass of the suite (its cost is per call)."""
    batch = read_extracts(paths, dh_to_ons)
    check_values([batch], dh_to_ons, journal)
    return batch.checked


def warehouse_rows(prepared: pl.DataFrame) -> pl.DataFrame:
    return prepared.select(
        pl.col("row").alias("row_number"),
        "month",
        pl.col("year").alias("financial_year"),
        "period_name",
        pl.col("provider_parent_org_code").alias("provider_parent_code"),
        pl.col("provider_parent_name")
        if "provider_parent_name" in prepared.columns
        else pl.lit(None, pl.String).alias("provider_parent_name"),
        pl.col("provider_org_code").alias("provider_code"),
        pl.col("provider_org_name").alias("provider_name"),
        pl.col("local_authority_code").alias("dh_la_code"),
        "la_code",
        pl.col("local_authority_name").alias("la_name")
        if "local_authority_name" in prepared.columns
        else pl.lit(None, pl.String).alias("la_name"),
        "care_type",
        "reason_code",
        "a_sum_measure",
        *(pl.col(f"{c}_value").alias(c) for c in MEASURE_COLUMNS),
    )
