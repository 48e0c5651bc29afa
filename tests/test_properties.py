"""Invariants of the weekly pipeline over generated files and operation orders (Hypothesis).

Each example builds a small workspace and drops weekly files, valid and broken (blank cells,
unknown columns, fractional or negative days, unknown sites, duplicate rows, other councils'
rows), rendered in the ways returns really arrive (ISO or UK dates, BOM, CRLF, odd header case,
Excel's trailing empty rows, zero-padded numbers), then resubmits, reverts and reruns them in a
random order. After every run:

- the run completes, whatever the files hold;
- every file is either loaded or in quarantine/ with an errors.csv naming it, and a broken file
  is never loaded;
- the home council's published figures for every site-week equal the rows of the latest accepted
  file carrying that site-week (worked out here from the generated rows, not read back);
- a rerun with nothing new changes no published byte.

Examples are kept small so the suite stays fast: set HYPOTHESIS_PROFILE=deep for a longer search.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.weekly import run_weekly
from flows.workspace import open_workspace

settings.register_profile(
    "ci",
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep", max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

HOME_LA, OTHER_LA = "E10000016", "E06000035"
SITES = {"DVH": "acute", "MAID": "acute", "KCHFT": "non-acute"}
WEEKS = (date(2017, 9, 7), date(2017, 9, 14), date(2017, 9, 21))
AS_OF = date(2017, 9, 29)
ORGS = ("NHS", "Social Care", "Both")
ORG_SPELLINGS = {"NHS": ("NHS", "nhs"), "Social Care": ("Social Care", "SC", "ASC"), "Both": ("Both", "Joint")}
REASONS = ("A", "B", "DII", "E")
DEFECTS = {
    "detail": (
        "blank_org",
        "blank_la",
        "blank_reason",
        "blank_care_type",
        "blank_days",
        "unknown_column",
        "negative_days",
        "fractional_days",
        "unknown_site",
        "duplicate_row",
    ),
    "summary": ("blank_days", "unknown_column", "negative_days", "fractional_days", "unknown_site", "duplicate_row"),
}


@dataclass(frozen=True)
class Return:
    """One generated file: its rows (site, week, la, care type, org, reason, days) and how it is written."""

    layout: str
    rows: tuple[tuple, ...]
    defect: str | None
    uk_dates: bool
    bom: bool
    crlf: bool
    trailing_empty_rows: int
    header_style: str
    padded_numbers: bool
    org_spelling: int

    @property
    def keys(self) -> set[tuple[str, date]]:
        return {(row[0], row[1]) for row in self.rows}

    def home_days(self) -> dict[tuple[str, date], dict[str, int]]:
        days: dict[tuple[str, date], dict[str, int]] = {key: dict.fromkeys(ORGS, 0) for key in self.keys}
        for site, week, la, _care, org, _reason, n in self.rows:
            if la == HOME_LA:
                days[(site, week)][org] += n
        return days

    def render(self) -> bytes:
        header, lines = self._table()
        header = [self._style(name) for name in header]
        text_rows = [",".join(header)] + [",".join(cells) for cells in lines]
        text_rows += ["," * (len(header) - 1)] * self.trailing_empty_rows
        newline = "\r\n" if self.crlf else "\n"
        data = (newline.join(text_rows) + newline).encode("utf-8")
        return b"\xef\xbb\xbf" + data if self.bom else data

    def _style(self, name: str) -> str:
        if self.header_style == "title":
            return name.replace("_", " ").title()
        if self.header_style == "upper":
            return f" {name.upper()} "
        return name

    def _number(self, n: int) -> str:
        return f"{n:02d}" if self.padded_numbers else str(n)

    def _date(self, day: date) -> str:
        return day.strftime("%d/%m/%Y") if self.uk_dates else day.isoformat()

    def _table(self) -> tuple[list[str], list[list[str]]]:
        if self.layout == "detail":
            header = [
                "site_code",
                "week_ending",
                "la_code",
                "care_type",
                "responsible_org",
                "reason_code",
                "delayed_days",
            ]
            lines = [
                [
                    site,
                    self._date(week),
                    la,
                    care,
                    ORG_SPELLINGS[org][self.org_spelling % len(ORG_SPELLINGS[org])],
                    reason,
                    self._number(n),
                ]
                for site, week, la, care, org, reason, n in self.rows
            ]
        else:
            header = ["site_code", "week_ending", "nhs_days", "social_care_days", "both_days", "la_code"]
            grouped: dict[tuple, dict[str, int]] = {}
            for site, week, la, _care, org, _reason, n in self.rows:
                grouped.setdefault((site, week, la), dict.fromkeys(ORGS, 0))[org] += n
            lines = [
                [site, self._date(week), *(self._number(d[org]) for org in ORGS), la]
                for (site, week, la), d in grouped.items()
            ]
        return header, self._break(header, lines)

    def _break(self, header: list[str], lines: list[list[str]]) -> list[list[str]]:
        """Write the file's one defect into its first row (the rest stay valid)."""
        if self.defect is None:
            return lines
        first = lines[0]
        day_column = header.index("delayed_days" if self.layout == "detail" else "nhs_days")
        blank = {
            "blank_org": "responsible_org",
            "blank_la": "la_code",
            "blank_reason": "reason_code",
            "blank_care_type": "care_type",
            "blank_days": header[day_column],
        }
        if self.defect in blank:
            first[header.index(blank[self.defect])] = ""
        elif self.defect == "negative_days":
            first[day_column] = "-3"
        elif self.defect == "fractional_days":
            first[day_column] = "2.5"
        elif self.defect == "unknown_site":
            first[0] = "XYZ"
        elif self.defect == "duplicate_row":
            lines.append(list(first))
        elif self.defect == "unknown_column":
            header[header.index("la_code")] = "local_authority"
        return lines


@st.composite
def weekly_returns(draw, layout: str | None = None) -> Return:
    layout = layout or draw(st.sampled_from(("detail", "summary")))
    keys = draw(
        st.lists(st.tuples(st.sampled_from(sorted(SITES)), st.sampled_from(WEEKS)), min_size=1, max_size=3, unique=True)
    )
    rows = []
    for site, week in keys:
        if layout == "detail":
            combos = draw(
                st.lists(
                    st.tuples(
                        st.sampled_from((HOME_LA, HOME_LA, OTHER_LA)), st.sampled_from(ORGS), st.sampled_from(REASONS)
                    ),
                    min_size=1,
                    max_size=4,
                    unique=True,
                )
            )
        else:
            las = draw(st.lists(st.sampled_from((HOME_LA, OTHER_LA)), min_size=1, max_size=2, unique=True))
            combos = [(la, org, "NOT_STATED") for la in las for org in ORGS]
        rows += [(site, week, la, SITES[site], org, reason, draw(st.integers(0, 60))) for la, org, reason in combos]
    return Return(
        layout=layout,
        rows=tuple(rows),
        defect=draw(st.one_of(st.none(), st.none(), st.sampled_from(DEFECTS[layout]))),
        uk_dates=draw(st.booleans()),
        bom=draw(st.booleans()),
        crlf=draw(st.booleans()),
        trailing_empty_rows=draw(st.integers(0, 2)),
        header_style=draw(st.sampled_from(("plain", "title", "upper"))),
        padded_numbers=draw(st.booleans()),
        org_spelling=draw(st.integers(0, 2)),
    )


# An operation: write version `version` of file `slot` into the inbox, then (when `run`) run the flow.
operations = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.booleans()), min_size=2, max_size=5)


def published_digests(publish: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(publish.glob("*.csv"))}


@pytest.mark.long(160)
@given(versions=st.lists(st.lists(weekly_returns(), min_size=3, max_size=3), min_size=3, max_size=3), steps=operations)
def test_any_files_in_any_order_load_or_quarantine_and_totals_follow_the_accepted_rows(versions, steps):
    with tempfile.TemporaryDirectory(prefix="dtoc-property-") as tmp:
        ws = open_workspace(Path(tmp) / "work")
        on_disk: dict[int, bytes] = {}  # slot -> bytes now in the inbox (valid files stay there)
        waiting: list[tuple[int, Return]] = []  # written since the last run, in the order received
        current: dict[tuple[str, date], dict[str, int]] = {}  # what the home council's figures must be
        clock = datetime(2017, 9, 25, 9, 0).timestamp()
        steps = [*steps[:-1], (steps[-1][0], steps[-1][1], True)]  # always end with a run
        for slot, version, run in steps:
            generated = versions[slot][version]
            data = generated.render()
            path = ws.inbox_weekly / f"return_{slot}.csv"
            if on_disk.get(slot) != data or not path.exists():
                path.write_bytes(data)
                clock += 60
                os.utime(path, (clock, clock))
                on_disk[slot] = data
                waiting = [(s, r) for s, r in waiting if s != slot] + [(slot, generated)]
            if not run:
                continue
            summary = run_weekly(ws.root, AS_OF)
            quarantined = {q["file"] for q in summary.quarantined}
            for slot_done, generated_done in waiting:
                name = f"return_{slot_done}.csv"
                if generated_done.defect is None:
                    assert name not in quarantined, f"a valid file was refused: {name}"
                    assert (ws.inbox_weekly / name).exists()
                    for key, days in generated_done.home_days().items():
                        current[key] = days
                else:
                    assert name in quarantined, f"{name} with {generated_done.defect} was not refused"
                    assert not (ws.inbox_weekly / name).exists()
                    errors = list(ws.quarantine.glob(f"return_{slot_done}*.errors.csv"))
                    assert errors, f"no errors.csv for {name}"
                    assert any(pl.read_csv(e, infer_schema=False)["file"].eq(name).any() for e in errors)
                    on_disk.pop(slot_done, None)
            waiting = []
            assert_home_figures(ws.publish / "weekly_site_summary.csv", current)
        before = published_digests(ws.publish)
        run_weekly(ws.root, AS_OF)
        assert published_digests(ws.publish) == before


def assert_home_figures(path: Path, expected: dict[tuple[str, date], dict[str, int]]) -> None:
    if not expected:
        return
    table = pl.read_csv(path, try_parse_dates=True)
    published = {
        (row["site_code"], row["week_ending"]): {
            "NHS": row["nhs_days"],
            "Social Care": row["social_care_days"],
            "Both": row["both_days"],
        }
        for row in table.iter_rows(named=True)
    }
    assert published == expected
