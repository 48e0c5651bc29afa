"""Findings of a sceptical review with inputs a new analyst might send.

Each test failed before its fix: a crash, another workspace's file read, a silent skip, or a
message that did not say what was wrong.
"""

from __future__ import annotations

import shutil
from datetime import date

import polars as pl
import pytest
from conftest import check

from flows.demo import DEMO_AS_OF
from flows.validate import Reference
from flows.workspace import load_settings

AS_OF = date(2017, 11, 24)
SUMMARY_HEADER = "site_code,week_ending,nhs_days,social_care_days,both_days"


def test_a_csv_header_typing_the_same_column_twice_is_refused_not_a_crash(workspace):
    # Before the fix, polars raised DuplicateError while naming the columns and the whole
    # `dtoc run` failed (and kept failing while the file stayed in the inbox).
    result = check(
        workspace,
        "dup.csv",
        "site_code,week_ending,nhs_days,nhs_days,social_care_days,both_days\nDVH,2017-11-23,105,1,109,0\n",
    )
    assert not result.accepted
    assert [p.problem for p in result.problems] == ["the header names column nhs_days more than once"]


def test_a_rerun_at_the_same_as_of_after_a_late_return_still_publishes_the_history(demo_run, tmp_path):
    # Every snapshot is kept (a later run for the same as-of that saw different figures adds
    # snapshot 2), but the history's output suite keyed on (as_of, month, provider_code) only, so
    # the second run withheld trajectory_status_history.csv: "provider RN7 appears more than once".
    from flows.weekly import run_weekly

    ws, _ = demo_run
    copy = tmp_path / "copy"
    shutil.copytree(ws.root, copy, ignore=shutil.ignore_patterns("warehouse.lock"))
    (copy / "inbox" / "weekly" / "DVH_late_correction.csv").write_text(
        f"{SUMMARY_HEADER}\nDVH,2017-11-23,100,100,0\n", encoding="utf-8"
    )
    summary = run_weekly(copy, DEMO_AS_OF)
    assert "DVH 2017-11-23 (DVH_late_correction.csv)" in summary.resubmitted_keys
    assert [n["file"] for n in summary.not_published if n["file"].startswith("trajectory_status_history")] == []
    history = pl.read_csv(copy / "publish" / "trajectory_status_history.csv")
    assert sorted(history.filter(pl.col("as_of") == str(DEMO_AS_OF))["snapshot"].unique().to_list()) == [1, 2]


def test_the_demo_publishes_every_table_including_the_dashboard(demo_run):
    _, summary = demo_run
    assert summary.not_published == []


def test_a_row_longer_than_the_header_is_refused_with_its_row(workspace):
    result = check(workspace, "long.csv", f"{SUMMARY_HEADER}\nDVH,2017-11-23,5,1,0\nMED,2017-11-23,5,1,0,extra\n")
    assert not result.accepted
    [problem] = result.problems
    assert problem.row == 3 and "Schema" not in problem.problem, problem.as_dict()


def test_sites_csv_with_excel_blank_rows_at_the_end_does_not_stop_the_run(workspace):
    # Excel saves trailing empty rows as ",,,,,"; the reference checks skipped them, but the
    # trajectory check then met a site with no provider and every run stopped with
    # "TypeError: '<' not supported between instances of 'NoneType' and 'str'".
    import duckdb

    from flows.reference_checks import check_reference_files, register_reference_frames
    from flows.trajectory import check_bcf_trajectory
    from flows.warehouse import check_sites_kept

    sites = workspace.reference / "sites.csv"
    sites.write_bytes(b"\xef\xbb\xbf" + sites.read_bytes() + b",,,,,\n\n  \n")
    check_reference_files(workspace, load_settings(workspace.settings_file))
    reference = Reference.load(workspace.reference)
    assert reference.sites.height == 10 and reference.sites["provider_code"].null_count() == 0
    trajectory, problems = check_bcf_trajectory(workspace.reference, reference)
    assert problems == []
    con = duckdb.connect()
    register_reference_frames(con, workspace.reference)
    assert con.execute("select count(*), count(site_code) from sites_csv").fetchone() == (10, 10)
    con.execute("create table weekly_return_rows (site_code varchar, week_ending date, file_id integer)")
    con.execute("create table submission_files (file_id integer, status varchar)")
    check_sites_kept(con, workspace.reference)  # does not raise


def test_the_sites_kept_check_reads_its_own_workspace_when_the_path_has_brackets(tmp_path):
    # polars expands [, * and ? in a path: a workspace under "g[1]" had its sites.csv check read
    # "g1/reference/sites.csv", another folder's file, and refuse (or pass) on its content.
    import duckdb

    from flows.warehouse import SitesRemoved, check_sites_kept
    from flows.workspace import open_workspace

    mine = open_workspace(tmp_path / "g[1]" / "work")
    other = open_workspace(tmp_path / "g1" / "work")
    lines = (other.reference / "sites.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (other.reference / "sites.csv").write_text(
        "".join(line for line in lines if not line.startswith("VCNK,")), encoding="utf-8"
    )
    con = duckdb.connect()
    con.execute("create table weekly_return_rows (site_code varchar, week_ending date, file_id integer)")
    con.execute("create table submission_files (file_id integer, status varchar)")
    con.execute("insert into submission_files values (1, 'accepted')")
    con.execute("insert into weekly_return_rows values ('VCNK', date '2017-09-07', 1)")
    check_sites_kept(con, mine.reference)  # its own sites.csv lists VCNK
    with pytest.raises(SitesRemoved, match="VCNK"):
        check_sites_kept(con, other.reference)


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_file_separated_by_semicolons_or_tabs_is_named_as_such(workspace, separator):
    header = SUMMARY_HEADER.replace(",", separator)
    result = check(workspace, "sep.csv", f"{header}\nDVH{separator}2017-11-23{separator}5{separator}1{separator}0\n")
    assert not result.accepted
    assert any(word in result.problems[0].problem for word in ("semicolon", "tab", "separat", "delimit")), (
        result.problems[0].as_dict()
    )


def test_a_file_with_carriage_return_line_ends_is_read_or_named_as_such(workspace):
    result = check(workspace, "cr.csv", f"{SUMMARY_HEADER}\rDVH,2017-11-23,105,109,0\r".encode())
    assert result.accepted or any("line" in p.problem for p in result.problems), [p.as_dict() for p in result.problems]


def test_a_folder_of_returns_in_the_inbox_is_named_in_the_run_summary(workspace):
    from flows.weekly import run_weekly

    folder = workspace.inbox_weekly / "Nov returns"
    folder.mkdir()
    (folder / "TWH_week_2017-09-07.csv").write_text(f"{SUMMARY_HEADER}\nTWH,2017-09-07,5,1,0\n", encoding="utf-8")
    summary = run_weekly(workspace.root, date(2017, 9, 8))
    assert summary.accepted == []  # the file inside is not read (fine), but the folder must be named
    told = [str(item) for item in (*summary.warnings, *summary.quarantined, *summary.deferred)]
    assert any("Nov returns" in line for line in told), told


def test_an_excel_owner_file_is_not_taken_for_a_return(workspace):
    from flows.pipeline import inbox_files

    owner = workspace.inbox_weekly / "~$MTW_week_2017-11-23.xlsx"
    owner.write_bytes(b"\x0bJane Smith" + b" " * 40 + b"\x00\x00")
    assert owner not in inbox_files(workspace.inbox_weekly)
