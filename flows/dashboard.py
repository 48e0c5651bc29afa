"""The dashboard: `publish/site/index.html`, one self-contained page that answers first.

The page is laid out by the Jinja2 template `flows/templates/dashboard.html` (with its CSS beside
it); this module only prepares the data: headline tiles (the latest week against the week
before, each trust's month so far against plan, the KPI, completeness), the drafted commentary,
then the weekly, monthly, reconciliation, trajectory, SPC, data-quality and download sections.
Fully offline: charts are Vega-Lite specs rendered to inline SVG by vl-convert, so the page loads
no script and no CDN. Every figure is read from the published SQL views (numbers are formatted
for display, never recomputed here). Each figure cell carries
`data-site`, `data-week` / `data-month` and `data-measure` so it can be checked against the CSVs.
Accessible: real table headers and captions, RAG and direction shown in words as well as colour
or arrows, tables scroll inside their own box on a phone.
"""

from __future__ import annotations

import contextlib
import json
from datetime import date
from pathlib import Path
from urllib.parse import quote

import duckdb
import jinja2

from flows.charts import CHARTS
from flows.commentary import draft, month_name
from flows.validate import describe
from flows.warehouse import publish_order

WEEKLY_MEASURES = (
    ("nhs_days", "NHS days"),
    ("social_care_days", "Social care days"),
    ("both_days", "Joint (both) days"),
    ("att_social_care_days", "Attributed to social care"),
    ("total_days", "Total days"),
    ("pct_att_social_care", "% attributable to social care"),
)
# The council's own key: an up arrow means delayed days decreased (better).
DIRECTION = {"decreased": ("\u2191", "decreased"), "increased": ("\u2193", "increased"), "same": ("\u2194", "same")}
RAG_WORDS = {"GREEN": "GREEN: at or under target", "AMBER": "AMBER: above target", "RED": "RED: above the ceiling"}
# NHS "Making Data Count": one fixed colour per kind of variation, the same on every chart.
SPC_COLOURS = (
    ("common cause", "#a6a6a6"),
    ("concerning special cause", "#e46c0a"),
    ("improving special cause", "#00b0f0"),
)
STATUS_WORDS = {
    "breach": "breach: projected above plan",
    "on_track": "on track",
    "incomplete": "incomplete: a return is still missing",
}
TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("flows", "templates"), autoescape=jinja2.select_autoescape(["html"]), trim_blocks=False
)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def fmt(value, measure: str = "") -> str:
    """How a figure is shown: whole days without decimals, fractions to one decimal, percentages to one."""
    if value is None:
        return ""
    number = float(value)
    if measure.startswith("pct"):
        return f"{number:.1f}%"
    if measure.startswith("rate"):
        return f"{number:.2f}"
    return f"{number:,.0f}" if number == round(number) else f"{number:,.1f}"


def _data(**keys) -> dict:
    return {k.replace("_", "-"): "" if v is None else str(v) for k, v in keys.items()}


def _cell(value, measure: str, **keys) -> dict:
    """A figure cell: the formatted value, and data-* attributes naming what it is."""
    return {"text": fmt(value, measure), "data": {**_data(**keys), "measure": measure}}


def _text(text, header: bool = False, cls: str | None = "text", **keys) -> dict:
    return {"text": "" if text is None else str(text), "header": header, "cls": cls, "data": _data(**keys)}


def _table(caption: str, head: list[str], rows: list[dict], cls: str = "") -> dict:
    return {"kind": "table", "caption": caption, "head": head, "rows": rows, "cls": cls}


def _row(cells: list[dict], cls: str = "") -> dict:
    return {"cells": cells, "cls": cls}


def _para(text: str, cls: str = "", href: str = "", link_text: str = "") -> dict:
    return {"kind": "para", "text": text, "cls": cls, "href": href, "link_text": link_text}


def _chart(spec: dict, label: str) -> dict:
    svg = CHARTS.svg(_vega_lite(spec))
    # vl-convert's SVG is trusted markup; the label is escaped before it goes into the attribute
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{jinja2.utils.markupsafe.escape(label)}" ', 1)
    return {"kind": "chart", "svg": svg, "label": label}


def _vega_lite(spec: dict) -> str:
    """A chart's complete Vega-Lite spec, as the JSON text vl-convert draws (the same spec, the same text)."""
    return json.dumps(
        {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "background": "white", **spec}, default=str
    )


def build_dashboard(con: duckdb.DuckDBPyConnection, publish: Path, as_of: date) -> Path:
    site_dir = publish / "site"
    site_dir.mkdir(parents=True, exist_ok=True)
    la_code, la_name = con.execute(
        "select getvariable('home_la'), coalesce((select la_name from ref_local_authorities "
        "where la_code = getvariable('home_la')), getvariable('home_la'))"
    ).fetchone()
    sections = [
        ("commentary", "Commentary", _commentary(con)),
        ("weekly", "Weekly", _weekly(con)),
        ("monthly", "Monthly and KPI", _monthly(con)),
        ("reconciliation", "Local, national and BCF", _reconciliation(con)),
        ("trajectories", "Trajectories", _trajectories(con)),
        ("spc", "Special causes (SPC)", _spc(con)),
        ("quality", "Data quality and alerts", _quality(con)),
        ("downloads", "Downloads", _downloads(publish)),
    ]
    page = TEMPLATES.get_template("dashboard.html").render(
        la_code=la_code,
        la_name=la_name,
        as_of=as_of.isoformat(),
        as_of_long=as_of.strftime("%d %B %Y"),
        tiles=_tiles(con),
        sections=[{"anchor": anchor, "title": title, "blocks": blocks} for anchor, title, blocks in sections],
    )
    target = site_dir / "index.html"
    partial = site_dir / ".index.html.partial"
    partial.write_text(page, encoding="utf-8")
    partial.replace(target)
    return target


def _tiles(con) -> list[dict]:
    """The answers first: the latest week against the week before, each trust's month so far against
    plan, the KPI and the completeness of the month's collection."""
    headline = _rows(con, "select * from weekly_headlines where latest")
    if not headline:
        return [{"id": "week", "title": "Latest week", "text": "No weekly returns loaded yet."}]
    [week] = headline
    latest = week["week_ending"]
    previous = (
        f"against {fmt(week['previous_total_days'])} the week before"
        if week["previous_sites_returned"]
        else "no return for the week before"
    )
    tiles = [
        {
            "id": "week",
            "title": f"Week ending {latest.strftime('%d %B %Y')}",
            "big": fmt(week["total_days"]),
            "big_id": "headline-total",
            "data": _data(week=latest, measure="headline_total_days"),
            "text": f"delayed days across the sites, {previous}",
        }
    ]
    plan = _rows(
        con,
        """
        select status.*, providers.provider_name from trajectory_status as status
        join int_providers as providers using (provider_code)
        where month = (select max(month) from trajectory_status) order by provider_code""",
    )
    if plan:
        tiles.append(
            {
                "id": "plan",
                "title": f"{month_name(plan[0]['month'])} so far against plan",
                "entries": [
                    {
                        "label": r["provider_name"],
                        "value": f"{fmt(r['mtd_days'])} of {fmt(r['mtd_planned_days'])} planned to date",
                        "status": r["status"],
                        "status_words": STATUS_WORDS[r["status"]],
                        "data": _data(provider=r["provider_code"], month=r["month"], measure="tile_mtd_days"),
                    }
                    for r in plan
                ],
            }
        )
    kpi = _rows(con, "select * from kpi_monthly order by month desc limit 1")
    if kpi:
        tiles.append(
            {
                "id": "kpi",
                "title": f"KPI, {month_name(kpi[0]['month'])}",
                "big": fmt(kpi[0]["pct_att_social_care"], "pct") or "no delays",
                "data": _data(month=kpi[0]["month"], measure="tile_pct_att_social_care"),
                "text": f"attributable to social care: {RAG_WORDS.get(kpi[0]['rag'], 'no RAG')}",
                "rag": kpi[0]["rag"],
            }
        )
    coverage = _rows(con, "select * from monthly_headlines order by month desc limit 1")
    if coverage:
        c = coverage[0]
        suspicious = f"; {c['suspicious_returns']} return(s) to confirm" if c["suspicious_returns"] else ""
        tiles.append(
            {
                "id": "completeness",
                "title": f"Completeness, {month_name(c['month'])}",
                "big": f"{c['returns_received']} of {c['returns_due']}",
                "data": _data(month=c["month"], measure="tile_returns_received"),
                "text": f"weekly returns due so far ({c['returns_expected']} in the month): "
                f"{c['coverage']}{suspicious}",
            }
        )
    return tiles


def _commentary(con) -> list[dict]:
    month = con.execute("select max(month) from monthly_headlines").fetchone()[0]
    if month is None:
        return [_para("No weekly returns loaded yet.")]
    blocks = [
        _para(
            f"Drafted from the published tables for {month_name(month)} "
            f"(commentary_{month}.md; every figure is in the CSVs).",
            "legend",
            f"../commentary_{month}.md",
            "Open the commentary",
        )
    ]
    for heading, sentences in draft(con, month):
        blocks += [{"kind": "h3", "text": heading}, _para(" ".join(sentences))]
    return blocks


def _weekly(con) -> list[dict]:
    weeks = [
        r["week_ending"]
        for r in _rows(con, "select distinct week_ending from weekly_site_summary order by week_ending desc limit 12")
    ][::-1]
    if not weeks:
        return [_para("No weekly returns loaded yet.")]
    rows = _rows(
        con,
        "select * from weekly_site_summary where week_ending >= ? order by provider_code, site_code, week_ending",
        [weeks[0]],
    )
    sites: dict[str, list[dict]] = {}
    for row in rows:
        sites.setdefault(row["site_code"], []).append(row)
    head = ["Measure", *[w.strftime("%d/%m/%y") for w in weeks]]
    blocks = [
        _para(
            "Direction of travel uses the council's key: \u2191 means delayed days decreased on the week "
            "before, \u2193 means they increased, \u2194 that they stayed the same. Each arrow is followed "
            "by the word.",
            "legend",
        )
    ]
    for site_code, site_rows in sites.items():
        by_week = {r["week_ending"]: r for r in site_rows}
        body = []
        for measure, label in (*WEEKLY_MEASURES, ("avg_12wk_total_days", "12-week average total")):
            body.append(
                _row(
                    [_text(label, header=True, cls=None)]
                    + [
                        _cell(by_week[w][measure], measure, site=site_code, week=w)
                        if w in by_week
                        else _text("not sent", cls=None)
                        for w in weeks
                    ]
                )
            )
        arrows = [
            {
                "text": " ".join(DIRECTION[by_week[w]["direction"]]),
                "data": {**_data(site=site_code, week=w), "measure": "direction"},
            }
            if w in by_week and by_week[w]["direction"]
            else _text("", cls=None)
            for w in weeks
        ]
        body.append(_row([_text("Direction of travel", header=True, cls=None), *arrows]))
        first = site_rows[0]
        blocks.append(_table(f"{first['site_name']} ({site_code}), {first['provider_code']}", head, body))
    makeup = _rows(
        con,
        "select * from weekly_social_care_makeup where week_ending >= ? order by site_code, week_ending",
        [weeks[0]],
    )
    by_site: dict[str, dict] = {}
    for row in makeup:
        by_site.setdefault(row["site_code"], {})[row["week_ending"]] = row["pct_of_social_care_days"]
    body = [
        _row(
            [_text(site, header=True)]
            + [_cell(values.get(w), "pct_of_social_care_days", site=site, week=w) for w in weeks]
        )
        for site, values in by_site.items()
    ]
    blocks.append(_table("% make-up of days attributed to social care, by site", ["Site", *head[1:]], body))
    return blocks


def _monthly(con) -> list[dict]:
    kpi = _rows(con, "select * from kpi_monthly order by month")
    body = [
        _row(
            [
                _text(r["month"], header=True, cls=None),
                _cell(r["pct_att_social_care"], "pct_att_social_care", month=r["month"]),
                _text(fmt(r["target_pct"], "pct"), cls=None),
                {
                    "text": RAG_WORDS.get(r["rag"], "no delays"),
                    "rag": r["rag"],
                    "span_data": {**_data(month=r["month"]), "measure": "rag"},
                },
            ]
        )
        for r in kpi
    ]
    blocks = [
        _table(
            "KPI: % of delayed days attributable to adult social care (incl. share of joint); lower is better",
            ["Month", "% attributable", "Target", "RAG"],
            body,
        )
    ]
    incomplete = _rows(
        con, "select month, returns_received, returns_expected from monthly_headlines where not complete order by month"
    )
    if incomplete:
        blocks.append(
            _para(
                "With the data available: "
                + "; ".join(
                    f"{r['month']} has {r['returns_received']} of {r['returns_expected']} weekly returns"
                    for r in incomplete
                )
                + ". Its figures will change as the rest arrive.",
                "legend",
            )
        )
    measures = (
        "nhs_days",
        "social_care_days",
        "both_days",
        "att_social_care_days",
        "total_days",
        "pct_att_social_care",
    )
    head = ["Month", "Trust", "NHS", "Social care", "Both", "Attributed to SC", "Total", "% attributable"]
    rows = _rows(con, "select * from monthly_provider_summary order by month, provider_code")
    body = [
        _row(
            [_text(r["month"]), _text(r["provider_name"], header=True, cls=None)]
            + [_cell(r[m], m, provider=r["provider_code"], month=r["month"]) for m in measures]
        )
        for r in rows
    ]
    blocks.append(_table("Monthly delayed days by trust (council's residents)", head, body))
    rows = _rows(con, "select * from monthly_site_summary order by month, provider_code, site_code")
    body = [
        _row(
            [_text(r["month"]), _text(r["site_name"], header=True, cls=None)]
            + [_cell(r[m], m, site=r["site_code"], month=r["month"]) for m in measures]
        )
        for r in rows
    ]
    blocks.append(_table("Monthly delayed days by site", ["Month", "Site", *head[2:]], body))
    return blocks


def _reconciliation_month(con) -> str | None:
    """The month the dashboard reconciles: the latest with national data."""
    return con.execute("select max(month) from reconciliation").fetchone()[0]


def _reconciliation(con) -> list[dict]:
    month = _reconciliation_month(con)
    if month is None:
        return [
            _para("No national data yet: the reconciliation appears when NHS England's extract for a month arrives.")
        ]
    rows = _rows(
        con, f"select * from reconciliation where month = ? order by {publish_order('reconciliation')}", [month]
    )
    measures = (
        "local_days",
        "national_days",
        "national_provider_days",
        "bcf_target_days",
        "local_minus_target",
        "national_minus_target",
        "national_minus_local",
    )
    body = [
        _row(
            [
                _text(r["responsible_org"]),
                _text("All providers" if r["provider_code"] == "Total" else r["provider_name"], header=True, cls=None),
            ]
            + [_cell(r[m], m, provider=r["provider_code"], org=r["responsible_org"]) for m in measures],
            "total" if r["provider_code"] == "Total" else "",
        )
        for r in rows
    ]
    blocks = [
        _table(
            f"{month}: local count, national figure and BCF target by provider and responsible organisation",
            [
                "Responsible",
                "Provider",
                "Local",
                "National (our residents)",
                "National (all residents)",
                "BCF target",
                "Local - target",
                "National - target",
                "National - local",
            ],
            body,
        )
    ]
    blocks.append(_chart(*_waterfall_chart(con, month)))
    rates = _rows(
        con,
        "select measure, source, rate_per_100k_per_day, national_target_per_100k_per_day from la_rates "
        f"where month = ? order by {publish_order('la_rates')}",
        [month],
    )
    by_measure: dict[str, dict] = {}
    for r in rates:
        by_measure.setdefault(r["measure"], {"target": r["national_target_per_100k_per_day"]})[r["source"]] = r[
            "rate_per_100k_per_day"
        ]
    body = [
        _row(
            [_text(m, header=True, cls=None)]
            + [
                _cell(v.get(s), "rate_per_100k", measure_name=m, source=s)
                for s in ("local", "national", "bcf_target", "target")
            ]
        )
        for m, v in by_measure.items()
    ]
    blocks.append(
        _table(
            f"{month}: delayed days per day per 100,000 aged 18+, against the national targets",
            ["Measure", "Local", "National", "BCF target", "National target"],
            body,
        )
    )
    return blocks


def _waterfall_chart(con, month: str) -> tuple[dict, str]:
    """The waterfall of a month's gap: the local count and the national figure stand on zero, each part of the
    gap on the last; its spec and label."""
    gap = _rows(con, f"select * from gap_waterfall where month = ? order by {publish_order('gap_waterfall')}", [month])
    labels = {
        "local": "Local count",
        "national_only": "Residents at other providers",
        "residual": "Validation and timing",
        "national": "National figure",
    }
    bars = [
        {
            "component": labels[g["component"]],
            "days": float(g["days"]),
            "start": float(g["bar_start"]),
            "end": float(g["bar_end"]),
        }
        for g in gap
        if g["days"] is not None
    ]  # a month without local returns: no local bar
    return (
        {
            "title": f"Why the national figure differs from the local count, {month}",
            "width": 520,
            "height": 240,
            "data": {"values": bars},
            "mark": {"type": "bar", "tooltip": True},
            "encoding": {
                "x": {
                    "field": "component",
                    "type": "nominal",
                    "sort": None,
                    "title": None,
                    "axis": {"labelAngle": 0},
                },
                "y": {"field": "start", "type": "quantitative", "title": "delayed days"},
                "y2": {"field": "end"},
                "color": {"field": "component", "type": "nominal", "legend": None},
            },
        },
        "Waterfall: " + "; ".join(f"{labels[g['component']]} {fmt(g['days'])}" for g in gap),
    )


def _trajectory_month(con) -> str | None:
    """The month the dashboard follows against the BCF trajectory: the latest with a status."""
    return con.execute("select max(month) from trajectory_status").fetchone()[0]


def _trajectories(con) -> list[dict]:
    month = _trajectory_month(con)
    if month is None:
        return [_para("No BCF trajectory for these months.")]
    rows = _rows(con, "select * from trajectory_status where month = ? order by provider_code", [month])
    measures = ("planned_days", "mtd_days", "mtd_planned_days", "projected_days")
    body = [
        _row(
            [_text(r["provider_code"], header=True, cls=None)]
            + [_cell(r[m], m, provider=r["provider_code"], month=month) for m in measures]
            + [
                _text(f"{r['days_covered']} of {r['days_in_month']}", cls=None),
                _text(STATUS_WORDS[r["status"]].capitalize(), cls=None),
            ],
            "breach" if r["status"] == "breach" else "",
        )
        for r in rows
    ]
    blocks = [
        _table(
            f"{month}: month to date against the BCF trajectory",
            ["Trust", "Planned (month)", "Month to date", "Planned to date", "Projected", "Days covered", "Status"],
            body,
        )
    ]
    burnup = _burnup_chart(con, month)
    if burnup is not None:
        blocks.append(_chart(*burnup))
    return blocks


def _burnup_chart(con, month: str) -> tuple[dict, str] | None:
    """Each trust's delayed days to date against its pro-rata plan in a month; its spec and label (None: no weeks)."""
    burn = _rows(con, "select * from trajectory_burnup where month = ? order by provider_code, week_ending", [month])
    if not burn:
        return None
    values = [
        {"trust": b["provider_code"], "week": str(b["week_ending"]), "series": series, "days": float(b[column])}
        for b in burn
        for series, column in (("delayed days to date", "cumulative_days"), ("plan to date", "planned_to_date"))
    ]
    return (
        {
            "title": f"Burn-up by trust, {month}: delayed days to date against the pro-rata plan",
            "data": {"values": values},
            "facet": {"field": "trust", "type": "nominal", "title": None},
            "columns": 4,
            "spec": {
                "width": 220,
                "height": 140,
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "x": {"field": "week", "type": "ordinal", "title": "week ending"},
                    "y": {"field": "days", "type": "quantitative", "title": "days"},
                    "color": {"field": "series", "type": "nominal", "title": None},
                    "strokeDash": {"field": "series", "type": "nominal", "title": None},
                },
            },
        },
        f"Burn-up charts for {len({b['provider_code'] for b in burn})} trusts in {month}",
    )


def _spc(con) -> list[dict]:
    # which sites are charted, from which week, and the limits drawn: spc_chart_sites
    sites_with_points, charted = con.execute(
        "select count(*), count(*) filter (where charted) from spc_chart_sites"
    ).fetchone()
    if not sites_with_points:
        return [_para("No weekly returns loaded yet.")]
    blocks = [
        {
            "kind": "spc_key",
            "colours": SPC_COLOURS,
            "text": "XmR charts of weekly total delayed days: the mean and the process limits (mean \u00b1 2.66 \u00d7 "
            "the mean moving range, over every reported week; the lower limit no lower than zero). The charts "
            "show the last 52 weeks. Points are coloured as in NHS Making Data Count, the same "
            "on every chart; for delays, upward signals are concerning:",
        }
    ]
    if charted < sites_with_points:
        blocks.append(
            _para(
                f"{sites_with_points} sites: charted below are the {charted} whose last 12 weeks show a "
                "special cause (concerning ones first, at most 40); every site's points are in",
                "",
                "../spc_signals.csv",
                "spc_signals.csv",
            )
        )
    for chart, spec, label, signals in _spc_charts(con):
        site = chart["site_code"]
        blocks.append(_chart(spec, label))
        if signals:
            blocks.append(
                {
                    "kind": "list",
                    "items": [
                        {
                            "text": f"{p['week_ending'].strftime('%d/%m/%y')}: {p['total_days']} days, "
                            f"{p['signal'].replace(';', ', ')}{' (concerning)' if p['concerning'] else ''}",
                            "cls": "concerning" if p["concerning"] else "",
                            "data": _data(site=site, week=p["week_ending"]),
                        }
                        for p in signals
                    ],
                }
            )
    return blocks


def _spc_charts(con) -> list[tuple[dict, dict, str, list[dict]]]:
    """Each charted site's row of spc_chart_sites, its XmR chart's spec and label, and its points with a signal."""
    charts = _rows(con, "select * from spc_chart_sites where charted order by chart_order")
    points = _rows(
        con,
        """
        select spc.site_code, spc.week_ending, spc.total_days, spc.signal, spc.concerning,
               spc.week_ending >= charts.first_week_charted as drawn
        from spc_signals as spc join spc_chart_sites as charts using (site_code)
        where charts.charted order by charts.chart_order, spc.week_ending""",
    )
    by_site: dict[str, list[dict]] = {}
    for point in points:
        by_site.setdefault(point["site_code"], []).append(point)
    domain = [name for name, _ in SPC_COLOURS]
    colours = [colour for _, colour in SPC_COLOURS]
    drawn = []
    for chart in charts:
        site, points = chart["site_code"], by_site[chart["site_code"]]
        values = [
            {
                "week": str(p["week_ending"]),
                "days": p["total_days"],
                "signal": p["signal"] or "none",
                "variation": (domain[1] if p["concerning"] else domain[2]) if p["signal"] else domain[0],
                "mean": chart["mean"],
                "lower": chart["chart_lower_limit"],
                "upper": chart["upper_limit"],
            }
            for p in points
            if p["drawn"]
        ]
        signals = [p for p in points if p["signal"]]
        spec = {
            "title": f"{site}: weekly total delayed days",
            "width": 520,
            "height": 160,
            "data": {"values": values},
            "layer": [
                {
                    "mark": {"type": "line", "color": "#555"},
                    "encoding": {
                        "x": {"field": "week", "type": "temporal", "title": "week ending"},
                        "y": {"field": "days", "type": "quantitative", "title": "days"},
                    },
                },
                {
                    "mark": {"type": "point", "filled": True, "size": 60},
                    "encoding": {
                        "x": {"field": "week", "type": "temporal"},
                        "y": {"field": "days", "type": "quantitative"},
                        "color": {
                            "field": "variation",
                            "type": "nominal",
                            "title": "variation",
                            "scale": {"domain": domain, "range": colours},
                        },
                        "tooltip": [{"field": "week"}, {"field": "days"}, {"field": "signal"}],
                    },
                },
                *(
                    {
                        "mark": {"type": "rule", "strokeDash": dash, "color": "#005eb8"},
                        "encoding": {"y": {"field": field, "aggregate": "mean", "type": "quantitative"}},
                    }
                    for field, dash in (("mean", [1, 0]), ("lower", [4, 4]), ("upper", [4, 4]))
                ),
            ],
        }
        label = (
            f"{site}: mean {fmt(chart['mean'])}, limits {fmt(chart['chart_lower_limit'])} to "
            f"{fmt(chart['upper_limit'])}; "
            + (
                f"{chart['special_causes']} point(s) with a special cause"
                if chart["special_causes"]
                else "no special cause"
            )
        )
        drawn.append((chart, spec, label, signals))
    return drawn


def dashboard_chart_specs(con) -> list[dict]:
    """Every chart the dashboard draws, in the order it draws them: the reconciled month's waterfall, the
    trajectory month's burn-up, the SPC charts."""
    specs = []
    month = _reconciliation_month(con)
    if month is not None:
        specs.append(_waterfall_chart(con, month)[0])
    month = _trajectory_month(con)
    burnup = None if month is None else _burnup_chart(con, month)
    if burnup is not None:
        specs.append(burnup[0])
    return specs + [spec for _, spec, _, _ in _spc_charts(con)]


def draw_charts_soon(con) -> None:
    """Send the dashboard's charts to be drawn (flows/charts.py) as soon as their figures are known, in the order
    the dashboard asks for them, so that they are drawn while the run goes on.

    Only a head start: the dashboard reads the same views again when it is laid out, so a failure here is
    the dashboard's to report (or not, if its checks fail first), never a reason to stop the run.
    """
    with contextlib.suppress(Exception):
        for spec in dashboard_chart_specs(con):
            CHARTS.draw_soon(_vega_lite(spec))


def _quality(con) -> list[dict]:
    files = _rows(
        con,
        """
        select 'weekly' as source, file_name, problem_count, processed_at from submission_files where status = 'rejected'
        union all
        select 'national', file_name, problem_count, processed_at from national_files where status = 'rejected'
        order by processed_at desc, file_name""",
    )
    problems = _rows(
        con,
        """
        select file_name, row_number, column_name, value, problem from file_problems
        order by file_name, row_number nulls first, column_name""",
    )
    first = {}
    for p in problems:
        first.setdefault(p["file_name"], p)
    body = [
        _row(
            [
                _text(f["file_name"], header=True),
                _text(f["source"]),
                {"text": str(f["problem_count"]), "data": {**_data(file=f["file_name"]), "measure": "problem_count"}},
                _text(_describe(first.get(f["file_name"]))),
                {**_text("all problems"), "href": f"../../quarantine/{quote(f['file_name'])}.errors.csv"},
            ]
        )
        for f in files
    ]
    blocks = [
        _table(
            "Files refused (kept in quarantine/ with their reasons)",
            ["File", "Source", "Problems", "First problem", "Details"],
            body,
        )
        if body
        else _para("No file has been refused.")
    ]
    suspicious = _rows(con, "select * from suspicious_returns order by week_ending desc, provider_code, site_code")
    checks = {
        "all_zero": "all zeros against a site that usually reports delays",
        "far_outside_limits": "far outside the site's process limits",
    }
    blocks.append({"kind": "h3", "text": "Returns to confirm with the sites"})
    blocks.append(
        _table(
            "Suspicious returns: all zeros from a site whose previous twelve weeks averaged 7 or more days a week, or a "
            "week far outside its SPC limits",
            ["Site", "Week ending", "Check", "Total days", "Previous 12-week average", "Lower limit", "Upper limit"],
            [
                _row(
                    [
                        _text(r["site_name"], header=True),
                        _text(r["week_ending"].strftime("%d/%m/%Y")),
                        {
                            **_text(checks[r["check"]]),
                            "data": {
                                **_data(site=r["site_code"], week=r["week_ending"]),
                                "measure": "suspicious_check",
                            },
                        },
                        _cell(r["total_days"], "suspicious_total_days", site=r["site_code"], week=r["week_ending"]),
                        _cell(
                            r["avg_previous_12wk_total_days"],
                            "avg_previous_12wk_total_days",
                            site=r["site_code"],
                            week=r["week_ending"],
                        ),
                        _cell(r["lower_limit"], "lower_limit", site=r["site_code"], week=r["week_ending"]),
                        _cell(r["upper_limit"], "upper_limit", site=r["site_code"], week=r["week_ending"]),
                    ]
                )
                for r in suspicious
            ],
        )
        if suspicious
        else _para("No return looks suspicious.")
    )
    done = _rows(
        con,
        "select * from monthly_completeness where month = (select max(month) from monthly_headlines) "
        "and not complete order by provider_code, site_code",
    )
    if done:
        blocks.append(
            _table(
                f"Collections not yet complete, {done[0]['month']}",
                ["Site", "Weeks in month", "Ended by as-of", "Returned", "Missing"],
                [
                    _row(
                        [_text(r["site_name"], header=True)]
                        + [
                            _cell(r[m], m, site=r["site_code"], month=r["month"])
                            for m in ("weeks_in_month", "weeks_due", "weeks_returned", "weeks_missing")
                        ]
                    )
                    for r in done
                ],
            )
        )
    alerts = _rows(con, "select * from alerts order by raised_as_of desc, event, dedup_key")
    missing = [a for a in alerts if a["event"] == "submission.missing"]
    blocks.append({"kind": "h3", "text": "Missing returns"})
    blocks.append(
        {"kind": "list", "items": [{"text": a["text"]} for a in missing]}
        if missing
        else _para("Every site sent its return for the latest completed week.")
    )
    body = [
        _row(
            [
                _text(a["raised_as_of"]),
                _text(a["event"]),
                _text(a["text"], cls="text wrap"),
                {**_text(a["delivery_state"]), "data": {"measure": "delivery_state"}},
                _text(a["attempts"], cls=None),
            ]
        )
        for a in alerts
    ]
    blocks.append(
        _table("Alerts and their delivery", ["Raised (as of)", "Event", "Alert", "Delivery", "Attempts"], body)
        if body
        else _para("No alerts raised.")
    )
    return blocks


def _describe(problem: dict | None) -> str:
    if not problem:
        return ""
    return describe(
        {
            "row": "" if problem["row_number"] is None else problem["row_number"],
            "column": problem["column_name"],
            "value": problem["value"],
            "problem": problem["problem"],
        }
    )


def _downloads(publish: Path) -> list[dict]:
    files = sorted(
        p.name
        for p in publish.iterdir()
        if p.is_file() and p.suffix in (".csv", ".xlsx", ".md") and not p.name.startswith(".")
    )
    return [
        *_data_docs(publish / "data_docs"),
        {"kind": "h3", "text": "Published tables and reports"},
        {"kind": "links", "items": [{"text": name, "href": f"../{quote(name)}"} for name in files]},
    ]


def _data_docs(docs: Path) -> list[dict]:
    """Links to the Great Expectations Data Docs pages of the last run's validations."""
    manifest = docs / "last_run.json"
    if not manifest.exists():
        return []
    rows = []
    for item in json.loads(manifest.read_text(encoding="utf-8")):
        outcome = "passed" if item["success"] else "failed: at least one file was refused"
        files = ", ".join(item["files"])
        rows.append(
            _row(
                [
                    {"text": item["suite"], "header": True, "href": f"../data_docs/{quote(item['page'])}"},
                    _text(item["run"]),
                    {**_text(outcome), "data": {"measure": "validation"}},
                    _text(files[:300] + ("..." if len(files) > 300 else ""), cls="text wrap"),
                ]
            )
        )
    return [
        _table("Great Expectations Data Docs: the last run's validations", ["Suite", "Run", "Outcome", "Files"], rows),
        _para(
            "The index page needs internet access for its styles and listing; the validation pages above work offline:",
            "",
            "../data_docs/index.html",
            "All Data Docs",
        ),
    ]
