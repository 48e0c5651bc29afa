"""Shared fixtures. Flows run on Prefect's real temporary API server, isolated in a temporary PREFECT_HOME:
one server for the whole run (xdist's workers share their controller's), started as `dtoc` commands start
theirs (`pytest_configure`)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="dtoc-prefect-home-")
if "PYTEST_XDIST_WORKER" not in os.environ:  # an xdist worker keeps the server its controller started
    os.environ.pop("PREFECT_API_URL", None)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
# The servers the tests' flows report to do not file what flows send as events (task runs are recorded
# from events) and evaluate no automations: about a third of a server's CPU, and only two tests read
# them; those start a server of their own with every service (`prefect_server_with_every_service`).
SERVICES_OFF = ("TASK_RUN_RECORDER", "EVENT_PERSISTER", "TRIGGERS")
for service in SERVICES_OFF:
    os.environ[f"PREFECT_SERVER_SERVICES_{service}_ENABLED"] = "false"
for name in list(os.environ):
    if name.startswith("DTOC_"):
        del os.environ[name]
# `make test` runs three workers on two cores: polars' own thread pool in each only spun against the others (a
# test-like weekly run: 15,000 involuntary context switches with it, 800 without; the suite about a tenth less CPU).
os.environ.setdefault("POLARS_MAX_THREADS", "1")

import duckdb  # noqa: E402
import polars as pl  # noqa: E402
import pytest  # noqa: E402

from flows.demo import DEMO_AS_OF, write_national_sample, write_sample  # noqa: E402
from flows.prefect_server import start_api_server_early, without_heartbeats  # noqa: E402
from flows.validate import CheckedSubmission, Reference, check_submissions  # noqa: E402
from flows.workspace import Workspace, load_settings, open_workspace  # noqa: E402

GOLDEN = Path(__file__).parent / "golden"

# Run in a subprocess, with PREFECT_API_DATABASE_CONNECTION_URL naming the database to build.
BUILD_PREFECT_DATABASE = """
import asyncio
from prefect.server.database import provide_database_interface
from prefect.server.models.block_registration import run_block_auto_registration

async def build():
    database = provide_database_interface()
    await database.create_db()
    async with await database.session() as session:
        await run_block_auto_registration(session=session)

asyncio.run(build())
"""


def prefect_database_template() -> Path:
    """A Prefect database with Prefect's migrations run and its block types registered, built once per temp folder
    for this environment, Prefect version and build script (the first process to need it builds it, the others
    wait on a lock; one that is not such a database is built again). Each test server's database starts as a
    copy: migrating a fresh database costs a server about 5 s of CPU."""
    from importlib.metadata import version

    key = f"{sys.prefix} prefect {version('prefect')} {BUILD_PREFECT_DATABASE}"
    template = Path(tempfile.gettempdir()) / f"dtoc-tests-prefect-{hashlib.sha256(key.encode()).hexdigest()[:16]}.db"
    with open(template.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_prefect_database(template):
            building = template.with_suffix(".building")
            for leftover in building.parent.glob(building.name + "*"):
                leftover.unlink()
            env = {**os.environ, "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{building}"}
            done = subprocess.run(
                [sys.executable, "-c", BUILD_PREFECT_DATABASE], env=env, capture_output=True, text=True
            )
            if done.returncode != 0:
                said = (done.stderr or done.stdout)[-2000:] or "nothing"
                raise pytest.UsageError(
                    f"could not build the tests' Prefect database {building}: the build exited with status "
                    f"{done.returncode} and said {said}"
                )
            with contextlib.closing(sqlite3.connect(building)) as database:  # one file: no write-ahead log beside it
                database.execute("pragma journal_mode = delete")
            os.replace(building, template)
    return template


def _is_prefect_database(path: Path) -> bool:
    """A SQLite file with Prefect's schema at some revision and its block types registered."""
    if not path.is_file():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as database:
            revision = database.execute("select version_num from alembic_version").fetchone()
            block_types = database.execute("select count(*) from block_type").fetchone()[0]
    except sqlite3.Error:
        return False
    return revision is not None and block_types > 0


def pytest_configure(config):
    """One Prefect server for the whole run, started now as `dtoc` commands start theirs: by xdist's controller
    before it starts its workers (they inherit PREFECT_API_URL, which names it), or by a plain pytest process.
    It comes up while the test modules import their libraries; the tests' flows, the `dtoc` commands they call
    in-process and the flows' subprocesses (a run killed mid-load, Dask's workers) report to it rather than each
    starting a server of its own (each costs about 5 s of CPU to start and some every minute it runs). Tests of
    starting a server unset PREFECT_API_URL and use a Prefect home of their own. A run that only collects
    starts none."""
    if hasattr(config, "workerinput") or config.option.collectonly:
        return
    shutil.copyfile(prefect_database_template(), Path(os.environ["PREFECT_HOME"]) / "prefect.db")
    start_api_server_early()


def pytest_collection_modifyitems(items):
    """The longest tests first (marked `long(seconds)`, as measured on two workers), longest of all first,
    the rest in their usual order. `make test`'s `--dist loadgroup` hands them out first, one per xdist
    worker, instead of the run ending with one worker busy on one."""

    def measured_seconds(item) -> int:
        mark = item.get_closest_marker("long")
        return -mark.args[0] if mark else 0

    items.sort(key=measured_seconds)


@pytest.fixture(scope="session", autouse=True)
def no_flow_run_heartbeats():
    """No heartbeat thread for the flows the tests run in this process. It tells a server that a flow run
    has not crashed (none of these tests asks), and each flow run ends by waiting up to a second for it to
    wake from its sleep: about half a second a run, hundreds of runs."""
    with without_heartbeats():
        yield


@pytest.fixture
def prefect_server_with_every_service(tmp_path):
    """A Prefect server of the test's own, on its own database, that records task runs and events; the
    flows of the test report to it."""
    import socket

    import prefect.settings
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.server.api.server import SubprocessASGIServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    every_service = {getattr(prefect.settings, f"PREFECT_SERVER_SERVICES_{s}_ENABLED"): True for s in SERVICES_OFF}
    shutil.copyfile(prefect_database_template(), tmp_path / "prefect.db")
    database = {prefect.settings.PREFECT_API_DATABASE_CONNECTION_URL: f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}"}
    with prefect.settings.temporary_settings(updates=every_service | database):
        server = SubprocessASGIServer(port)
        server.start()
    # Prefect's log and event workers keep the server they started with: drained (and so ended) on the way
    # in and out, the test's are started for this server and what the test's flows sent reaches it
    try:
        APILogWorker.drain_all()
        EventsWorker.drain_all()
        with prefect.settings.temporary_settings(updates={prefect.settings.PREFECT_API_URL: server.api_url}):
            yield server
            APILogWorker.drain_all()
            EventsWorker.drain_all()
    finally:
        server.stop()


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return open_workspace(tmp_path / "work")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The bundled Kent sample, run once through the weekly flow as `dtoc demo` does."""
    from flows.weekly import run_weekly

    ws = open_workspace(tmp_path_factory.mktemp("demo") / "dtoc-work")
    write_sample(ws.inbox_weekly)
    summary = run_weekly(ws.root, DEMO_AS_OF)
    return ws, summary


@pytest.fixture(scope="session")
def demo_national(demo_run):
    """The demo workspace after `dtoc demo`'s second step: the national extract loaded and reconciled."""
    from flows.national import run_national

    ws, _ = demo_run
    write_national_sample(ws.inbox_national)
    return ws, run_national(ws.root, DEMO_AS_OF)


def demo_models_copy(ws: Workspace, folder: Path) -> duckdb.DuckDBPyConnection:
    """A copy of the demo's warehouse in `folder`, with the run's variables and models, where a test may break a table."""
    from flows.trajectory import check_bcf_trajectory
    from flows.warehouse import build_models, set_run_variables

    copy = folder / "warehouse.duckdb"
    shutil.copyfile(ws.warehouse, copy)
    con = duckdb.connect(str(copy))
    set_run_variables(con, ws.settings(), DEMO_AS_OF, ws.reference)
    trajectory, problems = check_bcf_trajectory(ws.reference, Reference.load(ws.reference))
    assert not problems
    build_models(con, trajectory)
    return con


def published(ws: Workspace, name: str) -> pl.DataFrame:
    return pl.read_csv(ws.publish / f"{name}.csv", schema_overrides={"month": pl.String})


def drop_file(ws: Workspace, name: str, text: str, mtime: float | None = None) -> Path:
    path = ws.inbox_weekly / name
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def check(workspace: Workspace, name: str, content: str | bytes, as_of: date = date(2017, 11, 24)) -> CheckedSubmission:
    """Write one file into the weekly inbox and check it (nothing loaded or moved)."""
    path = workspace.inbox_weekly / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    [result] = check_submissions(
        [path], Reference.load(workspace.reference), load_settings(workspace.settings_file), as_of
    )
    return result


def query(ws: Workspace, sql: str) -> list[tuple]:
    """Read the workspace's warehouse without holding its lock."""
    con = duckdb.connect(str(ws.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
