"""National SitRep ingest, BCF trajectories, the reconciliation and its report."""

from __future__ import annotations

import zipfile
from datetime import date
from decimal import Decimal

import duckdb
import polars as pl
import pytest
from conftest import GOLDEN, demo_models_copy, published

from flows.demo import DEMO_AS_OF, NATIONAL_HEADER
from flows.national import run_national
from flows.sitrep import check_extracts
from flows.weekly import run_weekly

AS_OF = date(2017, 11, 24)
DH_TO_ONS = {"886": "E10000016", "887": "E06000035", "845": "E10000011"}
SEPT_TABLE_PROVIDERS = {
    "Dartford & Gravesham NHS Trust": "RN7",
    "East Kent Hospitals U.F. Trust": "RVV",
    "Kent & Medway Partnership Trust": "RXY",
    "Kent Community Health F. Trust": "RYY",
    "Maidstone & Tunbridge Wells Trust": "RWF",
    "Medway Foundation Trust": "RPA",
    "Virgin Care Services (NK Community)": "VCS",
    "Out of Area (NHS data only)": "OUT_OF_AREA",
}
SUMMARY_HEADER = "site_code,week_ending,nhs_days,social_care_days,both_days"


def extract_text(rows: list[str], header_line: int = 4, header: str = NATIONAL_HEADER) -> str:
    preamble = [f"Preamble line {i},," for i in range(1, header_line)]
    return "\n".join([*preamble, header, *rows]) + "\n"


def row(
    provider="RN7",
    la="886",
    care="ACUTE",
    reason="C_FURTHER_NON_ACUTE_NHS",
    nhs="10",
    sc="5",
    both="0",
    year="2017-18",
    period="SEPTEMBER",
) -> str:
    return (
        f"{year},{period},Y59,SOUTH EAST,{provider},{provider} TRUST,{la},Council {la},{care},{reason},"
        f"1.0,{nhs},0.5,{sc},0,{both}"
    )


def check_one(tmp_path, text: str, name: str = "extract.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    [result] = check_extracts([path], DH_TO_ONS)
    return result


# ---- reading the real layout ---------------------------------------------------------------


def test_header_on_line_4_and_financial_year_months(tmp_path):
    result = check_one(
        tmp_path,
        extract_text(
            [
                row(),
                row(period="JANUARY", year="2017/18"),
                row(period="march", year="2016-17", provider="RPA").replace(",0.5,", ",2,"),
            ]
        ),
    )
    assert result.accepted, result.problems
    assert result.header_line == 4
    assert result.rows.select("row_number", "month", "a_sum_measure").rows() == [
        (5, "2017-09", "average_delayed_beds"),
        (6, "2018-01", "average_delayed_beds"),
        (7, "2017-03", "patients_delayed_last_thursday"),
    ]


def test_header_on_line_5(tmp_path):
    result = check_one(tmp_path, extract_text([row()], header_line=5))
    assert result.accepted and result.header_line == 5
    assert result.rows["row_number"].to_list() == [6]


def test_sha_parent_columns_before_2013(tmp_path):
    header = NATIONAL_HEADER.replace("Provider Parent Org Code", "Provider SHA Code").replace(
        "Provider Parent Name", "Provider SHA Name"
    )
    result = check_one(
        tmp_path, extract_text([row(year="2011-12", period="JUNE").replace(",0.5,", ",2,")], header=header)
    )
    assert result.accepted, result.problems
    assert result.rows.select("month", "provider_parent_code", "provider_parent_name").rows() == [
        ("2011-06", "Y59", "SOUTH EAST")
    ]


def test_thousands_separators_and_empty_cells_are_counted_not_filled(tmp_path):
    text = extract_text([row(nhs='"1,066"', sc=""), row(provider="RPA", both="")])
    result = check_one(tmp_path, text)
    assert result.accepted, result.problems
    assert result.rows["nhs_b_sum"].to_list() == [1066.0, 10.0]
    assert result.rows["social_care_b_sum"].to_list() == [None, 5.0]
    assert result.empty_cells == {"social_care_b_sum": 1, "both_b_sum": 1}


def test_unknown_la_code_is_reported_and_its_rows_kept(tmp_path):
    result = check_one(tmp_path, extract_text([row(la="999"), row(la="999", reason="O_OTHER"), row(la="X1"), row()]))
    assert result.accepted
    assert result.unknown_la_codes == {"999": 2, "X1": 1}
    assert result.rows.filter(pl.col("la_code").is_null()).height == 3


@pytest.mark.parametrize(
    "bad_row, column, value, words",
    [
        (row(period="SEPTEMBRE"), "period_name", "SEPTEMBRE", "Period Name is not a month name"),
        (row(year="2017"), "year", "2017", "Year is not a financial year like 2017-18"),
        # digits that are not 0-9 (full-width here) were read as a year by the month's parsing, which then failed
        (
            row(year="\uff12\uff10\uff117-18"),
            "year",
            "\uff12\uff10\uff117-18",
            "Year is not a financial year like 2017-18",
        ),
        (row(la=""), "local_authority_code", "", "Local Authority Code is empty"),
        (row(care="COMMUNITY"), "acute_or_non_acute_description", "COMMUNITY", "must be Acute or Non-Acute"),
        (row(reason="Z_UNKNOWN"), "reason_for_delay", "Z_UNKNOWN", "not a national reason"),
        (row(nhs="-3"), "nhs_b_sum", "-3", "is not a number of 0 or more"),
        (row(nhs="lots"), "nhs_b_sum", "lots", "is not a number of 0 or more"),
    ],
)
def test_national_rules_name_line_column_and_value(tmp_path, bad_row, column, value, words):
    result = check_one(tmp_path, extract_text([row(provider="RVV"), bad_row]))
    assert not result.accepted
    [problem] = result.problems
    assert (problem.row, problem.column, problem.value) == (6, column, value)
    assert words in problem.problem


def test_duplicate_national_key_and_missing_header(tmp_path):
    duplicated = check_one(tmp_path, extract_text([row(), row()]))
    assert [p.row for p in duplicated.problems] == [5, 6]
    assert "appears more than once" in duplicated.problems[0].problem
    no_header = check_one(tmp_path, "a,b\n1,2\n", "nothing.csv")
    assert "no header line starting 'Year, Period Name'" in no_header.problems[0].problem
    without_last_column = row()[: row().rindex(",")]
    missing = check_one(
        tmp_path, extract_text([without_last_column], header=NATIONAL_HEADER.replace(",Both B SUM", "")), "m.csv"
    )
    assert [(p.row, p.column) for p in missing.problems] == [(4, "both_b_sum")]


# ---- the reconciliation, end to end ---------------------------------------------------------


def test_september_2017_table_reproduced(demo_national):
    ws, _ = demo_national
    ours = published(ws, "reconciliation_2017-09")
    table = pl.read_csv(GOLDEN / "seed_sept2017_local_vs_bcf.csv")
    for expected in table.iter_rows(named=True):
        got = ours.filter(
            (pl.col("provider_code") == SEPT_TABLE_PROVIDERS[expected["provider_name"]])
            & (pl.col("responsible_org") == expected["responsible_org"])
        ).row(0, named=True)
        assert got["local_days"] == expected["local_days"], expected  # None for the out-of-area row
        assert round(got["bcf_target_days"]) == expected["bcf_target_days"], expected
        assert round(got["local_minus_target"]) == expected["difference"], expected
    total = ours.filter((pl.col("provider_code") == "Total") & (pl.col("responsible_org") == "Total")).row(
        0, named=True
    )
    assert (total["local_days"], round(total["bcf_target_days"]), round(total["local_minus_target"])) == (
        3569,
        3399,
        170,
    )
    assert (total["national_days"], round(total["national_minus_target"])) == (4090, 691)  # "short ... by 691"
    org_totals = ours.filter(pl.col("provider_code") == "Total").select("responsible_org", "bcf_target_days").rows()
    # full precision: the NHS rows print as 2,011 in total but the target is 2,010 (2009.9)
    assert dict(org_totals) == {
        "NHS": pytest.approx(2009.9),
        "Social Care": pytest.approx(950.3),
        "Both": pytest.approx(439.0),
        "Total": pytest.approx(3399.2),
    }
    rates = published(ws, "la_rates").filter((pl.col("month") == "2017-09") & (pl.col("measure") == "all"))
    local_rate = rates.filter(pl.col("source") == "local").row(0, named=True)
    assert f"{local_rate['rate_per_100k_per_day']:.2f}" == "9.84"
    assert local_rate["national_target_per_100k_per_day"] == 9.4
    assert local_rate["days_in_month"] == 30


def test_demo_gap_decomposition_adds_up(demo_national):
    ws, summary = demo_national
    gap = published(ws, "gap_decomposition_2017-09")
    assert gap.select("component", "days").rows() == [
        ("local", 3569),
        ("national_only", 212),
        ("residual", 309),
        ("national", 4090),
    ]
    assert summary.accepted[0]["empty_cells"] == 1 and summary.accepted[0]["header_line"] == 4
    assert summary.reconciled_months == ["2017-09"]


GAP_FIXTURE_ROWS = [
    # home council (886) at local providers: national differs from local by validation amendments
    row("RN7", "886", nhs="25", sc="12", both="2"),  # local RN7: 20 NHS, 10 SC, 2 both
    row("RPA", "886", nhs="7", sc="3", both="0"),  # local RPA: 8 NHS, 3 SC
    # other councils' residents at local providers: the provider view only
    row("RN7", "887", nhs="40", sc="4", both="1"),
    row("RPA", "845", nhs="6", sc="0", both="0"),
    row("RPA", "999", nhs="9", sc="1", both="0"),  # an LA code the reference does not know
    # home council at providers outside the local collection: national data only
    row("RJ1", "886", nhs="11", sc="2", both="1"),
    row("RXH", "886", nhs="3", sc="0", both="0", reason="A_COMPLETION_ASSESSMENT"),
    # other councils at other providers: no part of this council's figures
    row("RXH", "887", nhs="50", sc="50", both="50"),
]


def test_gap_decomposition_components_with_out_of_area_national_only_and_validation(workspace):
    (workspace.inbox_weekly / "rn7.csv").write_text(f"{SUMMARY_HEADER}\nDVH,2017-09-07,12,6,2\nDVH,2017-09-14,8,4,0\n")
    (workspace.inbox_weekly / "rpa.csv").write_text(f"{SUMMARY_HEADER}\nMED,2017-09-28,8,3,0\n")
    run_weekly(workspace.root, AS_OF)
    (workspace.inbox_national / "sept.csv").write_text(extract_text(GAP_FIXTURE_ROWS))
    summary = run_national(workspace.root, AS_OF)
    assert summary.accepted[0]["unknown_la_codes"] == "999 (1 rows)"
    gap = dict(published(workspace, "gap_decomposition_2017-09").select("component", "days").rows())
    assert gap == {
        "local": 20 + 10 + 2 + 8 + 3,
        "national_only": 11 + 2 + 1 + 3,
        "residual": (25 + 12 + 2 + 7 + 3) - (20 + 10 + 2 + 8 + 3),
        "national": 25 + 12 + 2 + 7 + 3 + 11 + 2 + 1 + 3,
    }
    assert gap["local"] + gap["national_only"] + gap["residual"] == gap["national"]
    rec = published(workspace, "reconciliation_2017-09")
    totals = {r["provider_code"]: r for r in rec.filter(pl.col("responsible_org") == "Total").iter_rows(named=True)}
    assert (
        totals["RN7"]["national_days"],
        totals["RN7"]["national_provider_days"],
        totals["RN7"]["out_of_area_days"],
    ) == (39, 84, 45)
    assert (totals["RPA"]["national_provider_days"], totals["RPA"]["out_of_area_days"]) == (26, 16)  # 999 counted here
    assert totals["OUT_OF_AREA"]["local_days"] is None and totals["OUT_OF_AREA"]["national_days"] == 17
    assert totals["RN7"]["national_minus_local"] == 39 - 32
    assert "RJ1" not in totals and "RXH" not in totals


def test_republished_month_replaces_the_earlier_and_keeps_it_in_history(workspace):
    (workspace.inbox_weekly / "dvh.csv").write_text(f"{SUMMARY_HEADER}\nDVH,2017-09-07,12,6,2\n")
    run_weekly(workspace.root, AS_OF)
    first = workspace.inbox_national / "sept_first.csv"
    first.write_text(extract_text([row("RN7", "886", nhs="30", sc="1", both="0")]))
    run_national(workspace.root, AS_OF)
    second = workspace.inbox_national / "sept_republished.csv"
    second.write_text(
        extract_text(
            [
                row("RN7", "886", nhs="25", sc="1", both="0"),
                row("RN7", "886", nhs="1", sc="0", both="0", period="AUGUST"),
            ]
        )
    )
    import os

    os.utime(second, (first.stat().st_mtime + 60, first.stat().st_mtime + 60))
    summary = run_national(workspace.root, AS_OF)
    assert summary.republished_months == ["2017-09 (sept_republished.csv)"]
    gap = dict(published(workspace, "gap_decomposition_2017-09").select("component", "days").rows())
    assert gap["national"] == 26
    con = duckdb.connect(str(workspace.warehouse), read_only=True)
    history = con.execute(
        "select f.file_name, sum(r.nhs_b_sum) from national_rows r join national_files f using (file_id) "
        "where r.month = '2017-09' group by 1 order by 1"
    ).fetchall()
    con.close()
    assert history == [("sept_first.csv", Decimal("30")), ("sept_republished.csv", Decimal("25"))]
    assert (workspace.publish / "reconciliation_2017-08.csv").exists()


def test_bad_extract_is_quarantined_and_good_one_loads(workspace):
    (workspace.inbox_national / "good.csv").write_text(extract_text([row()]))
    (workspace.inbox_national / "bad.csv").write_text(extract_text([row(), row(period="SEPTEMBRE")]))
    summary = run_national(workspace.root, AS_OF)
    assert [a["file"] for a in summary.accepted] == ["good.csv"]
    assert [q["file"] for q in summary.quarantined] == ["bad.csv"]
    errors = (workspace.quarantine / "bad.csv.errors.csv").read_text().splitlines()
    assert errors[1] == "bad.csv,6,period_name,SEPTEMBRE,Period Name is not a month name (APRIL ... MARCH)"


def test_invalid_bcf_trajectory_is_not_used_and_explained(workspace):
    (workspace.reference / "bcf_trajectory.csv").write_text(
        "la_code,month,provider_code,responsible_org,planned_days\n"
        "E10000016,2017-09,RN7,NHS,402.8\n"
        "E10000016,Sept 2017,RN7,Social Care,10\n"
        "E10000016,2017-09,ZZZ,NHS,-1\n"
    )
    (workspace.inbox_weekly / "dvh.csv").write_text(f"{SUMMARY_HEADER}\nDVH,2017-09-07,12,6,2\n")
    (workspace.inbox_national / "sept.csv").write_text(extract_text([row()]))
    run_weekly(workspace.root, AS_OF)
    summary = run_national(workspace.root, AS_OF)
    assert summary.trajectory_problems == [
        "row 3, month = 'Sept 2017': month must be written YYYY-MM",
        "row 4, planned_days = '-1': planned days must be a number of 0 or more, with at most 10 decimal places",
        "row 4, provider_code = 'ZZZ': provider code is not a provider in reference/sites.csv (or OUT_OF_AREA)",
    ]
    assert (workspace.quarantine / "bcf_trajectory.csv.errors.csv").exists()
    assert (workspace.reference / "bcf_trajectory.csv").exists()
    rec = published(workspace, "reconciliation_2017-09")
    assert rec["bcf_target_days"].null_count() == rec.height


# ---- the monthly Excel report ---------------------------------------------------------------


def test_report_has_the_council_layout_formats_and_matches_the_csvs(demo_national):
    ws, _ = demo_national
    path = ws.publish / "dtoc_report_2017-09.xlsx"
    with zipfile.ZipFile(path) as book:
        workbook_xml = book.read("xl/workbook.xml").decode()
        sheets = [book.read(f"xl/worksheets/sheet{i}.xml").decode() for i in range(1, 6)]
        styles = book.read("xl/styles.xml").decode()
    for name in ("Commentary", "Summary", "Reconciliation", "Weekly (12 weeks)", "Monthly"):
        assert f'name="{name}"' in workbook_xml
    assert all('state="frozen"' in sheet for sheet in sheets)
    assert all("<cols>" in sheet for sheet in sheets)  # widths set
    assert 'formatCode="#,##0"' in styles and 'formatCode="0.0&quot;%&quot;"' in styles
    summary = pl.read_excel(path, sheet_name="Summary", has_header=False, infer_schema_length=0)
    cells = summary.rows()
    total = next(r for r in cells if r[0] == "Total delayed days")
    assert [float(v) for v in total[1:4]] == [3569, 4090, pytest.approx(3399.2)]
    kpi = next(r for r in cells if r[0] == "2017-09")
    assert kpi[3] == "GREEN"
    recon = pl.read_excel(path, sheet_name="Reconciliation", has_header=False, infer_schema_length=0).rows()
    assert recon[2][:4] == ("NHS delayed days", "Dartford and Gravesham NHS Trust", "509", "550")
    assert ("", "Kent total", "3569", "4090") == tuple(v or "" for v in recon[-1][:4])
    # the twelve weeks to September's end: the sample's four September weeks (before, the latest twelve
    # weeks were shown, all of them to 23 November, so every later run rewrote September's report)
    weekly = pl.read_excel(path, sheet_name="Weekly (12 weeks)")
    september = published(ws, "weekly_site_summary").filter(pl.col("week_ending").cast(pl.String) <= "2017-09-30")
    assert weekly.height == september.height == 40
    assert sorted({str(week)[:10] for week in weekly["Week ending"]}) == [
        "2017-09-07",
        "2017-09-14",
        "2017-09-21",
        "2017-09-28",
    ]


def test_reports_laid_out_in_worker_processes_are_the_bytes_laid_out_here(demo_national, tmp_path, monkeypatch):
    """A backfill lays its many reports out in worker processes: the same bytes as one laid out in the run."""
    from flows import report
    from flows.pipeline import reconciled_months

    ws, _ = demo_national
    con = demo_models_copy(ws, tmp_path)
    months = reconciled_months(con)
    monkeypatch.setattr(report, "REPORTS_PER_WORKER_RUN", 1)
    with report.ReportWriter(con, DEMO_AS_OF, len(months)) as reports:
        assert reports.workers is not None
        for month in months:
            reports.write(month, tmp_path / f"dtoc_report_{month}.xlsx")
    assert months and all(
        (tmp_path / f"dtoc_report_{month}.xlsx").read_bytes() == (ws.publish / f"dtoc_report_{month}.xlsx").read_bytes()
        for month in months
    )
    # a worker's failure is the run's: raised when the reports are waited for
    with (
        pytest.raises(report.ReportLayoutFailed, match="report.xlsx failed: .*No such file"),
        report.ReportWriter(con, DEMO_AS_OF, 2) as reports,
    ):
        reports.write(months[0], tmp_path / "no such folder" / "report.xlsx")


def test_a_report_a_worker_cannot_lay_out_is_named_in_the_failure(tmp_path):
    """A worker lays out a batch of reports: its failure names the report it failed on, not only the batch."""
    from dataclasses import replace

    from flows.report import ReportLayoutFailed, lay_out_in_a_worker
    from flows.report_layout import ReportContent

    content = ReportContent("2017-09", DEMO_AS_OF, ("E1", "Kent"), [], [], [], None, [], [], ([], []), None, [])
    folder = tmp_path / "it's a [folder]"
    folder.mkdir()
    batch = [(content, folder / "first.xlsx"), (replace(content, weekly=None), folder / "second.xlsx")]
    with pytest.raises(ReportLayoutFailed) as failed:
        lay_out_in_a_worker(batch)
    said = str(failed.value)
    assert said.startswith("laying out first.xlsx, second.xlsx failed: second.xlsx: TypeError"), said
    assert (folder / "first.xlsx").exists() and not (folder / "second.xlsx").exists()


def test_report_shows_formula_like_text_as_text_unchanged(workspace):
    """Before: the text was written with a leading apostrophe that Excel showed ('=HYPERLINK...)."""
    sites = (workspace.reference / "sites.csv").read_text().replace("Darent Valley Hospital", '=HYPERLINK("x")')
    (workspace.reference / "sites.csv").write_text(sites.replace("Dartford and Gravesham NHS Trust", "+44 Trust"))
    (workspace.inbox_weekly / "dvh.csv").write_text(f"{SUMMARY_HEADER}\nDVH,2017-09-07,12,6,2\n")
    (workspace.inbox_national / "sept.csv").write_text(extract_text([row()]))
    run_weekly(workspace.root, AS_OF)
    run_national(workspace.root, AS_OF)
    with zipfile.ZipFile(workspace.publish / "dtoc_report_2017-09.xlsx") as book:
        strings = book.read("xl/sharedStrings.xml").decode()
        sheets = "".join(book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/"))
        styles = book.read("xl/styles.xml").decode()
    assert '=HYPERLINK("x")' in strings and "+44 Trust" in strings
    assert "'=HYPERLINK" not in strings and "'+44" not in strings
    assert "<f>" not in sheets  # no formula anywhere
    assert 'quotePrefix="1"' in styles  # Excel's "this cell is text" flag
    weekly = pl.read_excel(workspace.publish / "dtoc_report_2017-09.xlsx", sheet_name="Weekly (12 weeks)")
    assert weekly["Site"].to_list() == ['=HYPERLINK("x")']


# ---- honest blanks: a provider missing from the national month, a month without local returns ------


def test_provider_missing_from_the_national_month_is_blank_and_named(workspace):
    """Before: RPA absent from the extract showed national 0 for RPA, with no word in the summary."""
    (workspace.inbox_weekly / "rn7.csv").write_text(f"{SUMMARY_HEADER}\nDVH,2017-09-07,12,6,2\n")
    (workspace.inbox_weekly / "rpa.csv").write_text(f"{SUMMARY_HEADER}\nMED,2017-09-28,8,3,0\n")
    run_weekly(workspace.root, AS_OF)
    (workspace.inbox_national / "sept.csv").write_text(
        extract_text(
            [
                row("RN7", "886", nhs="25", sc="12", both="2"),
                row("RPA1", "886", nhs="7", sc="3", both="0"),  # Medway's trust under a code sites.csv does not use
                row("RN7", "886", nhs="4", sc="1", both="0", period="AUGUST"),
            ]
        )
    )  # a month with no local returns
    summary = run_national(workspace.root, AS_OF)
    missing = [w for w in summary.warnings if "provider RPA " in w]
    assert [w[:8] for w in missing] == ["2017-08:", "2017-09:"]
    assert "provider RPA (Medway NHS Foundation Trust) is not in the national extract for the month" in missing[1]
    rec = published(workspace, "reconciliation_2017-09")
    rpa = rec.filter((pl.col("provider_code") == "RPA") & (pl.col("responsible_org") == "Total")).row(0, named=True)
    assert rpa["local_days"] == 11
    assert (
        rpa["national_days"],
        rpa["national_provider_days"],
        rpa["out_of_area_days"],
        rpa["national_minus_local"],
    ) == (None, None, None, None)
    out_of_area = rec.filter((pl.col("provider_code") == "OUT_OF_AREA") & (pl.col("responsible_org") == "Total"))
    assert out_of_area["national_days"].to_list() == [10]
    rn7 = rec.filter((pl.col("provider_code") == "RN7") & (pl.col("responsible_org") == "Total")).row(0, named=True)
    assert (rn7["national_days"], rn7["local_days"], rn7["national_minus_local"]) == (39, 20, 19)
    august = published(workspace, "reconciliation_2017-08")
    assert august["local_days"].null_count() == august.height  # no local returns: blank, not 0
    assert august["local_minus_target"].null_count() == august.height
    assert august["national_minus_local"].null_count() == august.height
    assert august.filter((pl.col("provider_code") == "Total") & (pl.col("responsible_org") == "Total"))[
        "national_days"
    ].to_list() == [5]
    gap = dict(published(workspace, "gap_decomposition_2017-08").select("component", "days").rows())
    assert gap == {"local": None, "national_only": 0, "residual": None, "national": 5}


def test_rates_without_a_population_for_the_year_are_blank_and_warned(workspace):
    (workspace.reference / "population_18plus.csv").write_text("la_code,year,population\nE10000016,2018,1215000\n")
    (workspace.inbox_weekly / "rn7.csv").write_text(f"{SUMMARY_HEADER}\nDVH,2017-09-07,12,6,2\n")
    summary = run_weekly(workspace.root, AS_OF)
    rates = published(workspace, "la_rates").filter(pl.col("source") == "local")
    assert rates["rate_per_100k_per_day"].null_count() == rates.height == 4
    assert summary.warnings == [
        "rates left blank for E10000016 in 2017-09, 2017-10, 2017-11: reference/population_18plus.csv has no population for that year "
        "or an earlier one (the first year it has is 2018)"
    ]
