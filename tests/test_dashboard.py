"""The dashboard in a real browser: headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import published

from flows.screenshot import browser

# one xdist worker runs this module, so the page drawn in Chromium (`rendered`) is made once, not once per worker
pytestmark = pytest.mark.xdist_group("dashboard")

CELLS_JS = """() => Array.from(document.querySelectorAll('[data-measure]')).map(e => ({
    site: e.dataset.site || null, week: e.dataset.week || null, month: e.dataset.month || null,
    provider: e.dataset.provider || null, org: e.dataset.org || null, measure: e.dataset.measure,
    text: e.textContent.trim()}))"""


TILES_JS = """() => Object.fromEntries(Array.from(document.querySelectorAll('#headline .tile')).map(t => [t.id, {
    title: t.querySelector('h2').textContent.trim(), text: t.innerText.replace(/\\s+/g, ' ').trim(),
    items: Array.from(t.querySelectorAll('li')).map(li => ({provider: li.dataset.provider,
                                                            text: li.textContent.trim()}))}]))"""


def number(text: str) -> float | None:
    cleaned = text.replace(",", "").replace("%", "").strip()
    return None if cleaned == "" else float(cleaned)


@pytest.fixture(scope="module")
def rendered(demo_national):
    """The demo dashboard opened at 1280 px and at a phone's 390 px, with what the console said."""
    ws, _ = demo_national
    url = (ws.publish / "site" / "index.html").resolve().as_uri()
    result = {"ws": ws, "errors": []}
    with browser() as chromium:
        for width in (1280, 390):
            page = chromium.new_page(viewport={"width": width, "height": 900})
            page.on("console", lambda message: message.type == "error" and result["errors"].append(message.text))
            page.on("pageerror", lambda error: result["errors"].append(str(error)))
            page.goto(url)
            result[width] = {
                "cells": page.evaluate(CELLS_JS),
                "overflow": page.evaluate("document.documentElement.scrollWidth - window.innerWidth"),
                "title": page.title(),
                "captions": page.evaluate("Array.from(document.querySelectorAll('caption')).length"),
                "tables": page.evaluate("Array.from(document.querySelectorAll('table')).length"),
                "charts": page.evaluate("Array.from(document.querySelectorAll('svg[role=img][aria-label]')).length"),
                "links": page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))"),
                "order": page.evaluate("Array.from(document.querySelectorAll('main > section')).map(s => s.id)"),
                "tiles": page.evaluate(TILES_JS),
                "commentary": page.evaluate(
                    "Array.from(document.querySelectorAll('#commentary p')).map(p => p.textContent.trim())"
                ),
                "tiles_above_commentary": page.evaluate(
                    "document.querySelector('#headline').getBoundingClientRect().bottom <= "
                    "document.querySelector('#commentary').getBoundingClientRect().top"
                ),
                "point_colours": page.evaluate(
                    "Array.from(new Set(Array.from(document.querySelectorAll('#spc svg path[fill]'))"
                    ".map(p => p.getAttribute('fill'))))"
                ),
            }
            page.close()
    return result


def test_page_loads_without_console_errors(rendered):
    assert rendered["errors"] == []
    assert rendered[1280]["title"] == "Delayed transfers of care: Kent, as of 2017-11-24"


def test_every_weekly_figure_equals_the_published_csv(rendered):
    weekly = published(rendered["ws"], "weekly_site_summary").with_columns(pl.col("week_ending").cast(pl.String))
    cells = {(c["site"], c["week"], c["measure"]): c["text"] for c in rendered[1280]["cells"] if c["week"]}
    assert sorted(weekly["site_code"].unique()) == sorted({key[0] for key in cells if key[2] == "total_days"})
    checked = 0
    for row in weekly.iter_rows(named=True):
        for measure in (
            "nhs_days",
            "social_care_days",
            "both_days",
            "att_social_care_days",
            "total_days",
            "pct_att_social_care",
            "avg_12wk_total_days",
        ):
            shown = number(cells[(row["site_code"], row["week_ending"], measure)])
            if row[measure] is None:
                assert shown is None
            else:
                assert shown == pytest.approx(row[measure], abs=0.0501), (row["site_code"], row["week_ending"], measure)
            checked += 1
        direction = cells.get((row["site_code"], row["week_ending"], "direction"), "")
        assert (row["direction"] or "") in direction and (direction == "") == (row["direction"] is None)
    assert checked == 120 * 7
    dvh = cells[("DVH", "2017-09-14", "direction")]
    assert dvh == "\u2193 increased"  # the council's key: a down arrow means increased


def test_social_care_makeup_kpi_and_reconciliation_equal_the_csvs(rendered):
    cells = rendered[1280]["cells"]
    makeup = published(rendered["ws"], "weekly_social_care_makeup").with_columns(pl.col("week_ending").cast(pl.String))
    shown = {(c["site"], c["week"]): c["text"] for c in cells if c["measure"] == "pct_of_social_care_days"}
    assert makeup.height == 120  # 10 sites x 12 weeks
    for row in makeup.iter_rows(named=True):
        assert number(shown[(row["site_code"], row["week_ending"])]) == pytest.approx(
            row["pct_of_social_care_days"], abs=0.0501
        )
    kpi = published(rendered["ws"], "kpi_monthly")
    rag = {c["month"]: c["text"] for c in cells if c["measure"] == "rag"}
    assert kpi.height == 3  # September to November
    for row in kpi.iter_rows(named=True):
        assert rag[row["month"]].startswith(row["rag"] + ":")  # in words, not only colour
    reconciliation = published(rendered["ws"], "reconciliation_2017-09")
    shown = {(c["provider"], c["org"], c["measure"]): c["text"] for c in cells if c["org"]}
    assert reconciliation.height == 36
    for row in reconciliation.iter_rows(named=True):
        for measure in ("local_days", "national_days", "bcf_target_days", "national_minus_local"):
            value = number(shown[(row["provider_code"], row["responsible_org"], measure)])
            assert value == (None if row[measure] is None else pytest.approx(row[measure], abs=0.0501))
    assert shown[("Total", "Total", "local_days")] == "3,569"
    assert shown[("Total", "Total", "national_days")] == "4,090"


def test_monthly_and_trajectory_figures_equal_the_csvs(rendered):
    cells = rendered[1280]["cells"]
    monthly = published(rendered["ws"], "monthly_site_summary")
    shown = {(c["site"], c["month"], c["measure"]): c["text"] for c in cells if c["site"] and c["month"]}
    assert monthly.height == 30  # 10 sites x 3 months
    for row in monthly.iter_rows(named=True):
        assert number(shown[(row["site_code"], row["month"], "total_days")]) == pytest.approx(row["total_days"])
    status = published(rendered["ws"], "trajectory_status").filter(pl.col("month") == "2017-11")
    shown = {(c["provider"], c["measure"]): c["text"] for c in cells if c["provider"] and c["month"] == "2017-11"}
    assert status.height == 7  # every trust with a trajectory
    for row in status.iter_rows(named=True):
        assert number(shown[(row["provider_code"], "projected_days")]) == pytest.approx(
            row["projected_days"], abs=0.0501
        )


def test_accessible_structure_and_phone_width(rendered):
    page = rendered[1280]
    assert page["captions"] == page["tables"] and page["tables"] >= 15  # every table has a caption
    assert page["charts"] >= 12  # waterfall, burn-ups, one SPC chart per site, each with a text alternative
    assert page["overflow"] <= 0
    assert rendered[390]["overflow"] <= 0  # wide tables scroll inside their own box on a phone
    assert "../dtoc_report_2017-09.xlsx" in page["links"]
    assert "../reconciliation_2017-09.csv" in page["links"]


def test_quarantined_files_and_alerts_are_on_the_page(rendered):
    cells = rendered[1280]["cells"]
    counts = {c["text"] for c in cells if c["measure"] == "problem_count"}
    assert counts == {"1", "4"}  # the three refused demo files: 1, 4 and 1 problems
    states = [c["text"] for c in cells if c["measure"] == "delivery_state"]
    assert states and set(states) == {"pending"}  # the demo sets no webhook


def test_data_docs_open_from_the_page_and_show_a_failed_file(demo_national):
    ws, _ = demo_national
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.goto((ws.publish / "site" / "index.html").resolve().as_uri())
        outcomes = page.evaluate("""() => Array.from(document.querySelectorAll('#downloads tbody tr')).map(r =>
            [r.querySelector('th').textContent.trim(), r.querySelector('[data-measure=validation]').textContent])""")
        assert dict(outcomes) == {
            "weekly_detail": "failed: at least one file was refused",
            "weekly_summary": "failed: at least one file was refused",
            "bcf_trajectory": "passed",
            "national_extract": "passed",
        }
        page.click("#downloads a:text-is('weekly_summary')")
        page.wait_for_load_state()
        text = page.evaluate("document.body.innerText")
    assert "Expectation Suite: weekly_summary" in text and "Status: Failed" in text.replace("\n", " ").replace("\t", "")
    assert "DGS" in text  # the unknown site code of the refused NorthKent file
    assert "NorthKent_week_2017-11-23.csv" in text  # the files the validation covered


def test_dashboard_artifact_links_the_page_with_headline_figures(demo_national):
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    ws, summary = demo_national

    async def read():
        async with get_client() as client:
            [artifact] = await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["dtoc-dashboard"]),
                    flow_run_id=ArtifactFilterFlowRunId(any_=[summary.flow_run_id]),
                )
            )
            return artifact.data

    markdown = asyncio.run(read())
    assert (ws.publish / "site" / "index.html").resolve().as_uri() in markdown
    assert "Week ending 23 November 2017: **565** delayed days" in markdown
    assert "2017-09: local 3,569, national 4,090, BCF target 3,399 delayed days" in markdown


def test_the_page_answers_first_tiles_then_the_commentary(rendered):
    page = rendered[1280]
    assert page["order"][0] == "commentary" and page["tiles_above_commentary"]
    tiles = page["tiles"]
    assert set(tiles) == {"tile-week", "tile-plan", "tile-kpi", "tile-completeness"}
    weekly = published(rendered["ws"], "weekly_site_summary").with_columns(pl.col("week_ending").cast(pl.String))
    latest = weekly.filter(pl.col("week_ending") == "2017-11-23")["total_days"].sum()
    before = weekly.filter(pl.col("week_ending") == "2017-11-16")["total_days"].sum()
    assert tiles["tile-week"]["title"] == "Week ending 23 November 2017"
    assert (
        f"{latest:,.0f} delayed days across the sites, against {before:,.0f} the week before"
        in tiles["tile-week"]["text"]
    )
    status = published(rendered["ws"], "trajectory_status").filter(pl.col("month") == "2017-11")
    shown = {item["provider"]: item["text"] for item in tiles["tile-plan"]["items"]}
    assert set(shown) == set(status["provider_code"]) and status.height == 7
    for row in status.iter_rows(named=True):
        words = "breach: projected above plan" if row["status"] == "breach" else "on track"
        assert shown[row["provider_code"]].endswith(
            f"{row['mtd_days']:,.0f} of {row['mtd_planned_days']:,.1f} planned to date {words}"
        )
    kpi = published(rendered["ws"], "kpi_monthly").filter(pl.col("month") == "2017-11").row(0, named=True)
    assert f"{kpi['pct_att_social_care']:.1f}% attributable to social care: {kpi['rag']}" in tiles["tile-kpi"]["text"]
    head = published(rendered["ws"], "monthly_headlines").filter(pl.col("month") == "2017-11").row(0, named=True)
    # as of 24 November the month's last week (30 November) has not ended: every return due is in
    assert (head["returns_received"], head["returns_due"], head["returns_expected"]) == (40, 40, 50)
    assert (
        "40 of 40 weekly returns due so far (50 in the month): with the data available; "
        f"{head['suspicious_returns']} return(s) to confirm"
    ) in tiles["tile-completeness"]["text"]
    assert head["suspicious_returns"] == 3
    # the commentary on the page is the published commentary, sentence for sentence
    published_text = " ".join((rendered["ws"].publish / "commentary_2017-11.md").read_text().split())
    paragraphs = page["commentary"][1:]
    assert len(paragraphs) >= 4 and all(p in published_text for p in paragraphs)
    assert any("which was met in November with the data available: 2,950 delayed days" in p for p in paragraphs)
    assert any(
        "every return due so far has arrived, and the month's remaining weeks have not yet ended" in p
        for p in paragraphs
    )


def test_suspicious_returns_show_in_data_quality(rendered):
    cells = rendered[1280]["cells"]
    suspicious = published(rendered["ws"], "suspicious_returns").with_columns(pl.col("week_ending").cast(pl.String))
    shown = {(c["site"], c["week"]): c["text"] for c in cells if c["measure"] == "suspicious_check"}
    assert suspicious.height >= 3 and len(shown) == suspicious.height
    for row in suspicious.iter_rows(named=True):
        words = {"all_zero": "all zeros", "far_outside_limits": "far outside"}[row["check"]]
        assert shown[(row["site_code"], row["week_ending"])].startswith(words)
    assert shown[("TWH", "2017-11-23")].startswith("all zeros")


def test_spc_charts_share_one_colour_scale_and_limits_stay_at_or_above_zero(rendered):
    from flows.dashboard import SPC_COLOURS

    allowed = {colour for _, colour in SPC_COLOURS}
    assert set(rendered[1280]["point_colours"]) & allowed == allowed  # every kind of variation drawn in its colour
    limits = [c for c in rendered[1280]["cells"] if c["measure"] == "lower_limit"]
    assert limits and all(number(c["text"]) >= 0 for c in limits)
    page = (rendered["ws"].publish / "site" / "index.html").read_text()
    assert "limits -" not in page  # no chart label shows a negative lower limit
