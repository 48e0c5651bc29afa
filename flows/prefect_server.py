"""Prefect's temporary API server, started as a `dtoc` command's first act instead of at its first flow.

With no PREFECT_API_URL, Prefect starts a temporary ("ephemeral") API server when a flow first
calls it: it imports the server's code into our process (~2 s), then starts the server in a
subprocess and waits for it (~5 s), after our own imports (~3 s) are done. `dtoc run`, `national`,
`backfill` and `demo` start that same server (the same uvicorn command, app factory and settings,
on a socket bound here so that no other process can take its port) before importing anything
heavy, so the server comes up while Python loads polars, DuckDB and Great Expectations: a run
waits for the slower of the two, not for their sum.

A configured PREFECT_API_URL (a long-running server, as deployments use) is left alone, as is
PREFECT_SERVER_EPHEMERAL_ENABLED=false. A server that exits or does not answer stops the run with
the reason, as Prefect's own would.

A flow run on that temporary server sends no heartbeats (`flow_run_settings`, applied by
`flows.pipeline.prepared_run`): they tell a server that a run has not crashed, and this server ends
with the process that runs the flow, so nobody could ever read them; each run would end waiting up
to a second for the heartbeat thread to wake.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from flows.workspace import environment

_started: subprocess.Popen | None = None
_OFF = ("0", "false", "no", "off")


def start_api_server_early() -> None:
    """Start Prefect's temporary API server in the background and point this process's Prefect at it."""
    global _started
    if _started is not None or environment("PREFECT_API_URL"):
        return
    if environment("PREFECT_SERVER_EPHEMERAL_ENABLED").lower() in _OFF:
        return
    spec = importlib.util.find_spec("prefect")
    if spec is None or spec.origin is None:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listening:  # bound here: no other process can take it
        listening.bind(("127.0.0.1", 0))
        listening.listen(128)
        port = listening.getsockname()[1]
        _started = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "--app-dir", str(Path(spec.origin).parent.parent)),
                *("--factory", "prefect.server.api.server:create_app", "--fd", str(listening.fileno())),
                *("--log-level", "error", "--lifespan", "on"),
            ],
            env={
                **os.environ,
                "PREFECT_UI_ENABLED": "0",
                "PREFECT__SERVER_EPHEMERAL": "1",
                "PREFECT__SERVER_FINAL": "1",
            },
            pass_fds=(listening.fileno(),),
        )
    os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
    atexit.register(_stop)  # registered first, so it runs last: Prefect flushes its logs and events before


def wait_for_api_server() -> None:
    """Block until the early server answers (no-op when none was started); stop the run, saying why, if it
    exited or did not answer within PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS."""
    global _started
    if _started is None:
        return
    url = environment("PREFECT_API_URL") + "/health"
    deadline = time.monotonic() + environment("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")
    while _started.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        time.sleep(0.05)
    code = _started.poll()
    _stop()
    raise RuntimeError(
        "Prefect's temporary API server "
        + (f"exited with status {code}" if code is not None else "did not answer in time")
        + " (set PREFECT_API_URL to use a running Prefect server)"
    )


@contextlib.contextmanager
def without_heartbeats():
    """No flow-run heartbeat thread inside the block (each flow run ends waiting up to a second for it).
    Settings that have none already are kept as they are (copying Prefect's settings costs about 0.1 s of CPU)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    if PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() is None:
        yield
        return
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def flow_run_settings() -> contextlib.AbstractContextManager:
    """Around a flow call: no heartbeats when the API server is the temporary one started here."""
    return without_heartbeats() if _started is not None else contextlib.nullcontext()


def _stop() -> None:
    if _started is None or _started.poll() is not None:
        return
    _started.terminate()
    try:
        _started.wait(timeout=5)
    except subprocess.TimeoutExpired:
        _started.kill()
        _started.wait()
