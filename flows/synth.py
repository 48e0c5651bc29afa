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
        providers.append(SynthProvider(
            code=f"R{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}", name=f"PROVIDER {n:03d} NHS TRUST",
            parent_code=f"Y5{region}", parent_name=f"REGION {region}", care="ACUTE" if n % 3 else "NON-ACUTE",
            councils=(home, *[c for c in neighbours if c != home][:8]), size=rng.lognormvariate(4.2, 0.6)))
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
            "Provider Parent Name", "Provider SHA Name")
    lines = io.StringIO()
    preamble = ["Title:,Delayed Transfers of Care SitRep - provider level data (synthetic)",
                f"Period:,{MONTHS[month.month - 1].title()} {month.year}", "Source:,dtoc synth national"]
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
                writer.writerow([financial_year(month), MONTHS[month.month - 1], provider.parent_code,
                                 provider.parent_name, provider.code, provider.name, council, councils[council],
                                 provider.care, REASONS[reason], *cells])
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
