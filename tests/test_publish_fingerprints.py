"""A month's reconciliation, gap table and report are written again only when something they show changed."""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import date

from test_national import SUMMARY_HEADER, extract_text, row

from flows.national import run_national
from flows.weekly import run_weekly
from flows.workspace import open_workspace

AS_OF = date(2017, 11, 24)
MONTH_FILES = ("reconciliation_{}.csv", "gap_decomposition_{}.csv", "dtoc_report_{}.xlsx")


def month_files(ws, months):
    return [ws.publish / pattern.format(month) for month in months for pattern in MONTH_FILES]


def digests(paths):
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


def age(paths):
    for path in paths:
        os.utime(path, (1, 1))


def rewritten(paths):
    return sorted(path.name for path in paths if path.stat().st_mtime != 1)


def test_unchanged_months_are_not_written_again_and_bytes_match_a_fresh_run(tmp_path, workspace):
    (workspace.inbox_weekly / "dvh.csv").write_text(f"{SUMMARY_HEADER}\nDVH,2017-09-07,12,6,2\n")
    (workspace.inbox_national / "aug.csv").write_text(extract_text([row(period="AUGUST")]))
    (workspace.inbox_national / "sept.csv").write_text(extract_text([row(nhs="25")]))
    run_weekly(workspace.root, AS_OF)
    run_national(workspace.root, AS_OF)
    first = month_files(workspace, ["2017-08", "2017-09"])
    age(first)
    again = run_national(workspace.root, AS_OF)
    assert again.reconciled_months == ["2017-08", "2017-09"]
    assert rewritten(first) == []  # nothing changed: nothing written

    (workspace.inbox_national / "oct.csv").write_text(extract_text([row(period="OCTOBER", nhs="7")]))
    run_national(workspace.root, AS_OF)
    assert rewritten(first) == []
    assert all(path.exists() for path in month_files(workspace, ["2017-10"]))

    (workspace.inbox_national / "sept_again.csv").write_text(extract_text([row(nhs="26")]))
    run_national(workspace.root, AS_OF)
    assert rewritten(first) == ["dtoc_report_2017-09.xlsx", "gap_decomposition_2017-09.csv",
                                "reconciliation_2017-09.csv"]

    later = date(2017, 12, 1)  # the report shows the as-of: every report is written again
    age(first)
    run_national(workspace.root, later)
    assert rewritten(first) == ["dtoc_report_2017-08.xlsx", "dtoc_report_2017-09.xlsx"]

    fresh = open_workspace(tmp_path / "fresh")  # the same inputs in one go give the same bytes
    (fresh.inbox_weekly / "dvh.csv").write_text(f"{SUMMARY_HEADER}\nDVH,2017-09-07,12,6,2\n")
    run_weekly(fresh.root, AS_OF)
    for name in ("aug.csv", "sept.csv", "oct.csv", "sept_again.csv"):
        shutil.copy2(workspace.inbox_national / name, fresh.inbox_national / name)
    run_national(fresh.root, later)
    months = ["2017-08", "2017-09", "2017-10"]
    assert digests(month_files(fresh, months)) == digests(month_files(workspace, months))
