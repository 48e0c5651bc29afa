"""Backfills: idempotent, equal to loading week by week, and the same on a Dask cluster."""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from flows.backfill import run_backfill, week_endings
from flows.synth import FIRST_WEEK, write_synth_national, write_synth_weekly
from flows.weekly import run_weekly
from flows.workspace import open_workspace

WEEKS = 6
DATE_FROM = FIRST_WEEK - timedelta(days=3)
DATE_TO = FIRST_WEEK + timedelta(weeks=WEEKS - 1, days=1)


def published_digests(ws, skip: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        str(path.relative_to(ws.publish)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(ws.publish.rglob("*"))
        if path.is_file() and not str(path.relative_to(ws.publish)).startswith(skip)
    }


@pytest.fixture(scope="module")
def synthetic_inbox(tmp_path_factory) -> Path:
    """Six weeks of returns from two synthetic councils (about 20 sites), and two national months."""
    source = tmp_path_factory.mktemp("synthetic")
    write_synth_weekly(source, las=2, weeks=WEEKS, seed=7)
    write_synth_national(source / "inbox" / "national", months=2, seed=7, first_index=80)  # April, May 2017
    keep_submitting_sites(source / "reference" / "sites.csv", source / "inbox" / "weekly", silent=20)
    return source


def keep_submitting_sites(sites: Path, inbox: Path, silent: int) -> None:
    """The synthetic reference lists every site in England (about 1,500): keep the sites that send returns
    and `silent` that never do (chased as missing every week), so that each run does not chase 1,500."""
    submitting = {line.split(",", 1)[0] for path in inbox.iterdir() for line in path.read_text().splitlines()[1:]}
    header, *rows = sites.read_text().splitlines()
    kept = [row for row in rows if row.split(",", 1)[0] in submitting]
    kept += [row for row in rows if row.split(",", 1)[0] not in submitting][:silent]
    assert len(kept) == len(submitting) + silent
    sites.write_text("\n".join([header, *kept]) + "\n")


def workspace_from(source: Path, target: Path):
    shutil.copytree(source, target)
    return open_workspace(target)


def test_week_endings_in_a_range():
    assert week_endings(date(2017, 9, 1), date(2017, 9, 30), "thursday") == [
        date(2017, 9, 7),
        date(2017, 9, 14),
        date(2017, 9, 21),
        date(2017, 9, 28),
    ]
    assert week_endings(date(2017, 9, 7), date(2017, 9, 7), "thursday") == [date(2017, 9, 7)]
    assert week_endings(date(2017, 9, 8), date(2017, 9, 13), "thursday") == []


@pytest.fixture(scope="module")
def backfilled_in_chunks(synthetic_inbox, tmp_path_factory):
    """The synthetic inbox backfilled once on threads, four files a chunk; and its published files' digests."""
    ws = workspace_from(synthetic_inbox, tmp_path_factory.mktemp("threads") / "w")
    summary = run_backfill(ws.root, DATE_FROM, DATE_TO, files_per_chunk=4)
    return ws, summary, published_digests(ws)


@pytest.mark.xdist_group("backfilled_in_chunks")
def test_backfill_twice_changes_nothing(backfilled_in_chunks, tmp_path):
    first_ws, first, before = backfilled_in_chunks
    assert first.site_weeks_loaded > 100 and first.national_months_loaded == ["2017-04", "2017-05"]
    assert first.weeks_recomputed == 0  # no BCF trajectory in the synthetic workspace: nothing to replay
    assert first.reconciled_months == ["2017-04", "2017-05"]
    assert "reconciliation_2017-05.csv" in before and "trajectory_status_history.csv" in before
    ws = workspace_from(first_ws.root, tmp_path / "w")  # the shared workspace stays as the first backfill left it
    second = run_backfill(ws.root, DATE_FROM, DATE_TO)
    assert second.accepted == [] and second.already_processed == len(first.accepted)  # refused files were moved out
    assert published_digests(ws) == before


def test_backfill_replays_the_trajectory_when_there_is_one(synthetic_inbox, tmp_path):
    ws = workspace_from(synthetic_inbox, tmp_path / "w")
    home = ws.settings().home_la
    provider = pl.read_csv(ws.reference / "sites.csv", infer_schema=False)["provider_code"][0]
    (ws.reference / "bcf_trajectory.csv").write_text(
        f"la_code,month,provider_code,responsible_org,planned_days\n{home},2017-04,{provider},NHS,100\n"
        f"{home},2017-05,{provider},NHS,100\n"
    )
    summary = run_backfill(ws.root, DATE_FROM, DATE_TO, sources=["weekly"])
    assert summary.weeks_recomputed == WEEKS
    history = pl.read_csv(ws.publish / "trajectory_status_history.csv")
    assert history["as_of"].n_unique() == WEEKS and set(history["provider_code"]) == {provider}


@pytest.mark.long(120)
def test_backfill_equals_loading_week_by_week(synthetic_inbox, tmp_path):
    weekly_ws = open_workspace(tmp_path / "week_by_week")
    shutil.copytree(synthetic_inbox / "reference", weekly_ws.reference, dirs_exist_ok=True)
    shutil.copy(synthetic_inbox / "dtoc.toml", weekly_ws.settings_file)
    files = sorted((synthetic_inbox / "inbox" / "weekly").iterdir())
    for week in week_endings(DATE_FROM, DATE_TO, "thursday"):
        for path in files:
            if week.isoformat() in path.name:
                shutil.copy(path, weekly_ws.inbox_weekly / path.name)
        run_weekly(weekly_ws.root, week + timedelta(days=1))
    backfill_ws = workspace_from(synthetic_inbox, tmp_path / "backfill")
    shutil.rmtree(backfill_ws.inbox_national)  # the weekly runs never saw national data
    backfill_ws.inbox_national.mkdir()
    run_backfill(backfill_ws.root, DATE_FROM, DATE_TO, sources=["weekly"], alerts=True)
    skip = ("site/", "data_docs/", "commentary_")  # the dashboard links Data Docs, which only the weekly runs build
    assert published_digests(backfill_ws, skip) == published_digests(weekly_ws, skip)
    reference = pl.read_csv(backfill_ws.reference / "sites.csv", infer_schema=False)["site_code"].to_list()
    sending = {line.split(",", 1)[0] for path in files for line in path.read_text().splitlines()[1:]}
    alerts = pl.read_csv(backfill_ws.publish / "alerts.csv", infer_schema=False)
    chased = set(alerts.filter(pl.col("event") == "submission.missing")["site_code"].to_list())
    assert len(set(reference) - sending) == 20 and set(reference) - sending <= chased  # the silent sites, chased
    # A month's commentary is dated by the run that last changed it (later runs leave it alone): week by
    # week, the run after the month's last return; in the backfill, its one run. The text is the same.
    commentaries = sorted(path.name for path in weekly_ws.publish.glob("commentary_*.md"))
    assert commentaries == sorted(path.name for path in backfill_ws.publish.glob("commentary_*.md"))
    assert len(commentaries) >= 2
    for name in commentaries:
        week_by_week, backfill = ((ws.publish / name).read_text().splitlines() for ws in (weekly_ws, backfill_ws))
        assert week_by_week[3:] == backfill[3:] and week_by_week[:2] == backfill[:2]
        assert backfill[2].startswith(f"Drafted from the published tables as of {DATE_TO.isoformat()} ")
    history = (backfill_ws.publish / "trajectory_status_history.csv").read_text()
    assert history == (weekly_ws.publish / "trajectory_status_history.csv").read_text()


@pytest.mark.long(100)
@pytest.mark.xdist_group("backfilled_in_chunks")
def test_backfill_on_a_dask_cluster_gives_identical_output(backfilled_in_chunks, synthetic_inbox, tmp_path):
    from distributed import LocalCluster
    from prefect_dask import DaskTaskRunner

    _, _, on_threads = backfilled_in_chunks
    # The cluster's processes report their task runs to the run's server, named by PREFECT_API_URL
    # (tests/conftest.py), as a deployed cluster reports to the configured one; unset, each would start its own.
    assert os.environ["PREFECT_API_URL"]
    dask_ws = workspace_from(synthetic_inbox, tmp_path / "dask")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = run_backfill(
            dask_ws.root,
            DATE_FROM,
            DATE_TO,
            files_per_chunk=4,
            task_runner=DaskTaskRunner(address=cluster.scheduler_address),
        )
        assert len(summary.accepted) == len(list((synthetic_inbox / "inbox" / "weekly").iterdir())) + 2 - len(
            summary.quarantined
        )
    assert published_digests(dask_ws) == on_threads
