"""Realistic synthetic national SitRep extracts, in the real layout, at real scale.

About 150 councils and 230 providers: each provider treats mostly the residents of its own
council and a few neighbours, on acute or non-acute beds, for most delay reasons; about 20,000
rows a month. The quirks of the real files are injected at realistic rates: a header on line 5 in
some months, `Provider SHA Code/Name` before 2013, a few empty numeric cells, thousands
separators on large figures. The same seed gives the same files, byte for byte.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flows.demo import NATIONAL_HEADER
from flows.sitrep import MONTHS
from flows.validate import REASONS

FIRST_MONTH = date(2010, 8, 1)  # the collection ran from August 2010 to February 2020
LA_COUNT, PROVIDER_COUNT = 150, 230
# Typical spread of delays over reasons (completion of assessment, care packages and nursing
# homes lead), and of responsibility: mostly NHS, then social care, a little joint.
REASON_WEIGHTS = {"A": 14, "B": 3, "C": 22, "DI": 8, "DII": 11, "E": 16, "F": 3, "G": 9, "H": 1, "I": 2, "O": 11}
ORG_SHARES = (0.60, 0.32, 0.08)


@dataclass(frozen=True)
class SynthProvider:
    code: str
    name: str
    parent_code: str
    parent_name: str
    care: str
    councils: tuple[str, ...]  # three-digit codes, the home council first
    size: float


def national_geography(rng: random.Random) -> tuple[dict[str, str], list[SynthProvider]]:
    councils = {f"{100 + i * 6:03d}": f"Council {100 + i * 6:03d}" for i in range(LA_COUNT)}
    codes = list(councils)
    providers = []
    for n in range(PROVIDER_COUNT):
        home = codes[n % LA_COUNT]
        neighbours = rng.sample(codes, 8)
        region = n % 7
        providers.append(
            SynthProvider(
                code=f"R{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}",
                name=f"PROVIDER {n:03d} NHS TRUST",
                parent_code=f"Y5{region}",
                parent_name=f"REGION {region}",
                care="ACUTE" if n % 3 else "NON-ACUTE",
                councils=(home, *[c for c in neighbours if c != home][:8]),
                size=rng.lognormvariate(4.2, 0.6),
            )
        )
    return councils, providers


def month_of(index: int) -> date:
    month = FIRST_MONTH.month - 1 + index
    return date(FIRST_MONTH.year + month // 12, month % 12 + 1, 1)


def financial_year(month: date) -> str:
    start = month.year if month.month >= 4 else month.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def synth_national_month(index: int, seed: int) -> tuple[date, str]:
    """One month's extract as text: (month, file content)."""
    rng = random.Random(seed)
    councils, providers = national_geography(rng)
    month_rng = random.Random(seed * 1_000_003 + index)
    month = month_of(index)
    header = NATIONAL_HEADER
    if month.year < 2013:
        header = header.replace("Provider Parent Org Code", "Provider SHA Code").replace(
            "Provider Parent Name", "Provider SHA Name"
        )
    lines = io.StringIO()
    preamble = [
        "Title:,Delayed Transfers of Care SitRep - provider level data (synthetic)",
        f"Period:,{MONTHS[month.month - 1].title()} {month.year}",
        "Source:,dtoc synth national",
    ]
    if month_rng.random() < 0.1:  # some months carry an extra note line, pushing the header to line 5
        preamble.append("Note:,Figures are provisional")
    lines.write("\n".join(preamble) + "\n" + header + "\n")
    writer = csv.writer(lines, lineterminator="\n")
    reasons = list(REASON_WEIGHTS)
    a_is_average = month >= date(2017, 4, 1)
    for provider in providers:
        for position, council in enumerate(provider.councils):
            weight = provider.size * (6.0 if position == 0 else month_rng.uniform(0.1, 1.0))
            for reason in month_rng.sample(reasons, 10):
                base = weight * REASON_WEIGHTS[reason] / 100 * month_rng.uniform(0.5, 1.5)
                cells = []
                for share in ORG_SHARES:
                    days = int(base * share * month_rng.uniform(0.3, 1.7))
                    snapshot = round(days / 30, 1) if a_is_average else days // 20
                    shown = f"{days:,}" if days >= 1000 else str(days)
                    if month_rng.random() < 0.0001:  # an empty numeric cell, as most real months have
                        shown = ""
                    cells += [snapshot, shown]
                writer.writerow(
                    [
                        financial_year(month),
                        MONTHS[month.month - 1],
                        provider.parent_code,
                        provider.parent_name,
                        provider.code,
                        provider.name,
                        council,
                        councils[council],
                        provider.care,
                        REASONS[reason],
                        *cells,
                    ]
                )
    return month, lines.getvalue()


def write_synth_national(out: Path, months: int, seed: int = 1, first_index: int = 0) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(first_index, first_index + months):
        month, text = synth_national_month(index, seed)
        path = out / f"DTOC-SitRep-Provider-Level-Data-{month:%Y-%m}.csv"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def local_authorities_csv(seed: int = 1) -> str:
    """A reference/local_authorities.csv that knows every synthetic council."""
    councils, _ = national_geography(random.Random(seed))
    rows = [f"E{int(code) * 1000:08d},{code},{name}" for code, name in councils.items()]
    return "la_code,dh_code,la_name\n" + "\n".join(rows) + "\n"


FIRST_WEEK = date(2017, 4, 6)  # a Thursday


def _ons_code(dh_code: str) -> str:
    return f"E{int(dh_code) * 1000:08d}"


def synth_sites(seed: int = 1) -> list[tuple]:
    """Hospital sites of every synthetic provider (about 1,500), each belonging to its provider's home council."""
    rng = random.Random(seed * 7 + 3)
    _, providers = national_geography(random.Random(seed))
    return [
        (
            f"{p.code}{n:02d}",
            f"Site {n} of {p.name.title()}",
            p.code,
            p.name.title(),
            p.care.lower(),
            rng.randint(150, 700),
            p.councils[0],
        )
        for p in providers
        for n in range(rng.randint(3, 10))
    ]


def write_synth_reference(out: Path, seed: int = 1) -> None:
    """The reference files every synthetic input agrees with; the first council is the home council."""
    councils, _ = national_geography(random.Random(seed))
    reference = out / "reference"
    reference.mkdir(parents=True, exist_ok=True)
    (reference / "local_authorities.csv").write_text(
        "la_code,dh_code,la_name\n" + "".join(f"{_ons_code(c)},{c},{n}\n" for c, n in councils.items())
    )
    (reference / "sites.csv").write_text(
        "site_code,site_name,provider_code,provider_name,care_type,beds\n"
        + "".join(",".join(map(str, site[:6])) + "\n" for site in synth_sites(seed))
    )
    (reference / "bcf_trajectory.csv").write_text("la_code,month,provider_code,responsible_org,planned_days\n")
    (reference / "population_18plus.csv").write_text(
        "la_code,year,population\n"
        + "".join(f"{_ons_code(c)},2010,{400000 + 1000 * i}\n" for i, c in enumerate(councils))
    )
    settings = out / "dtoc.toml"
    if not settings.exists():
        settings.write_text(f'home_la = "{_ons_code(next(iter(councils)))}"\n')


def write_synth_workspace_national(out: Path, months: int, seed: int = 1) -> list[Path]:
    """National extracts in out/inbox/national, with the reference files they agree with."""
    write_synth_reference(out, seed)
    return write_synth_national(out / "inbox" / "national", months, seed)


def write_synth_weekly(out: Path, las: int, weeks: int, seed: int = 1) -> list[Path]:
    """Weekly returns for every site of the first `las` councils: one file per council and week, the
    detail or summary layout by council, ISO or UK dates, and about 1 % of files with a mistake."""
    write_synth_reference(out, seed)
    rng = random.Random(seed)
    councils, _ = national_geography(random.Random(seed))
    chosen = list(councils)[:las]
    sites = synth_sites(seed)
    inbox = out / "inbox" / "weekly"
    inbox.mkdir(parents=True, exist_ok=True)
    written = []
    for w in range(weeks):
        week = date.fromordinal(FIRST_WEEK.toordinal() + 7 * w)
        for number, council in enumerate(chosen):
            council_sites = [site for site in sites if site[6] == council]
            if not council_sites:
                continue
            detail = number % 2 == 0
            lines = []
            for site in council_sites:
                nhs, sc, both = rng.randint(0, 120), rng.randint(0, 70), rng.choice([0, 0, 0, 1, 2, 5])
                if detail:
                    lines += [
                        f"{site[0]},{week.isoformat()},{_ons_code(council)},{site[4]},{org},"
                        f"{rng.choice(list(REASON_WEIGHTS))},{days}"
                        for org, days in (("NHS", nhs), ("Social Care", sc), ("Both", both))
                    ]
                else:
                    lines.append(f"{site[0]},{week:%d/%m/%Y},{nhs},{sc},{both}")
            if rng.random() < 0.01:  # a bad file: a negative count someone typed
                lines[0] = lines[0].rsplit(",", 1)[0] + ",-3"
            header = (
                "site_code,week_ending,la_code,care_type,responsible_org,reason_code,delayed_days"
                if detail
                else "site_code,week_ending,nhs_days,social_care_days,both_days"
            )
            path = inbox / f"council_{council}_week_{week.isoformat()}.csv"
            path.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
            written.append(path)
    return written
