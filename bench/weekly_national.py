"""Benchmark: one weekly run over every council in England (about 1,500 site-weeks).

    .venv/bin/python bench/weekly_national.py [--las 150]

`dtoc synth weekly` writes one week of returns for every site of 150 councils (one file per
council, both layouts), then `dtoc run` processes them from a fresh Python: imports, Prefect's
ephemeral server, validation, loads, the models, publication and the dashboard. Target: 60 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.synth import FIRST_WEEK, write_synth_weekly  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--las", type=int, default=150)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="dtoc-bench-weekly-national-"))
    files = write_synth_weekly(scratch / "work", args.las, weeks=1)
    env = {
        **os.environ,
        "PREFECT_HOME": str(scratch / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    env.pop("PREFECT_API_URL", None)
    started = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "run",
            "--workdir",
            str(scratch / "work"),
            "--as-of",
            (FIRST_WEEK + timedelta(days=1)).isoformat(),
        ],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    loaded = next(line for line in out.stdout.splitlines() if "site-week(s) loaded" in line).strip()
    print(f"weekly run for {args.las} councils ({len(files)} files): {loaded}")
    print(f"  wall, from python start to exit: {wall:.1f} s (target <= 60 s)")


if __name__ == "__main__":
    main()
