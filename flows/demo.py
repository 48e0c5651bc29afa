"""The bundled Kent sample: twelve weeks of returns (7 Sep - 23 Nov 2017) as the sites send them.

Built from the council's published weekly dashboard (`demo_data/seed_weekly_site_days.csv`) so
that the pipeline's tables can be checked against the figures that went to Cabinet. Each trust
sends in its own way: both layouts, CSV and XLSX, ISO and UK dates, header spellings and code
aliases; Medway also reports some Medway-council residents (not counted by Kent). Virgin Care
North Kent is not in the dashboard: its weeks are made up so that September adds up to the
council's local-versus-BCF table (NHS 107, social care 126, joint 0). A few files are bad on
purpose, and one week is resubmitted with corrected figures.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import polars as pl

SEED = Path(__file__).parent / "demo_data" / "seed_weekly_site_days.csv"
DEMO_AS_OF = date(2017, 11, 24)
# `dtoc demo --as-of 2017-12-29` runs the sample on to the end of December (the monthly pack's
# December, like the council's March 2018 dashboard commentary).
DECEMBER_AS_OF = date(2017, 12, 29)
KENT, MEDWAY = "E10000016", "E06000035"
DASHBOARD_SITES = {
    "DVH": "DVH",
    "MED": "MED",
    "KCH": "KCH",
    "QEQM": "QEQM",
    "WHH": "WHH",
    "MAID": "MAID",
    "TWH": "TWH",
    "Communities": "KCHFT",
    "KMPT": "KMPT",
}
VCNK_WEEKS = {  # week_ending: (nhs, social care, both)
    "2017-09-07": (25, 30, 0),
    "2017-09-14": (28, 33, 0),
    "2017-09-21": (27, 31, 0),
    "2017-09-28": (27, 32, 0),
    "2017-10-05": (26, 28, 0),
    "2017-10-12": (24, 30, 0),
    "2017-10-19": (29, 27, 0),
    "2017-10-26": (22, 25, 0),
    "2017-11-02": (20, 26, 0),
    "2017-11-09": (23, 22, 0),
    "2017-11-16": (25, 24, 1),
    "2017-11-23": (21, 20, 0),
}
# How each organisation's days are spread over national reasons in the detail layout.
REASON_SPLIT = {"NHS": ("C", "A"), "Social Care": ("E", "DII"), "Both": ("A",)}
# Illustrative weeks after the council's dashboard (30 Nov - 28 Dec 2017), written only when the
# demo runs past them: Maidstone and Tunbridge Wells improve sharply on November, Medway's delays
# are all social care, Darent Valley rises, and KMPT has not yet sent its last December return.
EXTENSION_WEEKS = {  # week_ending: {site: (nhs, social care, both)}
    "2017-11-30": {
        "DVH": (95, 18, 6),
        "MED": (6, 3, 0),
        "KCH": (170, 18, 2),
        "QEQM": (55, 4, 0),
        "WHH": (96, 2, 1),
        "MAID": (46, 30, 4),
        "TWH": (31, 39, 0),
        "KCHFT": (24, 15, 0),
        "KMPT": (20, 14, 12),
        "VCNK": (22, 21, 0),
    },
    "2017-12-07": {
        "DVH": (118, 24, 4),
        "MED": (0, 4, 0),
        "KCH": (168, 22, 2),
        "QEQM": (58, 5, 0),
        "WHH": (101, 3, 1),
        "MAID": (24, 16, 0),
        "TWH": (14, 12, 0),
        "KCHFT": (26, 14, 0),
        "KMPT": (18, 15, 10),
        "VCNK": (21, 19, 0),
    },
    "2017-12-14": {
        "DVH": (128, 28, 2),
        "MED": (0, 3, 0),
        "KCH": (174, 25, 3),
        "QEQM": (61, 3, 0),
        "WHH": (108, 2, 2),
        "MAID": (20, 13, 2),
        "TWH": (11, 9, 0),
        "KCHFT": (29, 16, 0),
        "KMPT": (17, 13, 9),
        "VCNK": (23, 18, 0),
    },
    "2017-12-21": {
        "DVH": (136, 30, 4),
        "MED": (0, 3, 0),
        "KCH": (169, 21, 2),
        "QEQM": (57, 6, 0),
        "WHH": (112, 4, 0),
        "MAID": (19, 11, 0),
        "TWH": (13, 10, 0),
        "KCHFT": (27, 18, 0),
        "KMPT": (19, 12, 8),
        "VCNK": (20, 17, 0),
    },
    "2017-12-28": {
        "DVH": (140, 32, 2),
        "MED": (0, 3, 0),
        "KCH": (160, 20, 4),
        "QEQM": (50, 4, 0),
        "WHH": (104, 3, 1),
        "MAID": (17, 10, 0),
        "TWH": (10, 8, 0),
        "KCHFT": (22, 13, 0),
        "VCNK": (20, 18, 0),
    },
}
# The extension's detail returns spread social care days over three reasons (shares; the last
# reason takes the rest).
EXTENSION_SPLIT = {
    "NHS": (("C", 0.6), ("A", None)),
    "Social Care": (("DII", 0.4), ("DI", 0.35), ("E", None)),
    "Both": (("A", None),),
}


def seed_weeks(through: date = DEMO_AS_OF) -> pl.DataFrame:
    """Site-week figures: the dashboard's sites (not its KENT total) plus Virgin Care North Kent, and
    the extension weeks that end before `through`."""
    seed = (
        pl.read_csv(SEED, schema_overrides={"week_ending": pl.String})
        .filter(pl.col("site").is_in(list(DASHBOARD_SITES)))
        .select(
            pl.col("site").replace_strict(DASHBOARD_SITES).alias("site_code"),
            "week_ending",
            "nhs_days",
            "social_care_days",
            "both_days",
        )
    )
    vcnk = pl.DataFrame(
        [("VCNK", week, *days) for week, days in VCNK_WEEKS.items()],
        schema=["site_code", "week_ending", "nhs_days", "social_care_days", "both_days"],
        orient="row",
    )
    extension = pl.DataFrame(
        [
            (site, week, *days)
            for week, sites in EXTENSION_WEEKS.items()
            if date.fromisoformat(week) < through
            for site, days in sites.items()
        ],
        schema=["site_code", "week_ending", "nhs_days", "social_care_days", "both_days"],
        orient="row",
    )
    return pl.concat([seed, vcnk, extension]).with_columns(pl.col("week_ending").str.to_date())


def _spread(total: int, org: str, extension: bool) -> list[tuple[str, int]]:
    """One organisation's days of a site-week over reasons: the sample's split, or the extension's."""
    if not extension:
        reasons = REASON_SPLIT[org]
        parts = [(reason, round(total * 0.6)) for reason in reasons[:-1]]
    else:
        reasons = [reason for reason, _ in EXTENSION_SPLIT[org]]
        parts = [(reason, round(total * share)) for reason, share in EXTENSION_SPLIT[org][:-1]]
    return [*parts, (reasons[-1], total - sum(days for _, days in parts))]


def detail_rows(weeks: pl.DataFrame, care_type: str, extra_la_days: int = 0) -> list[dict]:
    """Spread each site-week's days over reasons; a week with no delays still sends one zero row."""
    rows = []
    for n, week in enumerate(weeks.iter_rows(named=True)):
        site_rows = []
        extension = week["week_ending"].isoformat() in EXTENSION_WEEKS
        for org, column in (("NHS", "nhs_days"), ("Social Care", "social_care_days"), ("Both", "both_days")):
            for reason, days in _spread(week[column], org, extension):
                if days:
                    site_rows.append(
                        {"la_code": KENT, "responsible_org": org, "reason_code": reason, "delayed_days": days}
                    )
        if not site_rows:
            site_rows.append({"la_code": KENT, "responsible_org": "NHS", "reason_code": "C", "delayed_days": 0})
        if extra_la_days:
            site_rows.append(
                {"la_code": MEDWAY, "responsible_org": "NHS", "reason_code": "C", "delayed_days": extra_la_days + n % 3}
            )
        for row in site_rows:
            rows.append(
                {
                    "site_code": week["site_code"],
                    "week_ending": week["week_ending"],
                    "care_type": care_type,
                    **row,
                    "patients_delayed": max(1, -(-row["delayed_days"] // 7)) if row["delayed_days"] else 0,
                }
            )
    return rows


def _received(path: Path, week_ending: date) -> None:
    """Stamp the file as received on the Friday after its week, 09:00, as a site would send it."""
    stamp = datetime.combine(week_ending + timedelta(days=1), time(9, 0)).timestamp()
    os.utime(path, (stamp, stamp))


def _write_xlsx(frame: pl.DataFrame, path: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"created": datetime(2017, 1, 1)})  # same bytes every time
    frame.write_excel(workbook=workbook, worksheet="Return", autofit=False)
    workbook.close()


def write_sample(inbox: Path, through: date = DEMO_AS_OF) -> list[Path]:
    """Write the Kent sample into a weekly inbox; returns the files written. Weeks after the council's
    dashboard (to 28 December 2017) are written when `through` (the run's as-of) is after them."""
    inbox.mkdir(parents=True, exist_ok=True)
    weeks = seed_weeks(through)
    written: list[Path] = []

    def emit(path: Path, frame: pl.DataFrame, week_ending: date, writer=None) -> None:
        (writer or (lambda f, p: f.write_csv(p)))(frame, path)
        _received(path, week_ending)
        written.append(path)

    for (week_ending,), week in weeks.sort("week_ending", "site_code").group_by("week_ending", maintain_order=True):
        iso = week_ending.isoformat()
        site = lambda *codes, week=week: week.filter(pl.col("site_code").is_in(codes))  # noqa: E731
        # Darent Valley: summary CSV, dashboard-style header, UK dates.
        dvh = site("DVH").select(
            pl.col("site_code").alias("Site Code"),
            pl.col("week_ending").dt.strftime("%d/%m/%Y").alias("Week Ending"),
            pl.col("nhs_days").alias("NHS Days"),
            pl.col("social_care_days").alias("Social Care Days"),
            pl.col("both_days").alias("Both Days"),
        )
        emit(inbox / f"DVH_week_{iso}.csv", dvh, week_ending)
        # Medway: detail CSV, ISO dates, with some Medway council residents.
        med = pl.DataFrame(detail_rows(site("MED"), "acute", extra_la_days=4)).with_columns(
            pl.col("week_ending").cast(pl.String)
        )
        if iso == "2017-11-23":  # first sent with the NHS figure keyed twice, then corrected
            emit(
                inbox / f"MED_week_{iso}.csv",
                med.with_columns(
                    pl.when(pl.col("la_code") == KENT)
                    .then(pl.col("delayed_days") * 2)
                    .otherwise(pl.col("delayed_days"))
                    .alias("delayed_days")
                ),
                week_ending,
            )
            emit(inbox / f"MED_week_{iso}_resubmitted.csv", med, week_ending + timedelta(days=1))
        else:
            emit(inbox / f"MED_week_{iso}.csv", med, week_ending)
        # East Kent: one detail workbook for its three acute sites, real Excel dates.
        east_kent = pl.DataFrame(detail_rows(site("KCH", "QEQM", "WHH"), "acute"))
        emit(inbox / f"EKHUFT_week_{iso}.xlsx", east_kent, week_ending, _write_xlsx)
        # Maidstone & Tunbridge Wells: summary workbook with an explicit la_code.
        mtw = site("MAID", "TWH").select(
            "site_code", "week_ending", "nhs_days", "social_care_days", "both_days", pl.lit(KENT).alias("la_code")
        )
        emit(inbox / f"MTW_week_{iso}.xlsx", mtw, week_ending, _write_xlsx)
        # KMPT: detail CSV with the aliases people type (SC, Joint, long reason names, "Non Acute").
        if site("KMPT").is_empty():  # a week KMPT has not sent (28 December)
            continue
        kmpt = pl.DataFrame(detail_rows(site("KMPT"), "Non Acute")).with_columns(
            pl.col("week_ending").cast(pl.String),
            pl.col("responsible_org").replace({"Social Care": "SC", "Both": "Joint"}),
            pl.col("reason_code").replace({"C": "C_FURTHER_NON_ACUTE_NHS", "E": "E_CARE_PACKAGE_IN_HOME"}),
        )
        emit(inbox / f"KMPT_week_{iso}.csv", kmpt, week_ending)

    # Community hospitals and Virgin Care send one summary CSV a month, with untidy headers.
    for site_code, prefix in (("KCHFT", "KCHFT"), ("VCNK", "VirginCare_NK")):
        monthly = weeks.filter(pl.col("site_code") == site_code).with_columns(
            pl.col("week_ending").dt.strftime("%Y-%m").alias("month")
        )
        for (month,), rows in monthly.group_by("month", maintain_order=True):
            frame = rows.select(
                pl.col("site_code").alias(" Site_Code "),
                pl.col("week_ending").alias("WEEK_ENDING"),
                pl.col("nhs_days").alias("NHS_days"),
                pl.col("social_care_days").alias("Social_Care_Days"),
                pl.col("both_days").alias("Both_Days"),
            )
            emit(inbox / f"{prefix}_{month}.csv", frame, rows["week_ending"].max())

    written.extend(write_bad_files(inbox))
    return written


def write_bad_files(inbox: Path) -> list[Path]:
    """Files the pipeline must refuse, each with reasons the sending site can act on."""
    bad = []
    wrong_dates = inbox / "QEQM_correction_2017-10-10.csv"
    wrong_dates.write_text(
        "site_code,week_ending,la_code,care_type,responsible_org,reason_code,delayed_days\n"
        "QEQM,10/10/2017,E10000016,acute,NHS,C,40\n"
        "QEQM,10/10/2017,E10000016,acute,Social Care,Z,-3\n",
        encoding="utf-8",
    )
    _received(wrong_dates, date(2017, 10, 12))
    bad.append(wrong_dates)
    workbook_named_csv = inbox / "TWH_week_2017-11-16.csv"
    _write_xlsx(
        pl.DataFrame(
            {
                "site_code": ["TWH"],
                "week_ending": [date(2017, 11, 16)],
                "nhs_days": [59],
                "social_care_days": [26],
                "both_days": [0],
            }
        ),
        workbook_named_csv,
    )
    _received(workbook_named_csv, date(2017, 11, 16))
    bad.append(workbook_named_csv)
    unknown_site = inbox / "NorthKent_week_2017-11-23.csv"
    unknown_site.write_text(
        "site_code,week_ending,nhs_days,social_care_days,both_days\nDGS,2017-11-23,12,4,0\n", encoding="utf-8"
    )
    _received(unknown_site, date(2017, 11, 23))
    bad.append(unknown_site)
    return bad


# The September 2017 national extract, constructed in NHS England's real layout so that Kent
# (national code 886) totals 4,090 delayed days, as published. The parts of the gap:
# validation amendments at the local trusts (+309 over the council's 3,569) and Kent residents
# delayed in hospitals outside the local collection (212). Other councils' residents at the
# Kent trusts show in the provider view only.
NATIONAL_HEADER = (
    "Year,Period Name,Provider Parent Org Code,Provider Parent Name,Provider Org Code,"
    "Provider Org Name,Local Authority Code,Local Authority Name,Acute Or Non Acute Description,"
    "Reason For Delay,NHS A SUM,NHS B SUM,Social Care A SUM,Social Care B SUM,Both A SUM,Both B SUM"
)
NATIONAL_PROVIDERS = {  # code: (name, parent code, parent name, acute or non-acute)
    "RN7": ("DARTFORD AND GRAVESHAM NHS TRUST", "Y59", "SOUTH EAST COMMISSIONING REGION", "ACUTE"),
    "RVV": ("EAST KENT HOSPITALS UNIVERSITY NHS FOUNDATION TRUST", "Y59", "SOUTH EAST COMMISSIONING REGION", "ACUTE"),
    "RXY": (
        "KENT AND MEDWAY NHS AND SOCIAL CARE PARTNERSHIP TRUST",
        "Y59",
        "SOUTH EAST COMMISSIONING REGION",
        "NON-ACUTE",
    ),
    "RYY": ("KENT COMMUNITY HEALTH NHS FOUNDATION TRUST", "Y59", "SOUTH EAST COMMISSIONING REGION", "NON-ACUTE"),
    "RWF": ("MAIDSTONE AND TUNBRIDGE WELLS NHS TRUST", "Y59", "SOUTH EAST COMMISSIONING REGION", "ACUTE"),
    "RPA": ("MEDWAY NHS FOUNDATION TRUST", "Y59", "SOUTH EAST COMMISSIONING REGION", "ACUTE"),
    "VCS": ("VIRGIN CARE SERVICES LTD (NORTH KENT)", "Y59", "SOUTH EAST COMMISSIONING REGION", "NON-ACUTE"),
    "RJ1": ("GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", "Y56", "LONDON COMMISSIONING REGION", "ACUTE"),
    "RXH": ("BRIGHTON AND SUSSEX UNIVERSITY HOSPITALS NHS TRUST", "Y59", "SOUTH EAST COMMISSIONING REGION", "ACUTE"),
    "RJ2": ("LEWISHAM AND GREENWICH NHS TRUST", "Y56", "LONDON COMMISSIONING REGION", "ACUTE"),
}
NATIONAL_LAS = {"886": "Kent", "887": "Medway", "845": "East Sussex", "846": "Brighton and Hove"}
NATIONAL_SEPT_2017 = {  # (provider, three-digit LA): (NHS, social care, both) delayed days in September
    ("RN7", "886"): (550, 318, 0),
    ("RVV", "886"): (1421, 66, 3),
    ("RXY", "886"): (69, 35, 34),
    ("RYY", "886"): (132, 86, 0),
    ("RWF", "886"): (398, 310, 4),
    ("RPA", "886"): (104, 96, 0),
    ("VCS", "886"): (119, 133, 0),
    ("RJ1", "886"): (40, 12, 0),
    ("RXH", "886"): (55, 30, 3),
    ("RJ2", "886"): (48, 24, 0),
    ("RPA", "887"): (380, 190, 10),
    ("RN7", "887"): (60, 22, 0),
    ("RWF", "845"): (35, 18, 0),
    ("RXH", "846"): (120, 60, 0),
}
NATIONAL_REASONS = {
    "NHS": (("C_FURTHER_NON_ACUTE_NHS", 0.75), ("A_COMPLETION_ASSESSMENT", 0.25)),
    "Social Care": (("E_CARE_PACKAGE_IN_HOME", 0.6), ("DII_NURSING_HOME", 0.4)),
    "Both": (("A_COMPLETION_ASSESSMENT", 1.0),),
}


def national_rows(year: str, period: str, figures: dict, days_in_month: int) -> list[list[str]]:
    """Rows of the real layout: each provider x LA figure spread over reasons; A SUM = average beds."""
    rows = []
    for (provider, la), days in figures.items():
        name, parent, parent_name, care = NATIONAL_PROVIDERS[provider]
        by_reason: dict[str, list[int]] = {}
        for org_index, org in enumerate(("NHS", "Social Care", "Both")):
            remaining = days[org_index]
            for i, (reason, share) in enumerate(NATIONAL_REASONS[org]):
                part = remaining if i == len(NATIONAL_REASONS[org]) - 1 else round(days[org_index] * share)
                remaining -= part
                by_reason.setdefault(reason, [0, 0, 0])[org_index] += part
        for reason, (nhs, sc, both) in sorted(by_reason.items()):
            cells = []
            for value in (nhs, sc, both):
                cells += [f"{value / days_in_month:.1f}", f"{value:,}"]  # thousands separators, as published
            rows.append([year, period, parent, parent_name, provider, name, la, NATIONAL_LAS[la], care, reason, *cells])
    return rows


def write_national_sample(inbox: Path) -> list[Path]:
    import csv
    import io

    inbox.mkdir(parents=True, exist_ok=True)
    rows = national_rows("2017-18", "SEPTEMBER", NATIONAL_SEPT_2017, 30)
    rows[-1][14] = ""  # a blank numeric cell, as most real months have: counted and reported, never filled in
    text = io.StringIO()
    text.write(
        "Title:,Delayed Transfers of Care SitRep - provider level data\n"
        "Period:,September 2017\n"
        "Source:,NHS England (constructed sample in the published layout)\n"
    )
    text.write(NATIONAL_HEADER + "\n")
    csv.writer(text, lineterminator="\n").writerows(rows)
    path = inbox / "DTOC-SitRep-Provider-Level-Data-September-2017.csv"
    path.write_text(text.getvalue(), encoding="utf-8")
    _received(path, date(2017, 11, 8))  # published on the second Thursday of November
    return [path]
