"""The dashboard: `publish/site/index.html`, one self-contained page like the council's weekly dashboard.

Fully offline: charts are Vega-Lite specs rendered to inline SVG by vl-convert, so the page loads
no script and no CDN. Every figure is read from the published SQL views; this module only lays
them out (numbers are formatted for display, never recomputed). Each figure cell carries
`data-site`, `data-week` / `data-month` and `data-measure` so it can be checked against the CSVs.
Accessible: real table headers and captions, RAG and direction shown in words as well as colour
or arrows, tables scroll inside their own box on a phone.
"""

from __future__ import annotations

import html
import json
from datetime import date
from pathlib import Path
from urllib.parse import quote

import duckdb

from flows.validate import describe

WEEKLY_MEASURES = (
    ("nhs_days", "NHS days"), ("social_care_days", "Social care days"), ("both_days", "Joint (both) days"),
    ("att_social_care_days", "Attributed to social care"), ("total_days", "Total days"),
    ("pct_att_social_care", "% attributable to social care"),
)
# The council's own key: an up arrow means delayed days decreased (better).
DIRECTION = {"decreased": ("\u2191", "decreased"), "increased": ("\u2193", "increased"), "same": ("\u2194", "same")}
RAG_WORDS = {"GREEN": "GREEN: at or under target", "AMBER": "AMBER: above target", "RED": "RED: above the ceiling"}
ORG_ORDER = ("NHS", "Social Care", "Both", "Total")
SPC_CHART_WEEKS = 52
SPC_CHART_SITES = 40

CSS = """
body{font-family:Arial,Helvetica,sans-serif;margin:0 auto;max-width:1240px;padding:0 12px;color:#1d1d1d}
header{border-bottom:4px solid #005eb8;margin-bottom:8px}
h1{font-size:1.6rem;margin:.6rem 0}
h2{font-size:1.3rem;margin-top:2rem;border-bottom:1px solid #ccc}
h3{font-size:1.05rem;margin:1.2rem 0 .3rem}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4rem 1rem}
a{color:#005eb8}
.scroll{overflow-x:auto;max-width:100%;margin-bottom:1rem}
table{border-collapse:collapse;font-size:.85rem}
caption{text-align:left;font-weight:bold;padding:.3rem 0}
th,td{border:1px solid #bbb;padding:.2rem .45rem;text-align:right;white-space:nowrap}
th[scope=row],td.text{text-align:left}
thead th{background:#e8eef7}
tr.total th,tr.total td{font-weight:bold;border-top:2px solid #555}
.rag{padding:.1rem .4rem;border-radius:3px;font-weight:bold}
.rag-GREEN{background:#c6efce}.rag-AMBER{background:#ffeb9c}.rag-RED{background:#ffc7ce}
.breach{background:#ffc7ce}.concerning{background:#ffeb9c}
.headline{display:flex;flex-wrap:wrap;gap:1rem}
.headline div{border:1px solid #bbb;padding:.5rem .8rem;min-width:11rem}
.headline strong{display:block;font-size:1.4rem}
figure{margin:.5rem 0 1.2rem}
figure svg{max-width:100%;height:auto}
.legend{font-size:.85rem;background:#f4f4f4;padding:.4rem .6rem}
"""


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


def _e(text) -> str:
    return html.escape("" if text is None else str(text))


def _cell(value, measure: str, **keys) -> str:
    attributes = " ".join(f'data-{k.replace("_", "-")}="{_e(v)}"' for k, v in keys.items())
    return f'<td {attributes} data-measure="{measure}">{_e(fmt(value, measure))}</td>'


def _table(caption: str, head: list[str], body: list[str], cls: str = "") -> str:
    header = "".join(f'<th scope="col">{_e(h)}</th>' for h in head)
    return (f'<div class="scroll"><table class="{cls}"><caption>{_e(caption)}</caption>'
            f"<thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def _chart(spec: dict, label: str) -> str:
    import vl_convert

    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "background": "white", **spec}
    svg = vl_convert.vegalite_to_svg(json.dumps(spec, default=str))
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_e(label)}" ', 1)
    return f"<figure>{svg}<figcaption>{_e(label)}</figcaption></figure>"


def build_dashboard(con: duckdb.DuckDBPyConnection, publish: Path, as_of: date) -> Path:
    site_dir = publish / "site"
    site_dir.mkdir(parents=True, exist_ok=True)
    la_code, la_name = con.execute("select getvariable('home_la'), coalesce((select la_name from ref_local_authorities "
                                   "where la_code = getvariable('home_la')), getvariable('home_la'))").fetchone()
    sections = [
        ("weekly", "Weekly", _weekly(con)),
        ("monthly", "Monthly and KPI", _monthly(con)),
        ("reconciliation", "Local, national and BCF", _reconciliation(con)),
        ("trajectories", "Trajectories", _trajectories(con)),
        ("spc", "Special causes (SPC)", _spc(con)),
        ("quality", "Data quality and alerts", _quality(con)),
        ("downloads", "Downloads", _downloads(publish)),
    ]
    nav = "".join(f'<li><a href="#{anchor}">{_e(title)}</a></li>' for anchor, title, _ in sections)
    body = "".join(f'<section id="{anchor}" aria-labelledby="{anchor}-h"><h2 id="{anchor}-h">{_e(title)}</h2>'
                   f"{content}</section>" for anchor, title, content in sections)
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Delayed transfers of care: {_e(la_name)}, as of {as_of.isoformat()}</title><style>{CSS}</style>"
            f'</head><body><header><h1>Delayed transfers of care: {_e(la_name)} ({_e(la_code)})</h1>'
            f"<p>As of {as_of.strftime('%d %B %Y')}. {_headline(con)}</p></header>"
            f'<nav aria-label="Sections"><ul>{nav}</ul></nav><main>{body}</main></body></html>')
    target = site_dir / "index.html"
    partial = site_dir / ".index.html.partial"
    partial.write_text(page, encoding="utf-8")
    partial.replace(target)
    return target


def _headline(con) -> str:
    latest = con.execute("select max(week_ending) from weekly_site_summary").fetchone()[0]
    if latest is None:
        return "No weekly returns loaded yet."
    [week] = _rows(con, "select sum(total_days) as total_days, sum(att_social_care_days) as att_social_care_days "
                        "from weekly_site_summary where week_ending = ?", [latest])
    kpi = _rows(con, "select * from kpi_monthly order by month desc limit 1")
    text = (f'Week ending {latest.strftime("%d %B %Y")}: <strong id="headline-total" data-week="{latest}">'
            f'{_e(fmt(week["total_days"]))}</strong> delayed days across the sites.')
    if kpi:
        text += (f' {kpi[0]["month"]} so far: {_e(fmt(kpi[0]["pct_att_social_care"], "pct"))} attributable to social '
                 f'care, <span class="rag rag-{kpi[0]["rag"]}">{_e(RAG_WORDS.get(kpi[0]["rag"], ""))}</span>.')
    return text


def _weekly(con) -> str:
    weeks = [r["week_ending"] for r in _rows(con, "select distinct week_ending from weekly_site_summary "
                                                  "order by week_ending desc limit 12")][::-1]
    if not weeks:
        return "<p>No weekly returns loaded yet.</p>"
    rows = _rows(con, "select * from weekly_site_summary where week_ending >= ? order by provider_code, site_code, "
                      "week_ending", [weeks[0]])
    sites: dict[str, list[dict]] = {}
    for row in rows:
        sites.setdefault(row["site_code"], []).append(row)
    head = ["Measure", *[w.strftime("%d/%m/%y") for w in weeks]]
    parts = ['<p class="legend">Direction of travel uses the council\'s key: \u2191 means delayed days '
             '<strong>decreased</strong> on the week before, \u2193 means they increased, \u2194 that they stayed the '
             'same. Each arrow is followed by the word.</p>']
    for site_code, site_rows in sites.items():
        by_week = {r["week_ending"]: r for r in site_rows}
        body = []
        for measure, label in (*WEEKLY_MEASURES, ("avg_12wk_total_days", "12-week average total")):
            cells = "".join(_cell(by_week[w][measure], measure, site=site_code, week=w) if w in by_week
                            else "<td>not sent</td>" for w in weeks)
            body.append(f'<tr><th scope="row">{_e(label)}</th>{cells}</tr>')
        arrows = "".join(
            f'<td data-site="{site_code}" data-week="{w}" data-measure="direction">'
            f'{DIRECTION[by_week[w]["direction"]][0]} {DIRECTION[by_week[w]["direction"]][1]}</td>'
            if w in by_week and by_week[w]["direction"] else "<td></td>" for w in weeks)
        body.append(f'<tr><th scope="row">Direction of travel</th>{arrows}</tr>')
        first = site_rows[0]
        parts.append(_table(f"{first['site_name']} ({site_code}), {first['provider_code']}", head, body))
    makeup = _rows(con, "select * from weekly_social_care_makeup where week_ending >= ? order by site_code, week_ending",
                   [weeks[0]])
    by_site: dict[str, dict] = {}
    for row in makeup:
        by_site.setdefault(row["site_code"], {})[row["week_ending"]] = row["pct_of_social_care_days"]
    body = [f'<tr><th scope="row">{_e(site)}</th>'
            + "".join(_cell(values.get(w), "pct_of_social_care_days", site=site, week=w) for w in weeks) + "</tr>"
            for site, values in by_site.items()]
    parts.append(_table("% make-up of days attributed to social care, by site", ["Site", *head[1:]], body))
    return "".join(parts)


def _monthly(con) -> str:
    kpi = _rows(con, "select * from kpi_monthly order by month")
    body = [f'<tr><th scope="row">{_e(r["month"])}</th>{_cell(r["pct_att_social_care"], "pct_att_social_care", month=r["month"])}'
            f'<td>{_e(fmt(r["target_pct"], "pct"))}</td><td><span class="rag rag-{_e(r["rag"])}" data-month="{_e(r["month"])}"'
            f' data-measure="rag">{_e(RAG_WORDS.get(r["rag"], "no delays"))}</span></td></tr>' for r in kpi]
    parts = [_table("KPI: % of delayed days attributable to adult social care (incl. share of joint); lower is better",
                    ["Month", "% attributable", "Target", "RAG"], body)]
    measures = ("nhs_days", "social_care_days", "both_days", "att_social_care_days", "total_days", "pct_att_social_care")
    head = ["Month", "Trust", "NHS", "Social care", "Both", "Attributed to SC", "Total", "% attributable"]
    rows = _rows(con, "select * from monthly_provider_summary order by month, provider_code")
    body = [f'<tr><td class="text">{_e(r["month"])}</td><th scope="row">{_e(r["provider_name"])}</th>'
            + "".join(_cell(r[m], m, provider=r["provider_code"], month=r["month"]) for m in measures) + "</tr>"
            for r in rows]
    parts.append(_table("Monthly delayed days by trust (council's residents)", head, body))
    rows = _rows(con, "select * from monthly_site_summary order by month, provider_code, site_code")
    body = [f'<tr><td class="text">{_e(r["month"])}</td><th scope="row">{_e(r["site_name"])}</th>'
            + "".join(_cell(r[m], m, site=r["site_code"], month=r["month"]) for m in measures) + "</tr>" for r in rows]
    parts.append(_table("Monthly delayed days by site", ["Month", "Site", *head[2:]], body))
    return "".join(parts)


def _reconciliation(con) -> str:
    months = [r["month"] for r in _rows(con, "select distinct month from reconciliation order by month")]
    if not months:
        return "<p>No national data yet: the reconciliation appears when NHS England's extract for a month arrives.</p>"
    month = months[-1]
    rows = _rows(con, "select * from reconciliation where month = ? order by list_position(?, responsible_org), "
                      "provider_code = 'Total', provider_code = 'OUT_OF_AREA', provider_code", [month, list(ORG_ORDER)])
    measures = ("local_days", "national_days", "national_provider_days", "bcf_target_days", "local_minus_target",
                "national_minus_target", "national_minus_local")
    body = []
    for r in rows:
        name = "All providers" if r["provider_code"] == "Total" else r["provider_name"]
        total = ' class="total"' if r["provider_code"] == "Total" else ""
        body.append(f'<tr{total}><td class="text">{_e(r["responsible_org"])}</td><th scope="row">{_e(name)}</th>'
                    + "".join(_cell(r[m], m, provider=r["provider_code"], org=r["responsible_org"]) for m in measures)
                    + "</tr>")
    parts = [_table(f"{month}: local count, national figure and BCF target by provider and responsible organisation",
                    ["Responsible", "Provider", "Local", "National (our residents)", "National (all residents)",
                     "BCF target", "Local - target", "National - target", "National - local"], body)]
    gap = _rows(con, "select component, days from gap_decomposition where month = ? "
                     "order by list_position(['local', 'national_only', 'residual', 'national'], component)", [month])
    labels = {"local": "Local count", "national_only": "Residents at other providers",
              "residual": "Validation and timing", "national": "National figure"}
    gap = [item for item in gap if item["days"] is not None]  # a month without local returns: no local bar
    bars, running = [], 0.0
    for item in gap:
        days = float(item["days"])
        start, end = (0.0, days) if item["component"] in ("local", "national") else (running, running + days)
        running = end if item["component"] != "national" else running
        bars.append({"component": labels[item["component"]], "start": start, "end": end, "days": days})
    parts.append(_chart({
        "title": f"Why the national figure differs from the local count, {month}", "width": 520, "height": 240,
        "data": {"values": bars}, "mark": {"type": "bar", "tooltip": True},
        "encoding": {"x": {"field": "component", "type": "nominal", "sort": None, "title": None,
                           "axis": {"labelAngle": 0}},
                     "y": {"field": "start", "type": "quantitative", "title": "delayed days"}, "y2": {"field": "end"},
                     "color": {"field": "component", "type": "nominal", "legend": None}}},
        "Waterfall: " + "; ".join(f"{labels[g['component']]} {fmt(g['days'])}" for g in gap)))
    rates = _rows(con, "select measure, source, rate_per_100k_per_day, national_target_per_100k_per_day from la_rates "
                       "where month = ? order by list_position(['all', 'nhs', 'social_care', 'both'], measure), "
                       "list_position(['local', 'national', 'bcf_target'], source)", [month])
    by_measure: dict[str, dict] = {}
    for r in rates:
        by_measure.setdefault(r["measure"], {"target": r["national_target_per_100k_per_day"]})[r["source"]] = \
            r["rate_per_100k_per_day"]
    body = [f'<tr><th scope="row">{_e(m)}</th>' + "".join(_cell(v.get(s), "rate_per_100k", measure_name=m, source=s)
            for s in ("local", "national", "bcf_target", "target")) + "</tr>" for m, v in by_measure.items()]
    parts.append(_table(f"{month}: delayed days per day per 100,000 aged 18+, against the national targets",
                        ["Measure", "Local", "National", "BCF target", "National target"], body))
    return "".join(parts)


def _trajectories(con) -> str:
    month = con.execute("select max(month) from trajectory_status").fetchone()[0]
    if month is None:
        return "<p>No BCF trajectory for these months.</p>"
    rows = _rows(con, "select * from trajectory_status where month = ? order by provider_code", [month])
    measures = ("planned_days", "mtd_days", "mtd_planned_days", "projected_days")
    body = [f'<tr class="{"breach" if r["status"] == "breach" else ""}"><th scope="row">{_e(r["provider_code"])}</th>'
            + "".join(_cell(r[m], m, provider=r["provider_code"], month=month) for m in measures)
            + f'<td>{"Breach: projected above plan" if r["status"] == "breach" else "On track"}</td></tr>' for r in rows]
    parts = [_table(f"{month}: month to date against the BCF trajectory ({rows[0]['periods_to_date']} of "
                    f"{rows[0]['periods_in_month']} periods)", ["Trust", "Planned (month)", "Month to date",
                                                                 "Planned to date", "Projected", "Status"], body)]
    burn = _rows(con, "select * from trajectory_burnup where month = ? order by provider_code, week_ending", [month])
    if burn:
        values = [{"trust": b["provider_code"], "week": str(b["week_ending"]), "series": series,
                   "days": float(b[column])} for b in burn
                  for series, column in (("delayed days to date", "cumulative_days"), ("plan to date", "planned_to_date"))]
        parts.append(_chart({
            "title": f"Burn-up by trust, {month}: delayed days to date against the pro-rata plan",
            "data": {"values": values},
            "facet": {"field": "trust", "type": "nominal", "title": None}, "columns": 4,
            "spec": {"width": 220, "height": 140, "mark": {"type": "line", "point": True}, "encoding": {
                "x": {"field": "week", "type": "ordinal", "title": "week ending"},
                "y": {"field": "days", "type": "quantitative", "title": "days"},
                "color": {"field": "series", "type": "nominal", "title": None},
                "strokeDash": {"field": "series", "type": "nominal", "title": None}}}},
            f"Burn-up charts for {len({b['provider_code'] for b in burn})} trusts in {month}"))
    return "".join(parts)


def _spc(con) -> str:
    rows = _rows(con, "select * from spc_signals order by site_code, week_ending")
    if not rows:
        return "<p>No weekly returns loaded yet.</p>"
    parts = ['<p class="legend">XmR charts of weekly total delayed days: the mean and the process limits '
             '(mean \u00b1 2.66 \u00d7 the mean moving range, over every reported week). The charts show the last '
             f'{SPC_CHART_WEEKS} weeks. Points with a special cause are marked and listed; for delays, upward signals '
             'are concerning.</p>']
    sites: dict[str, list[dict]] = {}
    for row in rows:
        sites.setdefault(row["site_code"], []).append(row)
    if len(sites) > SPC_CHART_SITES:
        # at regional or national scale, chart the sites whose last 12 weeks show a special cause,
        # concerning ones first, and say how many are left out
        recent = {site: [p for p in points[-12:] if p["signal"]] for site, points in sites.items()}
        ranked = sorted((site for site in sites if recent[site]),
                        key=lambda site: (not any(p["concerning"] for p in recent[site]), site))[:SPC_CHART_SITES]
        parts.append(f'<p>{len(sites)} sites: charted below are the {len(ranked)} whose last 12 weeks show a special '
                     f"cause (concerning ones first, at most {SPC_CHART_SITES}); every site's points are in "
                     '<a href="../spc_signals.csv">spc_signals.csv</a>.</p>')
        sites = {site: sites[site] for site in ranked}
    for site, points in sites.items():
        values = [{"week": str(p["week_ending"]), "days": p["total_days"], "signal": p["signal"] or "none",
                   "mean": p["mean"], "lower": p["lower_limit"], "upper": p["upper_limit"]}
                  for p in points[-SPC_CHART_WEEKS:]]
        signals = [p for p in points if p["signal"]]
        parts.append(_chart({
            "title": f"{site}: weekly total delayed days", "width": 520, "height": 160, "data": {"values": values},
            "layer": [
                {"mark": {"type": "line", "color": "#555"}, "encoding": {
                    "x": {"field": "week", "type": "temporal", "title": "week ending"},
                    "y": {"field": "days", "type": "quantitative", "title": "days"}}},
                {"mark": {"type": "point", "filled": True, "size": 50}, "encoding": {
                    "x": {"field": "week", "type": "temporal"}, "y": {"field": "days", "type": "quantitative"},
                    "shape": {"field": "signal", "type": "nominal", "title": "signal"},
                    "color": {"field": "signal", "type": "nominal", "title": "signal"}}},
                *({"mark": {"type": "rule", "strokeDash": dash, "color": "#005eb8"},
                   "encoding": {"y": {"field": field, "aggregate": "mean", "type": "quantitative"}}}
                  for field, dash in (("mean", [1, 0]), ("lower", [4, 4]), ("upper", [4, 4])))]},
            f"{site}: mean {fmt(points[0]['mean'])}, limits {fmt(points[0]['lower_limit'])} to "
            f"{fmt(points[0]['upper_limit'])}; " + (f"{len(signals)} point(s) with a special cause" if signals
                                                     else "no special cause")))
        if signals:
            items = "".join(f'<li class="{"concerning" if p["concerning"] else ""}" data-site="{site}" '
                            f'data-week="{p["week_ending"]}">{p["week_ending"].strftime("%d/%m/%y")}: '
                            f'{_e(p["total_days"])} days, {_e(p["signal"].replace(";", ", "))}'
                            f'{" (concerning)" if p["concerning"] else ""}</li>' for p in signals)
            parts.append(f"<ul>{items}</ul>")
    return "".join(parts)


def _quality(con) -> str:
    files = _rows(con, """
        select 'weekly' as source, file_name, problem_count, processed_at from submission_files where status = 'rejected'
        union all
        select 'national', file_name, problem_count, processed_at from national_files where status = 'rejected'
        order by processed_at desc, file_name""")
    problems = _rows(con, """
        select file_name, row_number, column_name, value, problem from file_problems
        order by file_name, row_number nulls first, column_name""")
    first = {}
    for p in problems:
        first.setdefault(p["file_name"], p)
    body = [f'<tr><th scope="row" class="text">{_e(f["file_name"])}</th><td class="text">{_e(f["source"])}</td>'
            f'<td data-file="{_e(f["file_name"])}" data-measure="problem_count">{f["problem_count"]}</td>'
            f'<td class="text">{_e(_describe(first.get(f["file_name"])))}</td>'
            f'<td class="text"><a href="../../quarantine/{_e(f["file_name"])}.errors.csv">all problems</a></td></tr>'
            for f in files]
    parts = [_table("Files refused (kept in quarantine/ with their reasons)",
                    ["File", "Source", "Problems", "First problem", "Details"], body) if body
             else "<p>No file has been refused.</p>"]
    alerts = _rows(con, "select * from alerts order by raised_as_of desc, event, dedup_key")
    missing = [a for a in alerts if a["event"] == "submission.missing"]
    parts.append("<h3>Missing returns</h3>" + (
        "<ul>" + "".join(f"<li>{_e(a['text'])}</li>" for a in missing) + "</ul>" if missing
        else "<p>Every site sent its return for the latest completed week.</p>"))
    body = [f'<tr><td class="text">{_e(a["raised_as_of"])}</td><td class="text">{_e(a["event"])}</td>'
            f'<td class="text" style="white-space:normal;min-width:20rem">{_e(a["text"])}</td>'
            f'<td class="text" data-measure="delivery_state">{_e(a["delivery_state"])}</td><td>{a["attempts"]}</td></tr>'
            for a in alerts]
    parts.append(_table("Alerts and their delivery", ["Raised (as of)", "Event", "Alert", "Delivery", "Attempts"], body)
                 if body else "<p>No alerts raised.</p>")
    return "".join(parts)


def _describe(problem: dict | None) -> str:
    if not problem:
        return ""
    return describe({"row": "" if problem["row_number"] is None else problem["row_number"],
                     "column": problem["column_name"], "value": problem["value"], "problem": problem["problem"]})


def _downloads(publish: Path) -> str:
    files = sorted(p.name for p in publish.iterdir() if p.is_file() and p.suffix in (".csv", ".xlsx")
                   and not p.name.startswith("."))
    items = "".join(f'<li><a href="../{_e(name)}">{_e(name)}</a></li>' for name in files)
    return f"{_data_docs(publish / 'data_docs')}<h3>Published tables and reports</h3><ul>{items}</ul>"


def _data_docs(docs: Path) -> str:
    """Links to the Great Expectations Data Docs pages of the last run's validations."""
    manifest = docs / "last_run.json"
    if not manifest.exists():
        return ""
    rows = []
    for item in json.loads(manifest.read_text(encoding="utf-8")):
        outcome = "passed" if item["success"] else "failed: at least one file was refused"
        files = ", ".join(item["files"])
        rows.append(f'<tr><th scope="row"><a href="../data_docs/{quote(item["page"])}">{_e(item["suite"])}</a></th>'
                    f'<td class="text">{_e(item["run"])}</td><td class="text" data-measure="validation">{_e(outcome)}</td>'
                    f'<td class="text" style="white-space:normal;min-width:16rem">{_e(files[:300])}'
                    f'{"..." if len(files) > 300 else ""}</td></tr>')
    return (_table("Great Expectations Data Docs: the last run's validations", ["Suite", "Run", "Outcome", "Files"],
                   rows) + '<p><a href="../data_docs/index.html">All Data Docs</a> (the index page needs internet '
                           "access for its styles and listing; the validation pages above work offline).</p>")
