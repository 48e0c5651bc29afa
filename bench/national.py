"""Benchmark: the monthly national run (one new extract on top of the loaded history) and ingest throughput.

    .venv/bin/python bench/national.py [--loaded 114] [--seed 1]

Writes synthetic extracts in the real layout (about 20,000 rows a month, `flows/synth.py`) and
loads `--loaded` months with `dtoc backfill --sources national`. Then, in one run on this machine:
(a) the baseline: a one-task Prefect flow started the same way (fresh Python, ephemeral server);
(b) ours: `dtoc national` for the next month's extract from a fresh Python (read, validate every
    cell, load, reconcile, publish); target <= 1.5x the baseline;
(c) the floor of the ingest: DuckDB reading all the extracts and grouping delayed days by month
    and council, nothing checked, beside the backfill that loaded them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from bench.baseline import one_task_flow_seconds, prefect_env  # noqa: E402
from flows.synth import write_synth_workspace_national  # noqa: E402


def floor(files: list[Path]) -> tuple[float, int]:
    started = time.perf_counter()
    con = duckdb.connect()
    rows = con.execute(f"""
        with cells as (
            select * from read_csv({[str(f) for f in files]}, auto_detect = false, delim = ',', quote = '"',
                                   header = false, strict_mode = false, null_padding = true,
                                   columns = {{{", ".join(f"'c{i}': 'VARCHAR'" for i in range(16))}}})
            where c0 similar to '[0-9]{{4}}-[0-9]{{2}}'
        )
        select c0, c1, c6,
               sum(coalesce(cast(replace(c11, ',', '') as double), 0) + coalesce(cast(replace(c13, ',', '') as double), 0)
                   + coalesce(cast(replace(c15, ',', '') as double), 0)) as delayed_days, count(*) as rows
        from cells group by all""").fetchall()
    return time.perf_counter() - started, sum(r[4] for r in rows)


def dtoc(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "flows.cli", *args], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def backfill_arguments(workdir: Path, months: int) -> list[str]:
    """`dtoc backfill` of the national extracts `dtoc synth national --months <months>` wrote, from August 2010."""
    end_year = 2010 + (7 + months) // 12
    return [
        "backfill",
        "--workdir",
        str(workdir),
        "--from",
        "2010-08-01",
        "--to",
        f"{end_year + 1}-03-31",
        "--sources",
        "national",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loaded", type=int, default=114, help="months loaded before the monthly run")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="dtoc-bench-national-"))
    work = scratch / "work"
    files = write_synth_workspace_national(work, args.loaded + 1, args.seed)
    held = scratch / "held"
    held.mkdir()
    newest = Path(shutil.move(files[-1], held / files[-1].name))
    env = prefect_env(scratch)
    end_year = 2010 + (7 + args.loaded) // 12
    backfill = dtoc(backfill_arguments(work, args.loaded), env)
    floor_seconds, rows = floor(files[:-1])
    shutil.move(newest, work / "inbox" / "national" / newest.name)
    baseline = one_task_flow_seconds(env)
    monthly = dtoc(["national", "--workdir", str(work), "--as-of", f"{end_year + 1}-06-30"], env)
    print(
        f"monthly national run: 1 new extract on {args.loaded} loaded months ({rows:,} rows), measured in one run "
        f"on a shared 2-core machine (absolute times are noisy, ratios are the measure):"
    )
    print(f"  (a) baseline, one-task Prefect flow from a fresh Python: {baseline:6.1f} s")
    print(
        f"  (b) ours, dtoc national:                                 {monthly:6.1f} s  = {monthly / baseline:.2f}x "
        f"the baseline (target <= 1.5x)"
    )
    print(
        f"  ingest of the {args.loaded} months: backfill {backfill:.1f} s, floor (bare DuckDB read_csv + group-by) "
        f"{floor_seconds:.2f} s = {backfill / floor_seconds:.0f}x the floor"
    )


if __name__ == "__main__":
    main()
