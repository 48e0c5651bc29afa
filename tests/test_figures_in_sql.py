"""Figures the dashboard shows are computed once, in SQL models: the headline, the waterfall, the SPC charts."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl
from conftest import published

from flows.models import SQL_ROOT


def model_sql(name: str) -> str:
    """A published model's SELECT (the header lines are SQL comments)."""
    return (SQL_ROOT / "published" / f"{name}.sql").read_text(encoding="utf-8")


def test_the_headline_is_the_latest_week_across_the_sites(demo_national):
    ws, _ = demo_national
    headlines = published(ws, "weekly_headlines").with_columns(pl.col("week_ending").cast(pl.String))
    weekly = published(ws, "weekly_site_summary").with_columns(pl.col("week_ending").cast(pl.String))
    assert headlines.height == 12 and headlines["latest"].sum() == 1
    latest = headlines.filter(pl.col("latest")).row(0, named=True)
    assert (latest["week_ending"], latest["sites_returned"], latest["total_days"]) == ("2017-11-23", 10, 565)
    assert (latest["previous_sites_returned"], latest["previous_total_days"]) == (10, 830)
    for row in headlines.iter_rows(named=True):
        week = weekly.filter(pl.col("week_ending") == row["week_ending"])
        assert row["total_days"] == week["total_days"].sum() and row["sites_returned"] == week.height
    first = headlines.sort("week_ending").row(0, named=True)
    assert first["previous_total_days"] is None and first["previous_sites_returned"] == 0  # blank, not 0


def test_the_waterfall_bars_are_in_the_published_table(demo_national):
    ws, _ = demo_national
    bars = published(ws, "gap_waterfall")
    assert bars.select("component", "days", "bar_start", "bar_end").rows() == [
        ("local", 3569, 0, 3569),
        ("national_only", 212, 3569, 3781),
        ("residual", 309, 3781, 4090),
        ("national", 4090, 0, 4090),
    ]
    page = (ws.publish / "site" / "index.html").read_text(encoding="utf-8")
    assert (
        "Waterfall: Local count 3,569; Residents at other providers 212; Validation and timing 309; "
        "National figure 4,090" in page
    )


def spc_points(sites: int, weeks: int, spike_sites: set[int], late_spike_sites: set[int]) -> list[tuple]:
    """Weekly totals per site: flat with a little wobble; a spike in the last 12 weeks or only early on."""
    rows = []
    start = date(2016, 1, 7)
    for site in range(sites):
        for week in range(weeks):
            total = 50 + (week % 3)
            if site in spike_sites and week == weeks - 2:
                total = 400  # a concerning special cause in the last 12 weeks
            if site in late_spike_sites and week == 5:
                total = 400  # a special cause long ago: not recent
            rows.append((f"S{site:02d}", start + timedelta(weeks=week), total))
    return rows


def spc_chart_sites(rows: list[tuple]) -> list[dict]:
    con = duckdb.connect()
    con.execute("create table int_attributed_site_weeks (site_code varchar, week_ending date, total_days integer)")
    con.executemany("insert into int_attributed_site_weeks values (?, ?, ?)", rows)
    con.execute(f"create view spc_signals as {model_sql('spc_signals')}")
    cursor = con.execute(f"select * from ({model_sql('spc_chart_sites')}) order by site_code")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def test_up_to_40_sites_every_site_is_charted_in_site_order():
    charts = spc_chart_sites(spc_points(sites=12, weeks=60, spike_sites={3}, late_spike_sites=set()))
    assert len(charts) == 12 and all(c["charted"] for c in charts)
    assert [c["chart_order"] for c in charts] == list(range(1, 13))
    assert all(c["first_week_charted"] == date(2016, 1, 7) + timedelta(weeks=8) for c in charts)  # the last 52 weeks
    assert all(c["chart_lower_limit"] == max(c["lower_limit"], 0) for c in charts)


def test_beyond_40_sites_only_recent_special_causes_are_charted_concerning_first():
    charts = spc_chart_sites(spc_points(sites=45, weeks=30, spike_sites={7, 2}, late_spike_sites={1, 30}))
    assert len(charts) == 45
    charted = sorted((c for c in charts if c["charted"]), key=lambda c: c["chart_order"])
    # only sites with a special cause in their last 12 weeks; concerning (the spikes) before the rest
    assert [c["site_code"] for c in charted][:2] == ["S02", "S07"]
    assert all(c["recent_special_causes"] > 0 for c in charted) and len(charted) <= 40
    assert {c["site_code"] for c in charted} == {c["site_code"] for c in charts if c["recent_special_causes"]}
    assert 2 <= len(charted) <= 4 and not next(c for c in charts if c["site_code"] == "S00")["charted"]  # flat sites
    assert all(c["chart_order"] is None for c in charts if not c["charted"])
    assert [c["chart_order"] for c in charted] == list(range(1, len(charted) + 1))


def test_a_provider_named_two_ways_in_a_month_is_named_the_same_whatever_the_rows_order():
    """national_rows are loaded in no particular order: the provider's name must not depend on it."""
    sql = (SQL_ROOT / "intermediate" / "int_national_org_days.sql").read_text(encoding="utf-8")
    named = []
    for order in ("row_number", "row_number desc", "hash(row_number)"):
        con = duckdb.connect()
        con.execute(f"""
            create table stg_national_rows as
            select '2017-09' as month, 'RN7' as provider_code,
                   case when row_number % 3 = 0 then 'DARTFORD AND GRAVESHAM' else 'Dartford & Gravesham' end
                       as provider_name,
                   'E10000016' as la_code, '886' as dh_la_code,
                   1.0::decimal(38, 10) as nhs_b_sum, 2.0::decimal(38, 10) as social_care_b_sum,
                   null::decimal(38, 10) as both_b_sum
            from range(1, 300001) as rows(row_number)
            order by {order}""")
        rows = con.execute(f"select responsible_org, provider_name, delayed_days from ({sql}) order by all").fetchall()
        named.append(rows)
    assert named[0] == named[1] == named[2]
    assert [(org, name, float(days)) for org, name, days in named[0]] == [  # empty cells stay out
        ("NHS", "DARTFORD AND GRAVESHAM", 300000.0),
        ("Social Care", "DARTFORD AND GRAVESHAM", 600000.0),
    ]
