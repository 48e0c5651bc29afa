"""The monthly Excel report's workbook, laid out for people from figures already read (`ReportContent`).

This module only lays out: it never opens the warehouse (flows/report.py reads every figure from
the published SQL views), so that a backfill can lay many workbooks out in worker processes.
xlsxwriter writes the same bytes for the same calls, wherever it runs.
"""

from __future__ import annotations

import pickle
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

FORMULA_LEADERS = ("=", "+", "-", "@")
ORG_LABELS = {
    "NHS": "NHS delayed days",
    "Social Care": "Social care delayed days",
    "Both": "Joint (both) delayed days",
    "Total": "Total delayed days",
}
RAG_COLOURS = {"GREEN": "#C6EFCE", "AMBER": "#FFEB9C", "RED": "#FFC7CE"}
# Column headers people read, for the sheets that list a published table's columns.
COLUMN_LABELS = {
    "week_ending": "Week ending",
    "month": "Month",
    "provider_code": "Trust code",
    "provider_name": "Trust",
    "site_code": "Site code",
    "site_name": "Site",
    "care_type": "Care type",
    "nhs_days": "NHS days",
    "social_care_days": "Social care days",
    "both_days": "Joint (both) days",
    "att_nhs_days": "Attributed to NHS",
    "att_social_care_days": "Attributed to social care",
    "total_days": "Total days",
    "pct_att_social_care": "% attributable to social care",
    "direction": "Direction of travel",
    "avg_12wk_total_days": "12-week average total days",
}


def column_label(name: str) -> str:
    return COLUMN_LABELS.get(name, name.replace("_", " ").capitalize())


def looks_like_formula(value) -> bool:
    """Text that Excel would take for a formula when typed: written with a quote-prefix format instead.

    The quote prefix (Excel's "this cell is text" flag, xlsxwriter `quote_prefix`) keeps the text
    exactly as it was (no apostrophe added to the value), shown as text and never evaluated.
    """
    return isinstance(value, str) and value.startswith(FORMULA_LEADERS)


@dataclass
class ReportContent:
    """Everything a month's report shows, as read from the published views: plain values, no connection,
    so that the workbook can be laid out in another process (`lay_out_report`)."""

    month: str
    as_of: date
    la: tuple[str | None, str | None]  # code, name
    commentary: list[tuple[str, list[str]]]
    totals: list[tuple]  # the reconciliation's LA total by responsible organisation
    rates: list[tuple]
    kpi: tuple | None
    gap: list[tuple]
    reconciliation: list[tuple]
    weekly: tuple[list[str], list[tuple]]
    coverage: tuple | None
    monthly: list[tuple[list[str], list[tuple]]]  # the provider summary, then the site summary


class _Sheet:
    """A worksheet written row by row with the report's formats."""

    def __init__(self, workbook, name: str, formats: dict):
        self.workbook = workbook
        self.sheet = workbook.add_worksheet(name)
        self.formats = formats
        self.row = 0
        self.widths: dict[int, int] = {}

    def write_row(self, values: list, styles: list[str | None] | None = None) -> None:
        for col, value in enumerate(values):
            style = (styles or [None] * len(values))[col] or "text"
            fmt = self.formats.get(style)
            if value is None:
                self.sheet.write_blank(self.row, col, None, fmt)
            elif isinstance(value, str):
                self.sheet.write_string(self.row, col, value, self._as_text(value, style))
            elif isinstance(value, (date, datetime)):
                self.sheet.write_datetime(
                    self.row, col, datetime.combine(value, datetime.min.time()), self.formats["date"]
                )
            else:
                self.sheet.write_number(self.row, col, value, fmt)
            shown = len(str(value)) if value is not None else 0
            self.widths[col] = max(self.widths.get(col, 8), min(shown + 2, 60))
        self.row += 1

    def header(self, names: list[str], freeze: bool = False) -> None:
        self.write_row(names, ["header"] * len(names))
        if freeze:
            self.sheet.freeze_panes(self.row, 0)

    def _as_text(self, value: str, style: str):
        """The style's format, quote-prefixed for text that looks like a formula (that twin made when first needed)."""
        if not looks_like_formula(value):
            return self.formats.get(style)
        key = f"{style}_quote_prefix"
        if key not in self.formats:
            self.formats[key] = self.workbook.add_format({**_format_properties().get(style, {}), "quote_prefix": True})
        return self.formats[key]

    def title(self, text: str) -> None:
        self.sheet.write_string(self.row, 0, text, self._as_text(text, "title"))
        self.row += 2

    def gap(self) -> None:
        self.row += 1

    def finish(self) -> None:
        for col, width in self.widths.items():
            self.sheet.set_column(col, col, width)


def _format_properties() -> dict[str, dict]:
    return {
        "title": {"bold": True, "font_size": 14},
        "header": {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"},
        "text": {},
        "bold": {"bold": True},
        "wrap": {"text_wrap": True, "valign": "top"},
        "days": {"num_format": "#,##0"},
        "days_bold": {"num_format": "#,##0", "bold": True, "top": 1},
        "decimal": {"num_format": "#,##0.0"},
        "rate": {"num_format": "0.00"},
        "pct": {"num_format": '0.0"%"'},
        "date": {"num_format": "dd/mm/yyyy"},
        **{f"rag_{name}": {"bold": True, "bg_color": colour} for name, colour in RAG_COLOURS.items()},
    }


def written_as_of(as_of: date) -> str:
    """The report's date: that of the run that last changed what it shows (later runs leave it alone)."""
    return f"as of {as_of.isoformat()}, the run that last changed this report"


def _formats(workbook) -> dict:
    return {name: workbook.add_format(properties) for name, properties in _format_properties().items()}


def lay_out_report(content: ReportContent, path: Path) -> Path:
    """The workbook at `path` (written beside it, then moved into place). Needs no warehouse."""
    import xlsxwriter

    partial = path.with_name(f".{path.name}.partial")
    workbook = xlsxwriter.Workbook(str(partial), {"strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties(
        {
            "title": f"Delayed transfers of care {content.month}",
            "created": datetime.combine(content.as_of, datetime.min.time()),
        }
    )
    formats = _formats(workbook)
    for writer in (_commentary, _summary, _reconciliation, _weekly, _monthly):
        sheet = writer(workbook, formats, content)
        sheet.finish()
    workbook.close()
    partial.replace(path)
    return path


def _commentary(workbook, formats, content: ReportContent) -> _Sheet:
    sheet = _Sheet(workbook, "Commentary", formats)
    sheet.title(
        f"Delayed transfers of care: {content.la[1]}, {content.month}: drafted commentary "
        f"({written_as_of(content.as_of)})"
    )
    sheet.sheet.freeze_panes(1, 0)
    for heading, sentences in content.commentary:
        sheet.write_row([heading], ["bold"])
        for sentence in sentences:
            sheet.sheet.write_string(sheet.row, 0, sentence, sheet._as_text(sentence, "wrap"))
            sheet.row += 1
        sheet.gap()
    sheet.widths[0] = 110
    return sheet


def _summary(workbook, formats, content: ReportContent) -> _Sheet:
    sheet = _Sheet(workbook, "Summary", formats)
    la = content.la
    sheet.title(f"Delayed transfers of care: {la[1]} ({la[0]}), {content.month}  ({written_as_of(content.as_of)})")
    sheet.header(
        [
            "Responsible organisation",
            "Local count (days)",
            "National (days)",
            "BCF target (days)",
            "Local - target",
            "National - target",
            "National - local",
        ],
        freeze=True,
    )
    for row in content.totals:
        style = "days_bold" if row[0] == "Total" else "days"
        sheet.write_row([ORG_LABELS[row[0]], *row[1:]], ["bold" if row[0] == "Total" else None] + [style] * 6)
    sheet.gap()
    sheet.write_row(["Delayed days per day per 100,000 population aged 18+"], ["bold"])
    sheet.header(["Measure", "Local", "National", "BCF target", "National rate target"])
    for row in content.rates:
        sheet.write_row(list(row), [None, "rate", "rate", "rate", "rate"])
    sheet.gap()
    kpi = content.kpi
    sheet.write_row(
        ["% of delayed days attributable to adult social care (incl. share of joint), lower is better"], ["bold"]
    )
    sheet.header(["Month", "% attributable to social care", "Target %", "RAG"])
    if kpi:
        sheet.write_row(
            [content.month, kpi[0], kpi[1], kpi[2]], [None, "pct", "pct", f"rag_{kpi[2]}" if kpi[2] else None]
        )
    sheet.gap()
    sheet.write_row(["Why national differs from local: local + national only + residual = national"], ["bold"])
    sheet.header(["Component", "Days"])
    explain = {
        "local": "Local count",
        "national_only": "Residents at providers outside the local collection",
        "residual": "Residual (national validation and timing)",
        "national": "National figure",
    }
    for component, days in content.gap:
        sheet.write_row([explain[component], days], [None, "days"])
    return sheet


def _reconciliation(workbook, formats, content: ReportContent) -> _Sheet:
    sheet = _Sheet(workbook, "Reconciliation", formats)
    sheet.title(f"Local, national and BCF target by provider and responsible organisation, {content.month}")
    sheet.header(
        [
            "Responsible authority",
            "Provider organisation",
            "Locally collected",
            "National (LA residents)",
            "National (all residents)",
            "Other councils' residents",
            "BCF target",
            "Local - target",
            "National - target",
            "National - local",
        ],
        freeze=True,
    )
    previous = None
    for org, code, name, *figures in content.reconciliation:
        total = code == "Total"
        label = ORG_LABELS[org] if org != previous else ""
        provider = f"{content.la[1]} total" if total else name
        sheet.write_row(
            [label, provider, *figures],
            ["bold", "bold" if total else None] + ["days_bold" if total else "days"] * len(figures),
        )
        previous = org
    return sheet


def _weekly(workbook, formats, content: ReportContent) -> _Sheet:
    sheet = _Sheet(workbook, "Weekly (12 weeks)", formats)
    names, rows = content.weekly
    sheet.header([column_label(name) for name in names], freeze=True)
    styles = [_style(name) for name in names]
    for row in rows:
        sheet.write_row(list(row), styles)
    return sheet


def _monthly(workbook, formats, content: ReportContent) -> _Sheet:
    sheet = _Sheet(workbook, "Monthly", formats)
    coverage = content.coverage
    if coverage and coverage[0] != "complete":
        sheet.write_row(
            [f"{content.month}: {coverage[0]} ({coverage[1]} of {coverage[2]} weekly returns received)"], ["bold"]
        )
    for index, (names, rows) in enumerate(content.monthly):
        sheet.header([column_label(name) for name in names], freeze=index == 0)
        styles = [_style(name) for name in names]
        for row in rows:
            sheet.write_row(list(row), styles)
        sheet.gap()
    return sheet


def _style(column: str) -> str | None:
    if column.startswith("pct"):
        return "pct"
    if column.endswith("_days"):
        return "decimal" if column.startswith(("att_", "avg_")) else "days"
    return None


if __name__ == "__main__":  # a worker of flows/report.py's ReportWriter: [(content, path), ...] pickled on stdin
    import traceback

    for content, path in pickle.load(sys.stdin.buffer):
        try:
            lay_out_report(content, path)
        except Exception as exc:
            traceback.print_exc()
            said = " ".join(str(exc).split())  # one line: the run reports the worker's last line
            raise SystemExit(f"{path.name}: {type(exc).__name__}: {said}") from None
