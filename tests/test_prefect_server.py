"""`dtoc` commands start Prefect's temporary API server first, and their flows use it (flows/prefect_server.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows import prefect_server
from flows.demo import write_sample

REPO = Path(__file__).resolve().parent.parent


def test_dtoc_run_uses_the_server_it_started_first(tmp_path):
    work = tmp_path / "work"
    write_sample(work / "inbox" / "weekly")
    # no server yet and a Prefect home of its own (a fresh database, migrated by the server it starts)
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "DEBUG", "PREFECT_HOME": str(tmp_path / "prefect-home")}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--workdir", str(work), "--as-of", "2017-11-24"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    printed = done.stdout + done.stderr
    assert "Starting temporary server" not in printed  # Prefect did not start a second server of its own
    assert "Finished in state Completed()" in printed
    assert "Started flow run heartbeat context" not in printed  # nobody could read them: the server ends with the run
    # nothing alarming after the summary: DuckDB 2.0.0's bindings listed "leaked" objects at every exit
    assert "nanobind" not in printed and "leaked" not in printed, done.stderr[-2000:]
    assert (work / "publish" / "weekly_site_summary.csv").exists()


def test_a_configured_api_url_is_used_as_it_is(monkeypatch):
    monkeypatch.setattr(prefect_server, "_started", None)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    prefect_server.start_api_server_early()
    assert prefect_server._started is None
    assert os.environ["PREFECT_API_URL"] == "http://127.0.0.1:4200/api"
    prefect_server.wait_for_api_server()  # nothing started, nothing to wait for


def test_a_server_that_cannot_start_stops_the_run_with_the_reason(monkeypatch, tmp_path):
    monkeypatch.setattr(prefect_server, "_started", None)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    missing = tmp_path / "no such folder" / "prefect.db"
    monkeypatch.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", f"sqlite+aiosqlite:///{missing}")
    prefect_server.start_api_server_early()
    try:
        assert os.environ["PREFECT_API_URL"].startswith("http://127.0.0.1:")
        with pytest.raises(RuntimeError, match=r"Prefect's temporary API server exited with status \d+"):
            prefect_server.wait_for_api_server()
    finally:
        prefect_server._stop()
        monkeypatch.delenv("PREFECT_API_URL", raising=False)
