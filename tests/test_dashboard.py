"""The dashboard in a real browser: headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import published

from flows.screenshot import browser

CELLS_JS = """() => Array.from(document.querySelectorAll('[data-measure]')).map(e => ({
    site: e.dataset.site || null, week: e.dataset.week || null, month: e.dataset.month || null,
    provider: e.dataset.provider || null, org: e.dataset.org || null, measure: e.dataset.measure,
    text: e.textContent.trim()}))"""


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
        for measure in ("nhs_days", "social_care_days", "both_days", "att_social_care_days", "total_days",
                        "pct_att_social_care", "avg_12wk_total_days"):
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
    for row in makeup.iter_rows(named=True):
        assert number(shown[(row["site_code"], row["week_ending"])]) == pytest.approx(
            row["pct_of_social_care_days"], abs=0.0501)
    kpi = published(rendered["ws"], "kpi_monthly")
    rag = {c["month"]: c["text"] for c in cells if c["measure"] == "rag"}
    for row in kpi.iter_rows(named=True):
        assert rag[row["month"]].startswith(row["rag"] + ":")  # in words, not only colour
    reconciliation = published(rendered["ws"], "reconciliation_2017-09")
    shown = {(c["provider"], c["org"], c["measure"]): c["text"] for c in cells if c["org"]}
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
    for row in monthly.iter_rows(named=True):
        assert number(shown[(row["site_code"], row["month"], "total_days")]) == pytest.approx(row["total_days"])
    status = published(rendered["ws"], "trajectory_status").filter(pl.col("month") == "2017-11")
    shown = {(c["provider"], c["measure"]): c["text"] for c in cells if c["provider"] and c["month"] == "2017-11"}
    for row in status.iter_rows(named=True):
        assert number(shown[(row["provider_code"], "projected_days")]) == pytest.approx(row["projected_days"], abs=0.0501)


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
        assert dict(outcomes) == {"weekly_detail": "failed: at least one file was refused",
                                  "weekly_summary": "failed: at least one file was refused",
                                  "bcf_trajectory": "passed", "national_extract": "passed"}
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
            [artifact] = await client.read_artifacts(artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["dtoc-dashboard"]), flow_run_id=ArtifactFilterFlowRunId(any_=[summary.flow_run_id])))
            return artifact.data

    markdown = asyncio.run(read())
    assert (ws.publish / "site" / "index.html").resolve().as_uri() in markdown
    assert "Week ending 23 November 2017: **565** delayed days" in markdown
    assert "2017-09: local 3,569, national 4,090, BCF target 3,399 delayed days" in markdown
