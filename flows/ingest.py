"""Read a weekly submission (CSV or XLSX) into a frame of text cells, as the analyst sees it.

Nothing is interpreted here beyond the header: every cell stays text so that validation can
report the value exactly as it was typed, and `row` is the row number shown by Excel or a text
editor (the header is row 1).
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

SUPPORTED_SUFFIXES = (".csv", ".xlsx")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls

# Header spellings seen in returns, mapped to the contract's column names.
HEADER_ALIASES = {
    "site": "site_code",
    "week_end": "week_ending",
    "week_ending_date": "week_ending",
    "week_end_date": "week_ending",
    "local_authority_code": "la_code",
    "la": "la_code",
    "responsible_organisation": "responsible_org",
    "responsibility": "responsible_org",
    "reason": "reason_code",
    "reason_for_delay": "reason_code",
    "days": "delayed_days",
    "sc_days": "social_care_days",
    "asc_days": "social_care_days",
    "joint_days": "both_days",
}


class UnreadableFile(Exception):
    """The file cannot be read as a table at all; the message is for the analyst."""


@dataclass(frozen=True)
class RawSubmission:
    path: Path
    content_hash: str
    cells: pl.DataFrame  # text columns named as in the contract, plus `row`


def content_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def normalise_header(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", str(name).strip().lower())
    return HEADER_ALIASES.get(key, key)


def read_submission(path: Path) -> RawSubmission:
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile("the file is empty")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        cells = _read_csv(data)
    elif suffix == ".xlsx":
        cells = _read_xlsx(path, data)
    else:
        raise UnreadableFile(f"'{path.suffix}' files are not read; send a .csv or .xlsx file")
    return RawSubmission(path, hashlib.sha256(data).hexdigest(), tidy_cells(cells))


def _read_csv(data: bytes) -> pl.DataFrame:
    if data.startswith(ZIP_MAGIC):
        raise UnreadableFile("this is an Excel workbook with a .csv name; save it as .xlsx or export it as CSV")
    if data.startswith(OLE_MAGIC):
        raise UnreadableFile("this is an old-style Excel (.xls) file with a .csv name; export it as CSV")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("the file is saved as UTF-16 text; save it as 'CSV UTF-8'")
    if b"\x00" in data[:4096]:
        raise UnreadableFile("the file is binary, not CSV text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UnreadableFile(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save it as 'CSV UTF-8'"
        ) from None
    try:
        return pl.read_csv(io.StringIO(text), infer_schema=False, truncate_ragged_lines=False)
    except Exception as exc:  # polars raises several error types for malformed text
        raise UnreadableFile(f"the file could not be read as CSV: {str(exc).splitlines()[0]}") from None


def _read_xlsx(path: Path, data: bytes) -> pl.DataFrame:
    if not data.startswith(ZIP_MAGIC):
        raise UnreadableFile("the file has an .xlsx name but is not an Excel workbook")
    try:
        frame = pl.read_excel(path, sheet_id=1)
    except Exception as exc:
        raise UnreadableFile(f"the workbook could not be read: {str(exc).splitlines()[0]}") from None
    return frame.select(_excel_cell_as_text(name, dtype) for name, dtype in frame.schema.items())


def _excel_cell_as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    """Show Excel cells as a person typed them: 105 not 105.0, dates as YYYY-MM-DD."""
    col = pl.col(name)
    if dtype in (pl.Date, pl.Datetime):
        return col.dt.strftime("%Y-%m-%d").alias(name)
    if dtype.is_float():
        whole = col.round(0) == col
        return pl.when(whole).then(col.cast(pl.Int64).cast(pl.String)).otherwise(col.cast(pl.String)).alias(name)
    return col.cast(pl.String).alias(name)


def tidy_cells(cells: pl.DataFrame) -> pl.DataFrame:
    """Contract header names, trimmed text, blank cells as null, blank rows dropped, `row` added."""
    names = [normalise_header(name) for name in cells.columns]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise UnreadableFile(f"the header names column {', '.join(duplicated)} more than once")
    cells = cells.rename(dict(zip(cells.columns, names)))
    cells = cells.select(pl.col(name).str.strip_chars().replace("", None) for name in names)
    cells = cells.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))
    return cells.filter(pl.any_horizontal(pl.col(name).is_not_null() for name in names))
