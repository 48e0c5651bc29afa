"""The baseline every run is measured against: a one-task Prefect flow started the same way.

A fresh Python imports Prefect, starts its ephemeral server (in the same PREFECT_HOME as the run
it is compared with) and runs a flow with one trivial task: the fixed cost of any Prefect flow on
this machine. Ratios against it say how much our own work adds.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ONE_TASK_FLOW = """
from prefect import flow, task

@task
def one(x):
    return x + 1

@flow(name="one_task_baseline")
def baseline():
    return one(1)

assert baseline() == 2
"""


def one_task_flow_seconds(env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", ONE_TASK_FLOW], env=env, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def prefect_env(scratch: Path) -> dict:
    import os

    env = {
        **os.environ,
        "PREFECT_HOME": str(scratch / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }
    env.pop("PREFECT_API_URL", None)
    return env
