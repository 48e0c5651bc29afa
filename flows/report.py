"""The monthly Excel report `dtoc_report_<YYYY-MM>.xlsx`, formatted for people.

Every figure is read from the published SQL views; this module only lays them out: the drafted
commentary (flows/commentary.py), the summary
(LA totals, rates against targets, the KPI with its RAG in words and colour, the gap explained),
the reconciliation laid out like the council's Cabinet table, the twelve weeks of the weekly
dashboard up to the month's end and the month's site and trust summaries.

A month's report is a report of that month: everything in it is the month's own rows (and the
twelve weeks to its end, by the workspace's month rule), never "the latest" data, so a later run
leaves it alone unless something it shows changed. Its "as of" date is the as-of of the run that
last wrote it, i.e. the run that last changed its figures.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb

from flows.commentary import draft
from flows.warehouse import publish_order

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


# The weeks each month's report shows: the latest twelve that count (wholly or in part, by the
# workspace's month rule, sql/intermediate/int_week_months.sql) towards that month or an earlier one.
# One query for the report and its fingerprint (flows/pipeline.py), so both cover the same rows.
REPORT_WEEKS_SQL = """
    select months.month, weeks.week_ending
    from (select unnest(?::varchar[]) as month) as months
    join (select week_ending, min(month) as first_month from int_week_months
          where week_ending in (select week_ending from weekly_site_summary)
          group by week_ending) as weeks
      on weeks.first_month <= months.month
    qualify row_number() over (partition by months.month order by weeks.week_ending desc) <= 12"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(sql, params)
    return [d[0] for d in cursor.description], cursor.fetchall()


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


def write_report(con: duckdb.DuckDBPyConnection, month: str, as_of: date, path: Path) -> Path:
    import xlsxwriter

    partial = path.with_name(f".{path.name}.partial")
    workbook = xlsxwriter.Workbook(str(partial), {"strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties(
        {"title": f"Delayed transfers of care {month}", "created": datetime.combine(as_of, datetime.min.time())}
    )
    formats = _formats(workbook)
    la = con.execute(
        "select la_code, coalesce(la_name, la_code) from ref_local_authorities where la_code = getvariable('home_la')"
    ).fetchone() or (None, None)
    for writer in (_commentary, _summary, _reconciliation, _weekly, _monthly):
        sheet = writer(workbook, formats, con, month, as_of, la)
        sheet.finish()
    workbook.close()
    partial.replace(path)
    return path


def _commentary(workbook, formats, con, month, as_of, la) -> _Sheet:
    sheet = _Sheet(workbook, "Commentary", formats)
    sheet.title(f"Delayed transfers of care: {la[1]}, {month}: drafted commentary ({written_as_of(as_of)})")
    sheet.sheet.freeze_panes(1, 0)
    for heading, sentences in draft(con, month):
        sheet.write_row([heading], ["bold"])
        for sentence in sentences:
            sheet.sheet.write_string(sheet.row, 0, sentence, sheet._as_text(sentence, "wrap"))
            sheet.row += 1
        sheet.gap()
    sheet.widths[0] = 110
    return sheet


def _summary(workbook, formats, con, month, as_of, la) -> _Sheet:
    sheet = _Sheet(workbook, "Summary", formats)
    sheet.title(f"Delayed transfers of care: {la[1]} ({la[0]}), {month}  ({written_as_of(as_of)})")
    names, rows = _rows(
        con,
        f"""
        select responsible_org, local_days, national_days, bcf_target_days, local_minus_target,
               national_minus_target, national_minus_local
        from reconciliation where month = ? and provider_code = 'Total'
        order by {publish_order("reconciliation")}""",
        [month],
    )
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
    for row in rows:
        style = "days_bold" if row[0] == "Total" else "days"
        sheet.write_row([ORG_LABELS[row[0]], *row[1:]], ["bold" if row[0] == "Total" else None] + [style] * 6)
    sheet.gap()
    sheet.write_row(["Delayed days per day per 100,000 population aged 18+"], ["bold"])
    _, rates = _rows(
        con,
        """
        select measure,
               max(rate_per_100k_per_day) filter (where source = 'local'),
               max(rate_per_100k_per_day) filter (where source = 'national'),
               max(rate_per_100k_per_day) filter (where source = 'bcf_target'),
               max(national_target_per_100k_per_day)
        from la_rates where month = ? group by measure
        order by rate_measure_rank(measure)""",
        [month],
    )
    sheet.header(["Measure", "Local", "National", "BCF target", "National rate target"])
    for row in rates:
        sheet.write_row(list(row), [None, "rate", "rate", "rate", "rate"])
    sheet.gap()
    kpi = con.execute(
        "select pct_att_social_care, target_pct, rag from kpi_monthly where month = ?", [month]
    ).fetchone()
    sheet.write_row(
        ["% of delayed days attributable to adult social care (incl. share of joint), lower is better"], ["bold"]
    )
    sheet.header(["Month", "% attributable to social care", "Target %", "RAG"])
    if kpi:
        sheet.write_row([month, kpi[0], kpi[1], kpi[2]], [None, "pct", "pct", f"rag_{kpi[2]}" if kpi[2] else None])
    sheet.gap()
    sheet.write_row(["Why national differs from local: local + national only + residual = national"], ["bold"])
    _, gap = _rows(
        con,
        f"""
        select component, days from gap_decomposition where month = ?
        order by {publish_order("gap_decomposition")}""",
        [month],
    )
    sheet.header(["Component", "Days"])
    explain = {
        "local": "Local count",
        "national_only": "Residents at providers outside the local collection",
        "residual": "Residual (national validation and timing)",
        "national": "National figure",
    }
    for component, days in gap:
        sheet.write_row([explain[component], days], [None, "days"])
    return sheet


def _reconciliation(workbook, formats, con, month, as_of, la) -> _Sheet:
    sheet = _Sheet(workbook, "Reconciliation", formats)
    sheet.title(f"Local, national and BCF target by provider and responsible organisation, {month}")
    _, rows = _rows(
        con,
        f"""
        select responsible_org, provider_code, provider_name, local_days, national_days, national_provider_days,
               out_of_area_days, bcf_target_days, local_minus_target, national_minus_target, national_minus_local
        from reconciliation where month = ?
        order by {publish_order("reconciliation")}""",
        [month],
    )
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
    for org, code, name, *figures in rows:
        total = code == "Total"
        label = ORG_LABELS[org] if org != previous else ""
        provider = f"{la[1]} total" if total else name
        sheet.write_row(
            [label, provider, *figures],
            ["bold", "bold" if total else None] + ["days_bold" if total else "days"] * len(figures),
        )
        previous = org
    return sheet


def _weekly(workbook, formats, con, month, as_of, la) -> _Sheet:
    sheet = _Sheet(workbook, "Weekly (12 weeks)", formats)
    names, rows = _rows(
        con,
        f"""
        select * from weekly_site_summary
        where week_ending in (select week_ending from ({REPORT_WEEKS_SQL}))
        order by week_ending, provider_code, site_code""",
        [[month]],
    )
    sheet.header([column_label(name) for name in names], freeze=True)
    styles = [_style(name) for name in names]
    for row in rows:
        sheet.write_row(list(row), styles)
    return sheet


def _monthly(workbook, formats, con, month, as_of, la) -> _Sheet:
    sheet = _Sheet(workbook, "Monthly", formats)
    coverage = con.execute(
        "select coverage, returns_received, returns_expected from monthly_headlines where month = ?", [month]
    ).fetchone()
    if coverage and coverage[0] != "complete":
        sheet.write_row([f"{month}: {coverage[0]} ({coverage[1]} of {coverage[2]} weekly returns received)"], ["bold"])
    for view in ("monthly_provider_summary", "monthly_site_summary"):
        names, rows = _rows(con, f"select * from {view} where month = ? order by all", [month])
        sheet.header([column_label(name) for name in names], freeze=view == "monthly_provider_summary")
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
