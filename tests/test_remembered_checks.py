"""A BCF trajectory that passed its check is not checked again while nothing the check reads has changed."""

from __future__ import annotations

import json
import shutil
from datetime import date

import polars as pl

from flows.backfill import run_backfill
from flows.data_docs import document_validations
from flows.trajectory import check_bcf_trajectory
from flows.validate import Reference, describe
from flows.weekly import run_weekly

AS_OF = date(2017, 11, 24)
SUMMARY = "site_code,week_ending,nhs_days,social_care_days,both_days\n"


def trajectory_pages(ws) -> list[str]:
    return sorted(str(p) for p in (ws.publish / "data_docs" / "validations" / "bcf_trajectory").rglob("*.html"))


def listed(ws) -> dict[str, dict]:
    return {page["suite"]: page for page in json.loads((ws.publish / "data_docs" / "last_run.json").read_text())}


def test_an_unchanged_trajectory_keeps_its_verdict_and_page_and_a_changed_one_is_checked_again(workspace):
    (workspace.inbox_weekly / "dvh.csv").write_text(f"{SUMMARY}DVH,2017-11-23,12,6,2\n")
    first = run_weekly(workspace.root, AS_OF)
    assert first.trajectory_problems == []
    [page] = trajectory_pages(workspace)
    assert listed(workspace)["bcf_trajectory"]["success"] is True

    second = run_weekly(workspace.root, AS_OF)  # nothing new: no rule run, no page rendered, the verdict kept
    assert second.trajectory_problems == [] and trajectory_pages(workspace) == [page]
    kept = listed(workspace)["bcf_trajectory"]
    assert kept["success"] is True and (workspace.publish / "data_docs" / kept["page"]).is_file()
    planned = pl.read_csv(workspace.publish / "trajectory_status.csv")["planned_days"].sum()
    assert planned > 0  # the remembered trajectory is still the one the figures use

    good = (workspace.reference / "bcf_trajectory.csv").read_text()
    bad = good + "E10000016,2017-11,ZZZ,NHS,-1\n"
    (workspace.reference / "bcf_trajectory.csv").write_text(bad)
    for _ in range(2):  # a failing check is never remembered: each run says why again
        failing = run_weekly(workspace.root, AS_OF)
        assert any("provider_code = 'ZZZ'" in p for p in failing.trajectory_problems)
        assert (workspace.quarantine / "bcf_trajectory.csv.errors.csv").exists()
        assert listed(workspace)["bcf_trajectory"]["success"] is False
    assert len(trajectory_pages(workspace)) == 3

    (workspace.reference / "bcf_trajectory.csv").write_text(good)  # changed back: checked again, then remembered
    restored = run_weekly(workspace.root, AS_OF)
    assert restored.trajectory_problems == [] and not (workspace.quarantine / "bcf_trajectory.csv.errors.csv").exists()
    assert len(trajectory_pages(workspace)) == 4 and listed(workspace)["bcf_trajectory"]["success"] is True
    assert pl.read_csv(workspace.publish / "trajectory_status.csv")["planned_days"].sum() == planned

    shutil.rmtree(workspace.publish / "data_docs")  # no page left to link: checked (and documented) again
    run_weekly(workspace.root, AS_OF)
    [page] = trajectory_pages(workspace)
    assert listed(workspace)["bcf_trajectory"]["success"] is True

    # a valid edit checked by a backfill (which keeps no Data Docs): the next run checks it again, so that
    # the page it links is a validation of the file as it is now, not of the earlier version
    checked = listed(workspace)["bcf_trajectory"]["checked"]
    (workspace.reference / "bcf_trajectory.csv").write_text(good.replace(",NHS,", ",NHS,1", 1))
    run_backfill(workspace.root, date(2017, 11, 1), AS_OF, sources=["weekly"])
    run_weekly(workspace.root, AS_OF)
    assert len(trajectory_pages(workspace)) == 2 and listed(workspace)["bcf_trajectory"]["checked"] != checked


def test_the_remembered_check_covers_the_codes_the_trajectory_is_checked_against(workspace, tmp_path):
    docs = tmp_path / "data_docs"
    reference = Reference.load(workspace.reference)

    def check(reference) -> tuple:
        journal: list = []
        rows, problems = check_bcf_trajectory(workspace.reference, reference, journal, docs)
        document_validations(tmp_path, docs, journal, "weekly", AS_OF)
        return rows, problems, journal

    rows, problems, journal = check(reference)
    assert problems == [] and rows.height > 0 and journal[0][2] is not None
    again, problems, journal = check(reference)
    assert problems == [] and again.equals(rows) and journal == [("bcf_trajectory", ["bcf_trajectory.csv"], None)]

    # the trajectory's provider is dropped from sites.csv: the same trajectory bytes now fail
    provider = pl.read_csv(workspace.reference / "bcf_trajectory.csv", infer_schema=False)["provider_code"][0]
    sites = pl.read_csv(workspace.reference / "sites.csv", infer_schema=False)
    sites.filter(pl.col("provider_code") != provider).write_csv(workspace.reference / "sites.csv")
    rows, problems, journal = check(Reference.load(workspace.reference))
    assert rows.height == 0 and any(f"provider_code = '{provider}'" in describe(p.as_dict()) for p in problems)
    assert journal[0][2] is not None
    _, problems, journal = check(Reference.load(workspace.reference))  # a failed check is checked again
    assert problems and journal[0][2] is not None
