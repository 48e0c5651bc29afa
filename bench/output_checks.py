"""Benchmark: what the output checks add to publishing, on a workspace that has had a run (e.g. `dtoc demo`).

    .venv/bin/python bench/output_checks.py WORKDIR [--as-of 2017-11-24] [--repeats 5]

Publishes the workspace's tables into a copy of it, alternately with the checks and with them
switched off, and prints the median time of each and of the checks alone. The checks' own time
includes computing each model once (the file, report and dashboard then read that copy).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2017, 11, 24))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import duckdb
    from prefect import flow

    import flows.pipeline as pipeline
    from flows.output_checks import OutputChecks
    from flows.trajectory import check_bcf_trajectory
    from flows.validate import Reference
    from flows.warehouse import build_models, set_run_variables
    from flows.workspace import open_workspace

    class NoChecks(OutputChecks):
        def __call__(self, table: str, month: str | None = None) -> list[str]:
            return []

        def fingerprint(self, table: str) -> str:
            return ""  # no fingerprint: every file is written

    copy = Path(tempfile.mkdtemp(prefix="dtoc-bench-checks-")) / "work"
    shutil.copytree(args.workdir, copy)
    ws = open_workspace(copy)
    con = duckdb.connect(str(ws.warehouse))
    set_run_variables(con, ws.settings(), args.as_of, ws.reference)
    build_models(con, check_bcf_trajectory(ws.reference, Reference.load(ws.reference))[0])

    @flow
    def bench() -> dict[str, list[float]]:
        times: dict[str, list[float]] = {"with checks": [], "without": [], "checks alone": []}
        for _ in range(args.repeats):
            for checked in (True, False):
                pipeline.OutputChecks = OutputChecks if checked else NoChecks
                con.execute("delete from published_fingerprints")  # everything checked and written each time
                outcome = pipeline.RunOutcome(workdir=str(copy), as_of=args.as_of.isoformat())
                started = time.perf_counter()
                pipeline.publish(con, ws, args.as_of, outcome)
                times["with checks" if checked else "without"].append(time.perf_counter() - started)
                if checked:
                    times["checks alone"].append(sum(c["seconds"] for c in outcome.output_checks))
        return times

    for name, values in bench().items():
        print(f"{name:>13}: median {statistics.median(values):.3f} s  ({', '.join(f'{v:.3f}' for v in values)})")
    shutil.rmtree(copy.parent)


if __name__ == "__main__":
    main()
