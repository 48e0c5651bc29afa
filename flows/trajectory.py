"""BCF trajectories (reference/bcf_trajectory.csv): checked with their GX suite, then loaded.

A trajectory with any problem is not used: the reconciliation shows no target rather than a
wrong one, and the problems are written to quarantine/bcf_trajectory.csv.errors.csv (the file
itself stays in reference/, where the analyst maintains it).

Most runs find the trajectory as the run before did. The Data Docs entry of a check (last_run.json)
records a digest of everything it read (the file, the codes it was checked against, the rules, the
checking code); a later run whose check would read the same, and whose entry says it passed and
still has its page, uses the file without running the rules again and keeps linking that page.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl

from flows.data_docs import CHECKED_INPUTS, documented_page
from flows.ingest import UnreadableFile, read_submission
from flows.validate import Problem, Reference, checking_code, required_columns, run_suite, suite_path

SUITE = "bcf_trajectory"
FILE_NAME = "bcf_trajectory.csv"
CHECK_CODE = checking_code(__file__)
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
    reference_dir: Path, reference: Reference, journal: list | None = None, docs_dir: Path | None = None
) -> tuple[pl.DataFrame, list[Problem]]:
    """The trajectory rows with planned_days at full precision, or no rows and the reasons why.

    With a journal and the Data Docs folder `docs_dir`: when the trajectory's Data Docs entry says a check
    of exactly these inputs passed (and its page is there), the rules are not run again and the journal
    gets `(suite, files, None)`: passed before, unchanged (its page is the earlier one). Otherwise the
    result journaled carries the digest of what it checked, for its entry.
    """
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
    digest = _check_digest(path, parameters)
    if journal is not None and docs_dir is not None:
        page = documented_page(docs_dir, SUITE, [FILE_NAME])
        if page is not None and page["success"] and page.get("checked") == digest:
            journal.append((SUITE, [FILE_NAME], None))
            return _trajectory_rows(cells), []
    problems = run_suite(SUITE, cells.with_columns(pl.lit(FILE_NAME).alias("file")), parameters, {}, journal)
    if journal:
        suite, _, result = journal[-1]  # the result run_suite journaled (GX validates whenever a journal is kept)
        assert suite == SUITE
        result.meta[CHECKED_INPUTS] = digest
    if problems:
        return EMPTY, sorted(problems, key=lambda p: (p.row or 0, p.column))
    return _trajectory_rows(cells), []


def _check_digest(path: Path, parameters: dict) -> str:
    """What a check of the trajectory reads: its bytes, the codes it is checked against, the rules, the code."""
    digest = hashlib.sha256(CHECK_CODE + suite_path(SUITE).read_bytes())
    digest.update(json.dumps(parameters, sort_keys=True).encode() + b"\n" + path.read_bytes())
    return digest.hexdigest()


def _trajectory_rows(cells: pl.DataFrame) -> pl.DataFrame:
    return cells.select(
        "la_code", "month", "provider_code", "responsible_org", pl.col("planned_days").cast(pl.Decimal(38, 10))
    )
