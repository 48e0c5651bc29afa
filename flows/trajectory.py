"""BCF trajectories (reference/bcf_trajectory.csv): checked with their GX suite, then loaded.

A trajectory with any problem is not used: the reconciliation shows no target rather than a
wrong one, and the problems are written to quarantine/bcf_trajectory.csv.errors.csv (the file
itself stays in reference/, where the analyst maintains it).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from flows.ingest import UnreadableFile, read_submission
from flows.validate import Problem, Reference, required_columns, run_suite

SUITE = "bcf_trajectory"
FILE_NAME = "bcf_trajectory.csv"
OUT_OF_AREA = "OUT_OF_AREA"
EMPTY = pl.DataFrame(
    schema={
        "la_code": pl.String,
        "month": pl.String,
        "provider_code": pl.String,
        "responsible_org": pl.String,
        "planned_days": pl.Decimal(38, 10),
    }
)


def check_bcf_trajectory(
    reference_dir: Path, reference: Reference, journal: list | None = None
) -> tuple[pl.DataFrame, list[Problem]]:
    """The trajectory rows with planned_days at full precision, or no rows and the reasons why."""
    path = reference_dir / FILE_NAME
    if not path.exists():
        return EMPTY, []
    try:
        cells = read_submission(path).cells
    except UnreadableFile as exc:
        return EMPTY, [Problem(FILE_NAME, None, "", "", str(exc))]
    missing = [c for c in required_columns(SUITE) if c not in cells.columns]
    if missing:
        return EMPTY, [Problem(FILE_NAME, 1, c, "", f"required column {c} is missing from the header") for c in missing]
    if cells.height == 0:
        return EMPTY, []
    parameters = {
        "la_codes": list(reference.la_codes),
        "provider_codes": sorted(set(reference.sites["provider_code"].to_list()) | {OUT_OF_AREA}),
    }
    problems = run_suite(SUITE, cells.with_columns(pl.lit(FILE_NAME).alias("file")), parameters, {}, journal)
    if problems:
        return EMPTY, sorted(problems, key=lambda p: (p.row or 0, p.column))
    return cells.select(
        "la_code", "month", "provider_code", "responsible_org", pl.col("planned_days").cast(pl.Decimal(38, 10))
    ), []
