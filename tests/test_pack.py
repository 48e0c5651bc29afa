"""The monthly pack: reasons, people, movers, completeness and the drafted commentary.

The demo sample run on to 29 December 2017 (`dtoc demo --as-of 2017-12-29`): Maidstone and
Tunbridge Wells improve on November, Medway's December delays are all social care, KMPT has not
sent its last December week, and three sites sent all-zero returns for 23 November.
"""

from __future__ import annotations

import re
import zipfile

import polars as pl
import pytest

from flows.demo import DECEMBER_AS_OF, write_national_sample, write_sample
from flows.workspace import open_workspace

# one xdist worker runs this module, so the December run (`december`) is made once, not once per worker
pytestmark = pytest.mark.xdist_group("pack")

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# Dates and month names are labels, not figures: taken out before the figures are checked.
DATE_PATTERNS = (rf"\b\d{{1,2}} (?:{MONTHS}) \d{{4}}\b", rf"\b(?:{MONTHS}) \d{{4}}\b", r"\b\d{4}-\d{2}-\d{2}\b")
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


@pytest.fixture(scope="module")
def december(tmp_path_factory):
    """The sample through December, weekly then national, as `dtoc demo --as-of 2017-12-29` runs it."""
    from flows.national import run_national
    from flows.weekly import run_weekly

    ws = open_workspace(tmp_path_factory.mktemp("december") / "dtoc-work")
    write_sample(ws.inbox_weekly, DECEMBER_AS_OF)
    write_national_sample(ws.inbox_national)
    run_weekly(ws.root, DECEMBER_AS_OF)
    run_national(ws.root, DECEMBER_AS_OF)
    return ws


def table(ws, name: str) -> pl.DataFrame:
    return pl.read_csv(
        ws.publish / f"{name}.csv",
        schema_overrides={"month": pl.String, "previous_month": pl.String},
        infer_schema_length=None,
    )


def commentary(ws, month: str) -> str:
    return (ws.publish / f"commentary_{month}.md").read_text(encoding="utf-8")


def figures_in(text: str) -> list[str]:
    body = "\n".join(line for line in text.splitlines() if not line.startswith(("# ", "Drafted from")))
    for pattern in DATE_PATTERNS:
        body = re.sub(pattern, " ", body)
    return [n.replace(",", "") for n in NUMBER.findall(body)]


def published_values(ws) -> set[str]:
    """Every number in every published CSV, as the commentary may show it (whole, or to one decimal)."""
    values: set[str] = set()
    for path in ws.publish.glob("*.csv"):
        for column in pl.read_csv(path, infer_schema_length=0).iter_columns():
            for cell in column.drop_nulls():
                try:
                    number = abs(float(cell))
                except ValueError:
                    continue
                values |= {f"{number:.0f}", f"{number:.1f}"}
    return values


def headline(ws, month: str) -> dict:
    return table(ws, "monthly_headlines").filter(pl.col("month") == month).row(0, named=True)


def test_every_number_in_every_commentary_is_in_a_published_csv(december):
    values = published_values(december)
    months = sorted(p.stem.removeprefix("commentary_") for p in december.publish.glob("commentary_*.md"))
    assert months == ["2017-09", "2017-10", "2017-11", "2017-12"]
    for month in months:
        found = figures_in(commentary(december, month))
        assert len(found) > 20, month
        missing = [n for n in found if n not in values]
        assert missing == [], f"{month}: {missing} are in the commentary but in no published CSV"


def test_december_reads_like_the_councils_paragraphs(december):
    text = " ".join(commentary(december, "2017-12").split())
    head = headline(december, "2017-12")
    assert head["complete"] is False and head["coverage"] == "with the data available"
    assert round(head["bcf_target_days"]) == 3172 and head["target_met"] is True
    assert (
        f"The Kent target is 3,172 delayed days, which was met in December with the data available: "
        f"{head['total_days']:,.0f} delayed days, {-head['days_against_target']:,.0f} under the target."
    ) in text
    kpi = table(december, "kpi_monthly").filter(pl.col("month") == "2017-12").row(0, named=True)
    assert (
        f"{kpi['pct_att_social_care']:.1f}% of Kent residents' delayed days were attributable to adult social care"
    ) in text and "against a target of 30.0%: GREEN (at or under target)" in text
    reasons = (
        table(december, "monthly_reasons")
        .filter(
            (pl.col("month") == "2017-12")
            & (pl.col("source") == "local")
            & (pl.col("site_code") == "Total")
            & (pl.col("responsible_org") == "Social Care")
            & (pl.col("rank_in_org") <= 3)
        )
        .sort("rank_in_org")
    )
    assert reasons["reason"].to_list() == [
        "Awaiting nursing home placement",
        "Awaiting residential home placement",
        "Awaiting care package in own home",
    ]
    first = reasons.row(0, named=True)
    assert (
        f"The three main reasons for social care delays were awaiting nursing home placement "
        f"({first['delayed_days']:.0f} days, {first['pct_of_org_days']:.1f}% of social care delayed days), "
        f"awaiting residential home placement"
    ) in text
    assert (
        "The largest improvements on November were at Maidstone Hospital (417 delayed days in November, "
        "132 in December)"
    ) in text and "Tunbridge Wells Hospital (294 in November, 87 in December)" in text
    assert "Delayed days rose most at Darent Valley Hospital (580 delayed days in November, 648 in December)" in text
    assert (
        "Medway Maritime Hospital's delays in December were all attributable to social care: 13 delayed days "
        "(12 people), against 50 delayed days (18 people) in November, 29 of them NHS delays "
        "(9 people)."
    ) in text
    assert (
        "The December 2017 collection is not yet complete (39 of 40 weekly returns): KMPT older persons wards "
        "has sent 3 of 4. The figures above are with the data available."
    ) in text
    assert "KMPT older persons wards is not compared" in text


def test_november_names_the_all_zero_returns(december):
    text = " ".join(commentary(december, "2017-11").split())
    suspicious = table(december, "suspicious_returns").filter(pl.col("check") == "all_zero")
    assert sorted(suspicious["site_code"]) == ["KCHFT", "KMPT", "TWH"]
    assert set(suspicious["week_ending"].cast(pl.String)) == {"2017-11-23"}
    twh = suspicious.filter(pl.col("site_code") == "TWH").row(0, named=True)
    assert (
        f"Tunbridge Wells Hospital's return for the week ending 23 November 2017 shows no delays at all, against "
        f"an average of {twh['avg_previous_12wk_total_days']:.1f} delayed days a week"
    ) in text
    assert "KMPT older persons wards' return for the week ending 23 November 2017" in text
    assert "Every site returned every week of November 2017 (50 returns)." in text
    assert "missed in November by 440.8 delayed days (3,704 in the month)" in text


def test_reasons_add_up_to_the_monthly_tables_and_summary_returns_are_not_stated(december):
    reasons = table(december, "monthly_reasons")
    local = reasons.filter((pl.col("source") == "local") & (pl.col("site_code") != "Total"))
    sums = local.group_by("month", "site_code", "responsible_org").agg(pl.col("delayed_days").sum())
    sites = table(december, "monthly_site_summary").unpivot(
        index=["month", "site_code"], on=["nhs_days", "social_care_days", "both_days"], variable_name="org"
    )
    sites = sites.with_columns(
        pl.col("org").replace({"nhs_days": "NHS", "social_care_days": "Social Care", "both_days": "Both"})
    ).filter(pl.col("value") > 0)
    joined = sites.join(
        sums, left_on=["month", "site_code", "org"], right_on=["month", "site_code", "responsible_org"], how="full"
    )
    assert joined.height == sites.height == sums.height
    assert (joined["value"] - joined["delayed_days"]).abs().max() < 1e-9
    # summary-layout sites (DVH, MTW, community hospitals, Virgin Care) only ever say "Not stated", unranked
    summary_sites = local.filter(pl.col("site_code").is_in(["DVH", "MAID", "TWH", "KCHFT", "VCNK"]))
    assert (
        set(summary_sites["reason"]) == {"Not stated"}
        and summary_sites["rank_in_org"].null_count() == summary_sites.height
    )
    # shares of each organisation's days add up to 100 and ranks run 1, 2, 3 by days
    share = local.group_by("month", "site_code", "responsible_org").agg(pl.col("pct_of_org_days").sum())
    assert (share["pct_of_org_days"] - 100).abs().max() < 1e-9
    med = local.filter((pl.col("month") == "2017-12") & (pl.col("site_code") == "MED")).sort("rank_in_org")
    assert med["reason_code"].to_list() == ["DII", "DI", "E"] and med["delayed_days"].to_list() == [5, 4, 4]
    # the national extract's reasons for Kent residents sit beside ours
    national = reasons.filter(
        (pl.col("source") == "national")
        & (pl.col("provider_code") == "Total")
        & (pl.col("month") == "2017-09")
        & (pl.col("responsible_org") == "Social Care")
    )
    assert dict(zip(national["reason_code"], national["delayed_days"])) == {"E": 667, "DII": 443}


def test_people_are_summed_only_where_every_return_carried_them(december):
    people = table(december, "monthly_site_people")
    med = people.filter((pl.col("month") == "2017-12") & (pl.col("site_code") == "MED"))
    files = pl.concat([pl.read_csv(p) for p in sorted(december.inbox_weekly.glob("MED_week_2017-12-*.csv"))])
    kent = files.filter(pl.col("la_code") == "E10000016")
    expected = kent.group_by("responsible_org").agg(pl.col("patients_delayed").sum())
    by_org = dict(zip(med["responsible_org"], med["patients_delayed"]))
    assert by_org["Social Care"] == expected.filter(pl.col("responsible_org") == "Social Care")["patients_delayed"][0]
    assert by_org == {"NHS": 0, "Social Care": 12, "Both": 0, "Total": 12}
    assert set(med["wholly_attributable_to"]) == {"Social Care"}
    # Tunbridge Wells sends the summary layout, which has no patients: blank, never zero
    twh = people.filter((pl.col("month") == "2017-12") & (pl.col("site_code") == "TWH"))
    assert twh.height == 4 and twh["patients_delayed"].null_count() == 4
    assert twh.filter(pl.col("responsible_org") == "Total")["delayed_days"][0] == 87


def test_completeness_counts_weeks_returned_of_weeks_due(december):
    done = table(december, "monthly_completeness")
    kmpt = done.filter((pl.col("month") == "2017-12") & (pl.col("site_code") == "KMPT")).row(0, named=True)
    assert (
        kmpt["weeks_in_month"],
        kmpt["weeks_due"],
        kmpt["weeks_returned"],
        kmpt["weeks_missing"],
        kmpt["complete"],
    ) == (4, 4, 3, 1, False)
    assert done.filter(pl.col("month") == "2017-11")["complete"].all()
    assert done.filter(pl.col("month") == "2017-11")["weeks_in_month"].unique().to_list() == [5]
    twh_nov = done.filter((pl.col("month") == "2017-11") & (pl.col("site_code") == "TWH"))["suspicious_returns"][0]
    assert twh_nov == 1
    assert headline(december, "2017-11")["coverage"] == "complete"


def test_movers_carry_the_previous_months_figure(december):
    movers = table(december, "monthly_movers").filter(pl.col("month") == "2017-12")
    sites = table(december, "monthly_site_summary")
    november = dict(
        zip(
            sites.filter(pl.col("month") == "2017-11")["site_code"],
            sites.filter(pl.col("month") == "2017-11")["total_days"],
        )
    )
    site_rows = movers.filter(pl.col("level") == "site")
    assert site_rows.height == 10
    for row in site_rows.iter_rows(named=True):
        assert row["previous_month"] == "2017-11"
        assert row["previous_total_days"] == november[row["site_code"]]
        assert row["change_total_days"] == pytest.approx(row["total_days"] - row["previous_total_days"])
    maid = site_rows.filter(pl.col("site_code") == "MAID").row(0, named=True)
    assert (maid["previous_total_days"], maid["total_days"], maid["rank_improvement"]) == (417, 132, 1)
    assert maid["pct_change_total_days"] == pytest.approx(100 * (132 - 417) / 417)
    kmpt = site_rows.filter(pl.col("site_code") == "KMPT").row(0, named=True)
    assert kmpt["comparable"] is False and kmpt["rank_improvement"] is None
    trusts = movers.filter(pl.col("level") == "trust")
    assert trusts.filter(pl.col("rank_improvement") == 1)["provider_code"][0] == "RWF"


def test_report_starts_with_the_commentary_and_uses_headers_people_read(december):
    path = december.publish / "dtoc_report_2017-09.xlsx"
    with zipfile.ZipFile(path) as book:
        workbook_xml = book.read("xl/workbook.xml").decode()
    names = re.findall(r'<sheet name="([^"]+)"', workbook_xml)
    assert names[0] == "Commentary"
    sheet = pl.read_excel(path, sheet_name="Commentary", has_header=False, infer_schema_length=0)
    cells = [c for c in sheet.to_series(0).to_list() if c]
    text = " ".join(commentary(december, "2017-09").split())
    sentences = [c for c in cells if c.endswith(".")]
    assert sentences and all(s in text for s in sentences)
    assert "Reasons for delay" in cells
    weekly = pl.read_excel(path, sheet_name="Weekly (12 weeks)")
    assert weekly.columns[:3] == ["Week ending", "Trust code", "Site code"]
    assert "Attributed to NHS" in weekly.columns and "att_nhs_days" not in weekly.columns
    monthly = pl.read_excel(path, sheet_name="Monthly")
    assert monthly.columns[:3] == ["Month", "Trust code", "Trust"]


def test_changed_inputs_change_the_sentences(december):
    """Medway resubmits a December week with NHS delays; KMPT sends its missing week: the commentary follows."""
    from flows.weekly import run_weekly

    before = " ".join(commentary(december, "2017-12").split())
    (december.inbox_weekly / "MED_week_2017-12-14_resubmitted.csv").write_text(
        "site_code,week_ending,la_code,care_type,responsible_org,reason_code,delayed_days,patients_delayed\n"
        "MED,2017-12-14,E10000016,acute,NHS,C,40,6\n"
        "MED,2017-12-14,E10000016,acute,Social Care,DII,3,1\n",
        encoding="utf-8",
    )
    (december.inbox_weekly / "KMPT_week_2017-12-28.csv").write_text(
        "site_code,week_ending,la_code,care_type,responsible_org,reason_code,delayed_days\n"
        "KMPT,2017-12-28,E10000016,non-acute,Social Care,DI,400\n",
        encoding="utf-8",
    )
    run_weekly(december.root, DECEMBER_AS_OF)
    after = " ".join(commentary(december, "2017-12").split())
    assert after != before
    assert "Medway Maritime Hospital's delays in December were all attributable" not in after
    assert "collection is not yet complete" not in after and "with the data available" not in after
    assert "Every site returned every week of December 2017 (40 returns)." in after
    head = headline(december, "2017-12")
    assert head["complete"] is True
    assert f"{head['total_days']:,.0f} delayed days" in after
    # KMPT's 400 days of residential placements now lead the social care reasons
    assert "The three main reasons for social care delays were awaiting residential home placement" in after
    values = published_values(december)
    assert [n for n in figures_in(after) if n not in values] == []
