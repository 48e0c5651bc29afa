"""The weekly flow end to end on Prefect's ephemeral server and a real DuckDB file."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime

import polars as pl
import pytest
from conftest import drop_file, published, query

from flows.demo import DEMO_AS_OF, write_sample
from flows.warehouse import PUBLISHED_TABLES, WarehouseBusy, open_warehouse
from flows.weekly import run_weekly

SUMMARY_HEADER = "site_code,week_ending,nhs_days,social_care_days,both_days"
AS_OF = date(2017, 11, 24)


def stamp(day: str) -> float:
    return datetime.fromisoformat(day + "T09:00:00").timestamp()


def digests(ws) -> dict[str, str]:
    return {name: hashlib.sha256((ws.publish / f"{name}.csv").read_bytes()).hexdigest() for name in PUBLISHED_TABLES}


def test_demo_quarantines_bad_files_and_loads_the_rest(demo_run):
    ws, summary = demo_run
    assert sorted(q["file"] for q in summary.quarantined) == [
        "NorthKent_week_2017-11-23.csv",
        "QEQM_correction_2017-10-10.csv",
        "TWH_week_2017-11-16.csv",
    ]
    assert len(summary.accepted) == 67
    assert summary.resubmitted_keys == ["MED 2017-11-23 (MED_week_2017-11-23_resubmitted.csv)"]
    for name in ("NorthKent_week_2017-11-23.csv", "QEQM_correction_2017-10-10.csv", "TWH_week_2017-11-16.csv"):
        assert (ws.quarantine / name).exists() and not (ws.inbox_weekly / name).exists()
        errors = pl.read_csv(ws.quarantine / f"{name}.errors.csv", infer_schema=False)
        assert errors.columns == ["file", "row", "column", "value", "problem"]
        assert errors["file"].unique().to_list() == [name]
    qeqm = pl.read_csv(ws.quarantine / "QEQM_correction_2017-10-10.csv.errors.csv", infer_schema=False)
    assert ("3", "delayed_days", "'-3", "days cannot be negative") in qeqm.select(
        "row", "column", "value", "problem"
    ).rows()
    assert query(
        ws,
        "select count(*) from weekly_return_rows where file_id in "
        "(select file_id from submission_files where status = 'rejected')",
    ) == [(0,)]
    rejected = query(ws, "select file_name, problem_count from submission_files where status = 'rejected' order by 1")
    assert rejected == [
        ("NorthKent_week_2017-11-23.csv", 1),
        ("QEQM_correction_2017-10-10.csv", 4),
        ("TWH_week_2017-11-16.csv", 1),
    ]


def test_rows_carry_lineage(demo_run):
    ws, _ = demo_run
    [(file_name, content_hash, received_at, row_number)] = query(
        ws,
        """
        select f.file_name, f.content_hash, f.received_at, r.row_number
        from weekly_return_rows r join submission_files f using (file_id)
        where r.site_code = 'DVH' and r.week_ending = date '2017-09-14' and r.responsible_org = 'NHS'""",
    )
    assert file_name == "DVH_week_2017-09-14.csv" and row_number == 2
    assert content_hash == hashlib.sha256((ws.inbox_weekly / file_name).read_bytes()).hexdigest()
    assert received_at == datetime(2017, 9, 15, 9, 0).astimezone(UTC)  # the file's local mtime, stored as an instant


def test_resubmission_replaces_and_keeps_the_earlier_version(demo_run):
    ws, _ = demo_run
    med = published(ws, "weekly_site_summary").filter(pl.col("site_code") == "MED")
    last = med.filter(pl.col("week_ending").cast(pl.String) == "2017-11-23").row(0, named=True)
    assert (last["nhs_days"], last["social_care_days"], last["total_days"]) == (1, 3, 4)  # corrected, not doubled
    superseded = query(
        ws,
        "select file_name, sum(delayed_days) filter (where la_code = 'E10000016') "
        "from stg_superseded_returns group by file_name",
    )
    assert superseded == [("MED_week_2017-11-23.csv", 8)]


def test_rerun_changes_nothing(demo_run):
    ws, _ = demo_run
    before = digests(ws)
    rows_before = query(ws, "select count(*) from weekly_return_rows")
    summary = run_weekly(ws.root, AS_OF)
    assert summary.accepted == [] and summary.quarantined == []
    assert summary.already_processed == 67
    assert digests(ws) == before
    assert query(ws, "select count(*) from weekly_return_rows") == rows_before


def test_changed_file_with_the_same_name_is_a_resubmission(workspace):
    drop_file(
        workspace,
        "dvh.csv",
        f"{SUMMARY_HEADER}\nDVH,2017-09-07,105,109,0\nDVH,2017-09-14,126,93,0\n",
        stamp("2017-09-15"),
    )
    first = run_weekly(workspace.root, AS_OF)
    assert first.weeks_loaded == ["DVH 2017-09-07", "DVH 2017-09-14"]
    drop_file(workspace, "dvh.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-14,120,90,2\n", stamp("2017-09-16"))
    second = run_weekly(workspace.root, AS_OF)
    assert second.resubmitted_keys == ["DVH 2017-09-14 (dvh.csv)"]
    weekly = published(workspace, "weekly_site_summary").select("week_ending", "nhs_days", "both_days", "total_days")
    assert weekly.with_columns(pl.col("week_ending").cast(pl.String)).rows() == [
        ("2017-09-07", 105, 0, 214),
        ("2017-09-14", 120, 2, 212),
    ]
    assert query(workspace, "select count(*) from stg_superseded_returns") == [(3,)]
    monthly = published(workspace, "monthly_site_summary").row(0, named=True)
    assert (monthly["nhs_days"], monthly["total_days"]) == (225, 426)


def test_quarantined_file_is_kept_byte_for_byte_and_the_run_goes_on(workspace):
    bad_bytes = f"{SUMMARY_HEADER}\nDVH,2017-09-07,105,-1,0\n".encode()
    (workspace.inbox_weekly / "bad.csv").write_bytes(bad_bytes)
    drop_file(workspace, "good.csv", f"{SUMMARY_HEADER}\nMED,2017-09-07,33,24,0\n")
    summary = run_weekly(workspace.root, AS_OF)
    assert [a["file"] for a in summary.accepted] == ["good.csv"]
    assert (workspace.quarantine / "bad.csv").read_bytes() == bad_bytes
    assert (workspace.quarantine / "bad.csv.errors.csv").read_text() == (
        "file,row,column,value,problem\nbad.csv,2,social_care_days,'-1,days cannot be negative\n"
    )
    assert published(workspace, "weekly_site_summary")["site_code"].to_list() == ["MED"]


def test_calendar_month_rule_splits_a_week_by_date(workspace, monkeypatch):
    # week ending Thursday 5 Oct 2017 covers 29-30 Sep (2 days) and 1-5 Oct (5 days)
    drop_file(workspace, "med.csv", f"{SUMMARY_HEADER}\nMED,2017-10-05,14,7,0\n")
    monkeypatch.setenv("DTOC_MONTH_RULE", "calendar")
    run_weekly(workspace.root, AS_OF)
    monthly = published(workspace, "monthly_site_summary").select("month", "nhs_days", "social_care_days", "total_days")
    assert monthly.rows() == [
        ("2017-09", pytest.approx(4.0), pytest.approx(2.0), pytest.approx(6.0)),
        ("2017-10", pytest.approx(10.0), pytest.approx(5.0), pytest.approx(15.0)),
    ]
    monkeypatch.setenv("DTOC_MONTH_RULE", "week_ending")
    run_weekly(workspace.root, AS_OF)
    assert published(workspace, "monthly_site_summary").select("month", "total_days").rows() == [("2017-10", 21.0)]


def test_share_and_rag_come_from_settings(workspace, monkeypatch):
    drop_file(workspace, "kmpt.csv", f"{SUMMARY_HEADER}\nKMPT,2017-09-14,21,16,24\n")
    (workspace.settings_file).write_text(
        "both_share_to_social_care = 1.0\nrag_target_pct_social_care = 50.0\nrag_red_pct_social_care = 60.0\n"
    )
    run_weekly(workspace.root, AS_OF)
    week = published(workspace, "weekly_site_summary").row(0, named=True)
    assert (week["att_social_care_days"], week["att_nhs_days"]) == (40.0, 21.0)
    kpi = published(workspace, "kpi_monthly").row(0, named=True)
    assert kpi["pct_att_social_care"] == pytest.approx(40 / 61 * 100)
    assert (kpi["target_pct"], kpi["rag"]) == (50.0, "RED")
    monkeypatch.setenv("DTOC_RAG_RED_PCT_SOCIAL_CARE", "0")
    run_weekly(workspace.root, AS_OF)
    assert published(workspace, "kpi_monthly")["rag"].to_list() == ["AMBER"]


def test_weeks_after_as_of_are_not_published(workspace):
    drop_file(workspace, "dvh.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\nDVH,2017-09-14,2,0,0\n")
    run_weekly(workspace.root, date(2017, 9, 20))
    run_weekly(workspace.root, date(2017, 9, 10))  # an earlier as-of sees only the weeks up to it
    assert published(workspace, "weekly_site_summary")["total_days"].to_list() == [1]


def test_run_summary_artifacts(demo_run):
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    _, summary = demo_run

    async def of_the_demo_run(key: str):
        async with get_client() as client:
            [found] = await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=[key]), flow_run_id=ArtifactFilterFlowRunId(any_=[summary.flow_run_id])
                )
            )
            return found

    markdown = asyncio.run(of_the_demo_run("weekly-dtoc-run-summary")).data
    assert "Files accepted: **67**; quarantined: **3**" in markdown
    assert "`TWH_week_2017-11-16.csv` (1 problem(s)): file: this is an Excel workbook with a .csv name" in markdown
    table = asyncio.run(of_the_demo_run("weekly-dtoc-files")).data
    assert '"quarantined"' in table and "NorthKent_week_2017-11-23.csv" in table


def test_every_step_of_the_weekly_run_is_a_prefect_task_in_order(workspace, prefect_server_with_every_service):
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    write_sample(workspace.inbox_weekly)
    summary = run_weekly(workspace.root, DEMO_AS_OF)
    steps = [
        "discover_new_files",
        "validate_submissions",
        "load_submissions",
        "quarantine_rejected",
        "attribute_and_reconcile",
        "resubmissions",
        "keep_trajectory_snapshot",
        "raise_alerts",
        "document_validations",
        "publish",
        "report_run",
    ]
    with get_client(sync_client=True) as client:
        for _ in range(50):  # the server records task runs from events, a moment after they happen
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[summary.flow_run_id])))
            if len(runs) >= len(steps) and all(run.start_time for run in runs):
                break
            time.sleep(0.2)
    ran = [run.name.rsplit("-", 1)[0] for run in sorted(runs, key=lambda run: run.start_time)]
    assert ran == steps


HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from flows.warehouse import open_warehouse
    with open_warehouse(Path(sys.argv[1]), 5):
        print("holding", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def test_second_run_waits_then_stops_with_a_clear_message(workspace):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(workspace.warehouse), "30"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(WarehouseBusy, match=r"in use by another dtoc run \(pid \d+ since .*\); waited 0.5 s"):
            with open_warehouse(workspace.warehouse, 0.5):
                pass
    finally:
        holder.kill()
        holder.wait()
    with open_warehouse(workspace.warehouse, 5) as con:  # free again once the holder is gone
        assert con.execute("select count(*) from submission_files").fetchone() == (0,)


def test_second_run_that_can_wait_goes_ahead(workspace):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(workspace.warehouse), "1"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "holding"
    drop_file(workspace, "dvh.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\n")
    summary = run_weekly(workspace.root, AS_OF)
    holder.wait()
    assert [a["file"] for a in summary.accepted] == ["dvh.csv"]


KILLED_MID_LOAD = textwrap.dedent("""
    import os, signal, sys
    from datetime import UTC, date, datetime
    from pathlib import Path
    from flows.validate import Reference, check_submissions
    from flows.warehouse import insert_file_record, insert_return_rows, open_warehouse
    from flows.workspace import open_workspace
    ws = open_workspace(sys.argv[1])
    [checked] = check_submissions([ws.inbox_weekly / "second.csv"], Reference.load(ws.reference), ws.settings(),
                                  date(2017, 11, 24))
    with open_warehouse(ws.warehouse, 5) as con:
        con.begin()  # the same steps record_submission takes inside its transaction...
        file_id = insert_file_record(con, checked, datetime.now(), date(2017, 11, 24))
        insert_return_rows(con, file_id, checked.returns)
        os.kill(os.getpid(), signal.SIGKILL)  # ...and the process dies before the commit
""")


def test_run_killed_mid_load_leaves_the_warehouse_as_before_that_file(workspace):
    drop_file(workspace, "first.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\n", stamp("2017-09-08"))
    run_weekly(workspace.root, AS_OF)
    drop_file(workspace, "second.csv", f"{SUMMARY_HEADER}\nMED,2017-09-07,5,0,0\n", stamp("2017-09-09"))
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MID_LOAD, str(workspace.root)], capture_output=True, text=True
    )
    assert killed.returncode == -9, killed.stderr
    assert query(workspace, "select file_name from submission_files") == [("first.csv",)]
    assert query(workspace, "select site_code, count(*) from weekly_return_rows group by 1") == [("DVH", 3)]
    summary = run_weekly(workspace.root, AS_OF)  # the next run loads the file that was interrupted
    assert [a["file"] for a in summary.accepted] == ["second.csv"]
    assert sorted(published(workspace, "weekly_site_summary")["site_code"].to_list()) == ["DVH", "MED"]


def test_published_csvs_have_the_documented_columns(demo_run):
    ws, _ = demo_run
    measures = [
        "nhs_days",
        "social_care_days",
        "both_days",
        "att_nhs_days",
        "att_social_care_days",
        "total_days",
        "pct_att_social_care",
    ]
    assert published(ws, "weekly_site_summary").columns == [
        "week_ending",
        "provider_code",
        "site_code",
        "site_name",
        "care_type",
        *measures,
        "direction",
        "avg_12wk_total_days",
    ]
    assert published(ws, "monthly_site_summary").columns == [
        "month",
        "site_code",
        "site_name",
        "provider_code",
        *measures,
    ]
    assert published(ws, "monthly_provider_summary").columns == ["month", "provider_code", "provider_name", *measures]
    assert published(ws, "kpi_monthly").columns == ["month", "la_code", "pct_att_social_care", "target_pct", "rag"]
    assert not any(p.name.endswith(".partial") for p in ws.publish.iterdir())
    assert os.path.getsize(ws.publish / "weekly_site_summary.csv") > 0
