"""Read a weekly submission (CSV or XLSX) into a frame of text cells, as the analyst sees it.

Nothing is interpreted here beyond the header: every cell stays text so that validation can
report the value exactly as it was typed, and `row` is the row number shown by Excel or a text
editor (the header is the first filled row: blank rows above it are counted, as Excel does).
In a workbook, the one sheet whose header names site_code and week_ending is read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

SUPPORTED_SUFFIXES = (".csv", ".xlsx")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls, and the container of a password-protected workbook
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # the stream an encrypted workbook keeps in that container
EXCEL_ERRORS = {
    "NA": "#N/A",
    "Value": "#VALUE!",
    "Div0": "#DIV/0!",
    "Ref": "#REF!",
    "Name": "#NAME?",
    "Num": "#NUM!",
    "Null": "#NULL!",
}
BLANK_HEADER = "\x00column "  # name given to a column whose header cell is blank (followed by its position)

# Header spellings seen in returns, mapped to the column names of docs/data_dictionary.md ("Weekly returns").
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
    """The file cannot be read as a table at all; the message is for the analyst (with its row, when one is to blame)."""

    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.row = row


@dataclass(frozen=True)
class RawSubmission:
    path: Path
    content_hash: str
    cells: pl.DataFrame  # text columns named as in docs/data_dictionary.md, plus `row`
    headers: dict[str, str] = field(default_factory=dict)  # column name -> the header as typed


def content_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def without_blank_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows that are entirely blank (an editor's trailing empty lines, Excel's `,,,,`) dropped."""
    return frame.filter(~pl.all_horizontal(pl.all().cast(pl.String).str.strip_chars().fill_null("") == ""))


def normalise_header(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", str(name).strip().lower())
    return HEADER_ALIASES.get(key, key)


def read_submission(path: Path) -> RawSubmission:
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile("the file is empty")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table, header_row = _read_csv(data)
    elif suffix == ".xlsx":
        table, header_row = _read_xlsx(path, data)
    else:
        raise UnreadableFile(f"'{path.suffix}' files are not read; send a .csv or .xlsx file")
    cells, headers = tidy_cells(table, header_row)
    return RawSubmission(path, hashlib.sha256(data).hexdigest(), cells, headers)


def _read_csv(data: bytes) -> tuple[pl.DataFrame, int]:
    """The table (header row included, as text) and the line the header is on (blank lines above it skipped)."""
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
    if "\r" in text and "\n" not in text:  # old Mac line ends
        text = text.replace("\r", "\n")
    lines = text.split("\n")
    blank = next((i for i, line in enumerate(lines) if line.strip(" \t\r,")), None)
    if blank is None:
        raise UnreadableFile("the file is empty")
    try:  # the header is read as a row like the others, so that a blank header cell stays blank
        table = pl.read_csv(
            io.StringIO("\n".join(lines[blank:])), infer_schema=False, has_header=False, truncate_ragged_lines=False
        )
    except Exception as exc:  # polars raises several error types for malformed text
        _raise_for_ragged_row(lines[blank:], blank + 1)
        raise UnreadableFile(f"the file could not be read as CSV: {str(exc).splitlines()[0]}") from None
    if table.width == 1:
        header = lines[blank]
        for separator, name in ((";", "semicolons (;)"), ("\t", "tabs")):
            if separator in header:
                raise UnreadableFile(
                    f"the file is separated by {name}, not commas; save it as 'CSV UTF-8 (Comma delimited)'"
                )
    return _with_header(table, 0), blank + 1


def _raise_for_ragged_row(lines: list[str], header_row: int) -> None:
    """Name the first row with more cells than the header (the usual reason a CSV cannot be read)."""
    records = csv.reader(lines)
    width = len(next(records, []))
    for offset, record in enumerate(records, start=1):
        if len(record) > width and any(cell.strip() for cell in record[width:]):
            raise UnreadableFile(
                f"row {header_row + offset} has {len(record)} cells but the header has {width}: "
                "a value has a comma in it (put it in double quotes) or a column has no header",
                row=header_row + offset,
            )


def _read_xlsx(path: Path, data: bytes) -> tuple[pl.DataFrame, int]:
    """The sheet that holds the returns, its cells as text, and the Excel row number of its header."""
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED_PACKAGE in data:
            raise UnreadableFile("the workbook is password-protected; save it without a password")
        raise UnreadableFile("this is an old-style Excel (.xls) workbook with an .xlsx name; save it as .xlsx")
    if not data.startswith(ZIP_MAGIC):
        raise UnreadableFile("the file has an .xlsx name but is not an Excel workbook")
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
        # every cell as text, from Excel row 1 (skip_rows=0 keeps leading blank rows, so row numbers match Excel's)
        sheets = {
            name: _with_error_cells(
                reader, name, reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_polars()
            )
            for name in reader.sheet_names
        }
    except Exception as exc:
        raise UnreadableFile(f"the workbook could not be read: {str(exc).splitlines()[0]}") from None
    sheets = {name: _excel_text(table) for name, table in sheets.items()}
    holding_data = [name for name, table in sheets.items() if _first_filled_row(table) is not None]
    if not holding_data:
        raise UnreadableFile("the workbook has no data")
    headers = {name: _returns_header_row(sheets[name]) for name in holding_data}
    returns = [name for name in holding_data if headers[name] is not None]
    if len(returns) > 1:
        raise UnreadableFile(
            f"the workbook has returns on more than one sheet ({', '.join(returns)}); "
            "send one sheet of returns per file"
        )
    if not returns and len(holding_data) > 1:
        raise UnreadableFile(
            "no sheet has a header row with site_code and week_ending; sheets holding data: " + ", ".join(holding_data)
        )
    name = (returns or holding_data)[0]
    table = sheets[name]
    header_index = headers[name] if returns else _first_filled_row(table)
    for index in range(header_index):  # a title line above the header is fine; a row of data is not
        filled = [cell for cell in table.row(index) if cell is not None and cell.strip()]
        if len(filled) > 1:
            raise UnreadableFile(
                f"row {index + 1} of sheet {name}, above the header on row {header_index + 1}, "
                "holds data; put the header on the first row of the returns"
            )
    return _with_header(table, header_index), header_index + 1


def _returns_header_row(table: pl.DataFrame, look_at: int = 20) -> int | None:
    """Index of the row naming site_code and week_ending among the sheet's first filled rows, if any."""
    first = _first_filled_row(table)
    if first is None:
        return None
    return next((i for i in range(first, min(first + look_at, table.height)) if _is_returns_header(table, i)), None)


def _with_error_cells(reader, sheet: str, table: pl.DataFrame) -> pl.DataFrame:
    """Excel error cells (#N/A, #VALUE! ...) read as blank; put back what Excel shows, so they are reported as such."""
    if table.width == 0:
        return table
    _, errors = reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="int").to_arrow_with_errors()
    columns = {name: table[name].to_list() for name in table.columns}
    found = False
    for error in errors.errors if errors else []:
        kind = re.search(r"got 'Error\((\w+)\)'", error.detail)
        row, column = error.position
        if kind and column < table.width and row < table.height:
            columns[table.columns[column]][row] = EXCEL_ERRORS.get(kind.group(1), f"#{kind.group(1).upper()}")
            found = True
    return pl.DataFrame(columns, schema=table.schema) if found else table


def _excel_text(table: pl.DataFrame) -> pl.DataFrame:
    """Cells as Excel shows them: a date cell (read as 'YYYY-MM-DD 00:00:00') becomes YYYY-MM-DD."""
    return table.select(pl.col(name).str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", "$1") for name in table.columns)


def _first_filled_row(table: pl.DataFrame) -> int | None:
    """Index of the first row with a non-blank cell (None for an empty sheet)."""
    if table.width == 0:
        return None
    filled = table.select(
        pl.any_horizontal(pl.col(c).str.strip_chars().fill_null("") != "" for c in table.columns).arg_true()
    ).to_series()
    return None if filled.is_empty() else int(filled[0])


def _is_returns_header(table: pl.DataFrame, index: int) -> bool:
    names = {normalise_header(cell) for cell in table.row(index) if cell is not None}
    return {"site_code", "week_ending"} <= names


def _with_header(table: pl.DataFrame, header_index: int) -> pl.DataFrame:
    """Rows below `header_index` named by that row; a blank header cell is named `column N` (its position)."""
    header = [None if cell is None or not str(cell).strip() else str(cell) for cell in table.row(header_index)]
    names = [cell if cell is not None else f"{BLANK_HEADER}{position}" for position, cell in enumerate(header, 1)]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:  # the same header typed twice: refused here, before naming the columns would fail
        raise UnreadableFile(f"the header names column {', '.join(repeated)} more than once")
    return table.slice(header_index + 1).rename(dict(zip(table.columns, names)))


def tidy_cells(cells: pl.DataFrame, header_row: int = 1) -> tuple[pl.DataFrame, dict[str, str]]:
    """Documented column names, trimmed text, blank cells as null, blank rows dropped, `row` added.

    Returns the cells and each column's header as typed (by column name).
    `row` is the row number as Excel or a text editor shows it (the header is on `header_row`).
    A column with no header is dropped when empty and refuses the file when it holds values.
    """
    cells = cells.select(pl.col(name).str.strip_chars().replace("", None) for name in cells.columns)
    cells = cells.with_row_index("row", offset=header_row + 1).with_columns(pl.col("row").cast(pl.Int64))
    for name in [c for c in cells.columns if c.startswith(BLANK_HEADER)]:
        filled = cells.filter(pl.col(name).is_not_null())
        if filled.height:
            raise UnreadableFile(
                f"column {name.removeprefix(BLANK_HEADER)} has no header but holds values "
                f"(row {filled['row'][0]}: '{filled[name][0]}'); give it a header or delete it"
            )
        cells = cells.drop(name)
    originals = [c for c in cells.columns if c != "row"]
    if not originals:
        raise UnreadableFile("the first row is not a header: it has no column names")
    names = [normalise_header(name) for name in originals]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise UnreadableFile(f"the header names column {', '.join(duplicated)} more than once")
    cells = cells.rename(dict(zip(originals, names)))
    return cells.filter(pl.any_horizontal(pl.col(name).is_not_null() for name in names)), dict(zip(names, originals))
