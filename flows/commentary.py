"""The drafted monthly commentary: `publish/commentary_<YYYY-MM>.md`, in the council's register.

Deterministic sentences built from the published views only (monthly_headlines, monthly_reasons,
monthly_movers, monthly_site_people, monthly_completeness, suspicious_returns, and the
reconciliation's national reasons): the KPI against its target with the RAG in words, the month
against the BCF target (met or missed, by how much, "with the data available" when the
collection is incomplete), the three main social care reasons, the largest improvements and
deteriorations by site with both months' figures, sites whose delays were wholly one side's, and
incomplete or suspicious collections. Every figure is computed in SQL; this module chooses the
words and formats the numbers (whole days without decimals, fractions and percentages to one
decimal), so each number in the text can be found in a published CSV.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import duckdb

RAG_PHRASES = {"GREEN": "GREEN (at or under target)", "AMBER": "AMBER (above target)", "RED": "RED (above the ceiling)"}
ORG_WORDS = {"NHS": "the NHS", "Social Care": "social care"}
DELAY_WORDS = {"NHS": "NHS", "Social Care": "social care"}
COUNT_WORDS = {1: "one", 2: "two", 3: "three"}


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def days(value) -> str:
    """Delayed days as people read them: 3,172 or 24.5."""
    number = float(value)
    return f"{number:,.0f}" if round(number, 1) == round(number) else f"{number:,.1f}"


def pct(value) -> str:
    return f"{float(value):.1f}%"


def month_name(month: str, with_year: bool = True) -> str:
    return datetime.strptime(month + "-01", "%Y-%m-%d").strftime("%B %Y" if with_year else "%B")


def _people(value) -> str:
    if value is None:
        return ""
    return f" ({days(value)} {'person' if float(value) == 1 else 'people'})"


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _listing(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def headlines(con: duckdb.DuckDBPyConnection, months: list[str]) -> dict[str, dict]:
    """monthly_headlines' row of each month that has one, read in one query."""
    rows = _rows(con, "select * from monthly_headlines where month in (select unnest(?::varchar[]))", [months])
    return {row["month"]: row for row in rows}


def draft(
    con: duckdb.DuckDBPyConnection, month: str, read_headlines: dict[str, dict] | None = None
) -> list[tuple[str, list[str]]]:
    """The month's commentary as sections of sentences: [(heading, [sentence, ...]), ...].

    `read_headlines`: monthly_headlines' rows already read for a batch of months (`headlines`)."""
    head = (read_headlines if read_headlines is not None else headlines(con, [month])).get(month)
    if head is None:
        return [("Summary", [f"No weekly returns have been loaded for {month_name(month)}."])]
    la_name = con.execute(
        "select coalesce((select la_name from ref_local_authorities where la_code = ?), ?)",
        [head["la_code"], head["la_code"]],
    ).fetchone()[0]
    available = "" if head["complete"] else " with the data available"
    return [
        section
        for section in (
            ("Summary", _summary(head, la_name, month, available)),
            ("Reasons for delay", _reasons(con, month, la_name)),
            ("Movers", _movers(con, month)),
            ("Sites wholly attributable to one side", _wholly(con, month)),
            ("Completeness of the collection", _completeness(con, head, month)),
        )
        if section[1]
    ]


def _summary(head: dict, la_name: str, month: str, available: str) -> list[str]:
    sentences = []
    if head["pct_att_social_care"] is None:
        sentences.append(f"No delayed days were reported for {la_name} residents in {month_name(month)}.")
    else:
        sentences.append(
            f"In {month_name(month)}{available}, {pct(head['pct_att_social_care'])} of {la_name} residents' delayed "
            f"days were attributable to adult social care (including its share of joint days), against a target of "
            f"{pct(head['target_pct'])}: {RAG_PHRASES.get(head['rag'], head['rag'])}."
        )
    sentences.append(
        f"There were {days(head['total_days'])} delayed days{available}: {days(head['att_nhs_days'])} attributable "
        f"to the NHS and {days(head['att_social_care_days'])} to social care."
    )
    if head["bcf_target_days"] is None:
        sentences.append(f"There is no BCF target for {month_name(month)}.")
    elif head["target_met"]:
        sentences.append(
            f"The {la_name} target is {days(head['bcf_target_days'])} delayed days, which was met in "
            f"{month_name(month, False)}{available}: {days(head['total_days'])} delayed days, "
            f"{days(abs(head['days_against_target']))} under the target."
        )
    else:
        sentences.append(
            f"The {la_name} target is {days(head['bcf_target_days'])} delayed days, which was missed in "
            f"{month_name(month, False)}{available} by {days(head['days_against_target'])} delayed days "
            f"({days(head['total_days'])} in the month)."
        )
    if head["previous_total_days"] is not None and head["change_total_days"] != 0:
        direction = "fewer" if head["change_total_days"] < 0 else "more"
        sentences.append(
            f"That is {days(abs(head['change_total_days']))} {direction} delayed days than in "
            f"{month_name(head['previous_month'], False)} ({days(head['previous_total_days'])})."
        )
    return sentences


def _main_reasons(rows: list[dict], of_what: str) -> str:
    return _listing(
        [
            f"{r['reason'][0].lower()}{r['reason'][1:]} ({days(r['delayed_days'])} days, "
            f"{pct(r['pct_of_org_days'])}{of_what if i == 0 else ''})"
            for i, r in enumerate(rows)
        ]
    )


def _reasons(con, month: str, la_name: str) -> list[str]:
    local = _rows(
        con,
        "select * from monthly_reasons where month = ? and source = 'local' and provider_code = 'Total' "
        "and responsible_org = 'Social Care' order by rank_in_org nulls last",
        [month],
    )
    ranked = [r for r in local if r["rank_in_org"] is not None and r["rank_in_org"] <= 3]
    sentences = []
    if ranked:
        count = COUNT_WORDS[len(ranked)]
        noun = "reason" if len(ranked) == 1 else "reasons"
        sentences.append(
            f"The {count} main {noun} for social care delays were "
            f"{_main_reasons(ranked, ' of social care delayed days')}."
        )
    not_stated = [r for r in local if r["reason_code"] == "NOT_STATED"]
    if not_stated:
        sentences.append(
            f"A further {days(not_stated[0]['delayed_days'])} social care delayed days "
            f"({pct(not_stated[0]['pct_of_org_days'])}) came from summary returns, which do not give a "
            'reason (shown as "Not stated").'
        )
    if not local:
        sentences.append(f"No social care delays were reported for {month_name(month)}.")
    national = _rows(
        con,
        "select * from monthly_reasons where month = ? and source = 'national' "
        "and provider_code = 'Total' and responsible_org = 'Social Care' and rank_in_org <= 3 "
        "order by rank_in_org",
        [month],
    )
    if national:
        sentences.append(
            f"In NHS England's figures for {la_name} residents, the main social care reasons were "
            f"{_main_reasons(national, '')}."
        )
    return sentences


def _movers(con, month: str) -> list[str]:
    rows = _rows(
        con,
        "select * from monthly_movers where month = ? and level = 'site' order by provider_code, site_code",
        [month],
    )
    if not rows or all(r["previous_total_days"] is None for r in rows):
        return []
    previous = month_name(rows[0]["previous_month"], False)
    this = month_name(month, False)
    if not any(r["comparable"] for r in rows):
        return [f"Sites are compared with {previous} once both months' collections are complete."]

    def both(rows: list[dict]) -> str:
        return _listing(
            [
                f"{r['name']} ({days(r['previous_total_days'])}{' delayed days' if i == 0 else ''} in "
                f"{previous}, {days(r['total_days'])} in {this})"
                for i, r in enumerate(rows)
            ]
        )

    improved = sorted(
        (r for r in rows if r["rank_improvement"] is not None and r["rank_improvement"] <= 3),
        key=lambda r: r["rank_improvement"],
    )
    worse = sorted(
        (r for r in rows if r["rank_deterioration"] is not None and r["rank_deterioration"] <= 3),
        key=lambda r: r["rank_deterioration"],
    )
    sentences = []
    if improved:
        sentences.append(f"The largest improvements on {previous} were at {both(improved)}.")
    else:
        sentences.append(f"No site's delayed days fell on {previous}.")
    if worse:
        sentences.append(f"Delayed days rose most at {both(worse)}.")
    else:
        sentences.append(f"No site's delayed days rose on {previous}.")
    trusts = _rows(
        con,
        "select * from monthly_movers where month = ? and level = 'trust' "
        "and (rank_improvement = 1 or rank_deterioration = 1) order by rank_improvement nulls last",
        [month],
    )
    if trusts:
        sentences.append(
            "By trust, "
            + _listing(
                [
                    f"{r['name']} {'improved' if r['rank_improvement'] == 1 else 'deteriorated'} most "
                    f"({days(r['previous_total_days'])} delayed days in {previous}, {days(r['total_days'])} in {this})"
                    for r in trusts
                ]
            )
            + "."
        )
    left_out = [r["name"] for r in rows if not r["comparable"] and r["previous_total_days"] is not None]
    if left_out:
        verb = "is" if len(left_out) == 1 else "are"
        sentences.append(f"{_listing(left_out)} {verb} not compared: a month's collection is incomplete.")
    return sentences


def _wholly(con, month: str) -> list[str]:
    sites = _rows(
        con,
        "select * from monthly_site_people where month = ? and responsible_org = 'Total' "
        "and wholly_attributable_to is not null order by provider_code, site_code",
        [month],
    )
    sentences = []
    for site in sites:
        side = site["wholly_attributable_to"]
        text = (
            f"{possessive(site['site_name'])} delays in {month_name(month, False)} were all attributable to "
            f"{ORG_WORDS[side]}: {days(site['delayed_days'])} delayed days{_people(site['patients_delayed'])}"
        )
        before = {
            r["responsible_org"]: r
            for r in _rows(
                con,
                "select * from monthly_site_people where site_code = ? and month = (select previous_month from "
                "monthly_headlines where month = ?)",
                [site["site_code"], month],
            )
        }
        if before:
            previous = month_name(
                con.execute("select previous_month from monthly_headlines where month = ?", [month]).fetchone()[0],
                False,
            )
            other = "NHS" if side == "Social Care" else "Social Care"
            total = before["Total"]
            text += (
                f", against {days(total['delayed_days'])} delayed days{_people(total['patients_delayed'])} in "
                f"{previous}, {days(before[other]['delayed_days'])} of them {DELAY_WORDS[other]} delays"
                f"{_people(before[other]['patients_delayed'])}"
            )
        sentences.append(text + ".")
    return sentences


def _completeness(con, head: dict, month: str) -> list[str]:
    name = month_name(month)
    sentences = []
    if head["complete"]:
        sentences.append(f"Every site returned every week of {name} ({days(head['returns_received'])} returns).")
    else:
        short = _rows(
            con,
            "select * from monthly_completeness where month = ? and weeks_missing > 0 "
            "order by provider_code, site_code",
            [month],
        )
        text = (
            f"The {name} collection is not yet complete ({days(head['returns_received'])} of "
            f"{days(head['returns_expected'])} weekly returns)"
        )
        if short:
            text += ": " + _listing(
                [f"{r['site_name']} has sent {r['weeks_returned']} of {r['weeks_due']}" for r in short]
            )
        if head["returns_due"] < head["returns_expected"]:
            text += (
                "; the month's remaining weeks have not yet ended"
                if short
                else ": every return due so far has arrived, and the month's remaining weeks have not yet ended"
            )
        sentences.append(text + ". The figures above are with the data available.")
    for r in _rows(con, "select * from suspicious_returns where month = ? order by week_ending, site_code", [month]):
        week = r["week_ending"].strftime("%d %B %Y").lstrip("0")
        if r["check"] == "all_zero":
            sentences.append(
                f"{possessive(r['site_name'])} return for the week ending {week} shows no delays at all, against an "
                f"average of {days(r['avg_previous_12wk_total_days'])} delayed days a week over the "
                "previous twelve weeks: to be confirmed with the site."
            )
        else:
            sentences.append(
                f"{r['site_name']} reported {days(r['total_days'])} delayed days in the week ending {week}, "
                f"far outside its usual range ({days(r['lower_limit'])} to {days(r['upper_limit'])}): "
                "to be confirmed with the site."
            )
    return sentences


def markdown(con: duckdb.DuckDBPyConnection, month: str, as_of) -> str:
    la_name = con.execute(
        "select coalesce((select la_name from ref_local_authorities where la_code = "
        "getvariable('home_la')), getvariable('home_la'))"
    ).fetchone()[0]
    lines = [
        f"# Delayed transfers of care: {la_name}, {month_name(month)}",
        "",
        f"Drafted from the published tables as of {as_of.isoformat()} (the run that last changed it); every "
        "figure is in the CSVs beside this file.",
        "",
    ]
    for heading, sentences in draft(con, month):
        lines += [f"## {heading}", "", " ".join(sentences), ""]
    return "\n".join(lines)


def commentary_months(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute("select month from monthly_headlines order by month").fetchall()]


def write_commentary(con: duckdb.DuckDBPyConnection, target: Path, month: str, as_of) -> Path:
    """`commentary_<YYYY-MM>.md` for one month with local data, written atomically."""
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(markdown(con, month, as_of), encoding="utf-8")
    os.replace(partial, target)
    return target
