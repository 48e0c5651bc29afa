"""Benchmark: a national backfill of 115 synthetic months against the floor and the analyst's peer.

    .venv/bin/python bench/national_backfill.py [--months 115] [--seed 1]

On the same synthetic extracts (`dtoc synth national`, the real layout, ~20,000 rows a month):
(a) the floor: DuckDB reads the CSVs and groups delayed days by council and month, nothing checked;
(b) ours: `dtoc backfill --sources national` from a fresh Python (imports, Prefect's ephemeral
    server, validation of every cell, loads, reconciliation and publication of every month), in a
    PREFECT_HOME whose database a one-task flow created first (a second one is timed for scale);
(c) the peer: pandas reads each monthly CSV, concatenates, fills blanks with 0, writes to SQLite
    and groups by council and month;
(d) ours again, on a fresh copy of the same extracts, with a Prefect API server already running (as a
    deployment has: PREFECT_API_URL set), beside a one-task flow against the same server.
All of them run from a fresh Python in a subprocess (imports included), so the ratios are like for
like. Prints wall times, ratios and our peak RSS.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baseline import one_task_flow_seconds, prefect_env  # noqa: E402
from bench.national import backfill_arguments, floor  # noqa: E402
from flows.synth import write_synth_workspace_national  # noqa: E402


def peer(files: list[Path], scratch: Path) -> None:
    import pandas as pd

    frames = []
    for path in files:
        with open(path, encoding="utf-8") as handle:
            header = next(i for i, line in enumerate(handle) if line.startswith("Year,"))
        frame = pd.read_csv(path, skiprows=header, thousands=",")
        # the SHA column names of early files, renamed as an analyst's script does
        frames.append(
            frame.rename(
                columns={"Provider SHA Code": "Provider Parent Org Code", "Provider SHA Name": "Provider Parent Name"}
            )
        )
    data = pd.concat(frames, ignore_index=True).fillna(0)
    with sqlite3.connect(scratch / "peer.sqlite") as con:
        data.to_sql("dtoc", con, if_exists="replace", index=False)
        con.execute(
            'select "Year", "Period Name", "Local Authority Code", sum("NHS B SUM" + "Social Care B SUM" + '
            '"Both B SUM") from dtoc group by 1, 2, 3'
        ).fetchall()


def fresh_python(part: str, scratch: Path) -> tuple[float, str]:
    """Wall time of `part` (floor or peer) run by this script in a fresh Python, and what it printed."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--part", part, "--scratch", str(scratch)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started, done.stdout.strip()


def running_server_env(env: dict) -> dict:
    """`env` pointing at a Prefect API server started here (as `dtoc` starts one) and kept running until exit."""
    from flows import prefect_server

    os.environ.update(env)
    os.environ.pop("PREFECT_API_URL", None)
    prefect_server.start_api_server_early()
    prefect_server.wait_for_api_server()
    return {**env, "PREFECT_API_URL": os.environ["PREFECT_API_URL"]}


def inbox_files(scratch: Path) -> list[Path]:
    return sorted((scratch / "work" / "inbox" / "national").iterdir())


def ours(workdir: Path, months: int, env: dict) -> tuple[float, float, float]:
    import psutil

    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", *backfill_arguments(workdir, months)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    watched, peak, peak_with_workers = psutil.Process(process.pid), 0, 0
    # the pipeline's process, and the report workers and chart helper it starts (not Prefect's server)
    while process.poll() is None:
        try:
            rss = watched.memory_info().rss
            workers = sum(
                child.memory_info().rss
                for child in watched.children()
                if any(helper in " ".join(child.cmdline()) for helper in ("flows.report_layout", "flows.charts"))
            )
        except psutil.NoSuchProcess:
            continue
        peak, peak_with_workers = max(peak, rss), max(peak_with_workers, rss + workers)
        time.sleep(0.1)
    if process.returncode:
        raise SystemExit(f"the backfill failed with exit status {process.returncode}")
    return time.perf_counter() - started, peak / 2**20, peak_with_workers / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=115)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--part", choices=("floor", "peer"), help=argparse.SUPPRESS)  # run in a fresh Python
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part == "floor":
        print(floor(inbox_files(args.scratch))[1])
        return
    if args.part == "peer":
        peer(inbox_files(args.scratch), args.scratch)
        return
    scratch = Path(tempfile.mkdtemp(prefix="dtoc-bench-backfill-"))
    write_synth_workspace_national(scratch / "work", args.months, args.seed)
    floor_seconds, printed = fresh_python("floor", scratch)
    rows = int(printed)
    peer_seconds, _ = fresh_python("peer", scratch)
    # Prefect's database made first, as by any earlier flow run on the machine (the other benches' history runs
    # do the same): the first flow run ever in a PREFECT_HOME spends about 7 s creating it
    one_task_flow_seconds(prefect_env(scratch))
    one_task = one_task_flow_seconds(prefect_env(scratch))
    our_seconds, peak_rss_mb, with_workers_mb = ours(scratch / "work", args.months, prefect_env(scratch))
    served = running_server_env(prefect_env(scratch))
    write_synth_workspace_national(scratch / "work_served", args.months, args.seed)
    one_task_served = one_task_flow_seconds(served)
    served_seconds, _, _ = ours(scratch / "work_served", args.months, served)
    print(
        f"national backfill, {args.months} monthly extracts, {rows:,} rows, {os.cpu_count()} cores, measured in one "
        f"run on a shared machine (absolute times are noisy, ratios are the measure):"
    )
    print("  each from a fresh Python in a subprocess (imports and start-up included)")
    print(f"  (a) floor, bare DuckDB read_csv + group-by:        {floor_seconds:7.1f} s")
    print(
        f"  (b) ours, dtoc backfill (validate, load, publish):  {our_seconds:7.1f} s"
        f"  = {our_seconds / peer_seconds:.2f}x the peer (target <= 0.5x), {our_seconds / floor_seconds:.0f}x the floor"
    )
    print(
        f"  (c) peer, pandas + SQLite:                          {peer_seconds:7.1f} s"
        f"  = {peer_seconds / floor_seconds:.1f}x the floor"
    )
    print(f"  for scale, a one-task Prefect flow from a fresh Python: {one_task:7.1f} s (Prefect's fixed cost)")
    print(
        f"  (d) ours with a Prefect API server already running:   {served_seconds:7.1f} s"
        f"  = {served_seconds / peer_seconds:.2f}x the peer; a one-task flow against it: {one_task_served:.1f} s"
    )
    print(
        f"  our peak RSS: {peak_rss_mb:,.0f} MB (target <= 1,024 MB); with the report workers and the chart helper: {with_workers_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
