"""Benchmark: one weekly run for one council (10 sites) with three years of weeks already loaded.

    make bench            # or: .venv/bin/python bench/weekly.py [--weeks 156]

Prints the wall time of `dtoc run` for the new week, measured from outside the process (Python
start, imports, Prefect's ephemeral server, the flow, exit), and the part spent in our code: the
sum of the flow's task run times as Prefect recorded them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baseline import one_task_flow_seconds, prefect_env  # noqa: E402
from flows.workspace import open_workspace  # noqa: E402

FIRST_WEEK = date(2014, 11, 27)  # a Thursday
SITES = ["DVH", "MED", "KCH", "QEQM", "WHH", "MAID", "TWH", "KCHFT", "KMPT", "VCNK"]

TIMED_RUN = """
import contextlib, io, json, sys, time
from flows.cli import main
t0 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()) as printed:
    assert main(["run", "--workdir", sys.argv[1], "--as-of", sys.argv[2]]) == 0
flow_wall = time.perf_counter() - t0
import asyncio
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.sorting import FlowRunSort
async def task_seconds():
    async with get_client() as client:
        [run] = await client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)
        tasks = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))
        return {task.name.rsplit("-", 1)[0]: task.total_run_time.total_seconds() for task in tasks}
accepted = next(line for line in printed.getvalue().splitlines() if "site-week(s) loaded" in line).strip()
print(json.dumps({"in_process_seconds": flow_wall, "tasks": asyncio.run(task_seconds()), "accepted": accepted}))
"""


def write_week(inbox: Path, week: date, rng: random.Random) -> None:
    for site in SITES:
        nhs, sc, both = rng.randint(20, 200), rng.randint(0, 110), rng.choice([0, 0, 0, 1, 2, 4, 7])
        (inbox / f"{site}_week_{week.isoformat()}.csv").write_text(
            f"site_code,week_ending,nhs_days,social_care_days,both_days\n{site},{week.isoformat()},{nhs},{sc},{both}\n"
        )


def timed_run(workdir: Path, as_of: date, env: dict) -> dict:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", TIMED_RUN, str(workdir), as_of.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=156, help="weeks already loaded (default: three years)")
    args = parser.parse_args()
    rng = random.Random(20171124)
    scratch = Path(tempfile.mkdtemp(prefix="dtoc-bench-"))
    env = prefect_env(scratch)
    ws = open_workspace(scratch / "work")
    weeks = [FIRST_WEEK + timedelta(weeks=n) for n in range(args.weeks + 1)]
    for week in weeks[:-1]:
        write_week(ws.inbox_weekly, week, rng)
    history = timed_run(ws.root, weeks[-2] + timedelta(days=1), env)
    print(f"history: {history['accepted']}, in {history['wall_seconds']:.1f} s")
    write_week(ws.inbox_weekly, weeks[-1], rng)
    baseline = one_task_flow_seconds(env)
    weekly = timed_run(ws.root, weeks[-1] + timedelta(days=1), env)
    ours = sum(weekly["tasks"].values())
    print(
        f"weekly run (10 new returns, {args.weeks} weeks already loaded), {os.cpu_count()} cores, measured in one "
        f"run on a shared machine (absolute times are noisy, ratios are the measure):"
    )
    print(f"  baseline, one-task Prefect flow from a fresh Python:           {baseline:.2f} s")
    print(
        f"  wall, including Python start and Prefect's ephemeral server: {weekly['wall_seconds']:.2f} s"
        f" = {weekly['wall_seconds'] / baseline:.2f}x the baseline (target <= 1.25x)"
    )
    print(f"  our code (sum of task run times):                           {ours:.2f} s")
    for name, seconds in sorted(weekly["tasks"].items(), key=lambda item: -item[1]):
        print(f"    {name:<22} {seconds:.3f} s")


if __name__ == "__main__":
    main()
