"""BCF trajectories (reference/bcf_trajectory.csv): checked with their GX suite, then loaded.

A trajectory with any problem is not used: the reconciliation shows no target rather than a
wrong one, and the problems are written to quarantine/bcf_trajectory.csv.errors.csv (the file
itself stays in reference/, where the analyst maintains it).

Most runs find the trajectory as the run before did. A check that passed is remembered in the
workspace as a digest of everything it read (the file, the codes it was checked against, the
rules, the checking code); the next run with the same digest uses the file without running the
rules again, and its Data Docs keep linking the page of the validation that passed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl

from flows.ingest import UnreadableFile, read_submission
from flows.validate import Problem, Reference, checking_code, required_columns, run_suite, suite_path

SUITE = "bcf_trajectory"
FILE_NAME = "bcf_trajectory.csv"
PASSED_FILE = Path("validation") / "bcf_trajectory_checked.sha256"  # in the workspace, see the module's docstring
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
    reference_dir: Path, reference: Reference, journal: list | None = None, remembered: Path | None = None
) -> tuple[pl.DataFrame, list[Problem]]:
    """The trajectory rows with planned_days at full precision, or no rows and the reasons why.

    `remembered`: the file holding the digest of the last check that passed. When this check would
    read the same, the rules are not run again and the journal gets `(suite, files, None)`: passed
    before, unchanged (its Data Docs page is the earlier one). A pass is written there, a failure
    clears it.
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
    if remembered is not None and remembered.exists() and remembered.read_text(encoding="utf-8") == digest:
        if journal is not None:
            journal.append((SUITE, [FILE_NAME], None))
        return _trajectory_rows(cells), []
    problems = run_suite(SUITE, cells.with_columns(pl.lit(FILE_NAME).alias("file")), parameters, {}, journal)
    if remembered is not None:
        remembered.unlink(missing_ok=True)
        if not problems:
            remembered.parent.mkdir(parents=True, exist_ok=True)
            remembered.write_text(digest, encoding="utf-8")
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
