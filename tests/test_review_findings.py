"""Findings of a sceptical review with inputs a new analyst might send.

A test marked xfail(strict=True) describes a defect that is still real: it fails today, and will
turn the suite red (XPASS) once the defect is fixed, so the mark must then be removed.
"""

from __future__ import annotations

from datetime import date

from flows.validate import Reference, check_submissions
from flows.workspace import load_settings

AS_OF = date(2017, 11, 24)
SUMMARY_HEADER = "site_code,week_ending,nhs_days,social_care_days,both_days"


def check(workspace, name: str, content: str | bytes):
    path = workspace.inbox_weekly / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    [result] = check_submissions([path], Reference.load(workspace.reference),
                                 load_settings(workspace.settings_file), AS_OF)
    return result


def test_a_csv_header_typing_the_same_column_twice_is_refused_not_a_crash(workspace):
    # Before the fix, polars raised DuplicateError while naming the columns and the whole
    # `dtoc run` failed (and kept failing while the file stayed in the inbox).
    result = check(workspace, "dup.csv", "site_code,week_ending,nhs_days,nhs_days,social_care_days,both_days\n"
                                         "DVH,2017-11-23,105,1,109,0\n")
    assert not result.accepted
    assert [p.problem for p in result.problems] == ["the header names column nhs_days more than once"]
