"""One test per validation rule: the reported row, column, value and the analyst's message."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from conftest import check

from flows.validate import Reference, check_submissions
from flows.workspace import load_settings

AS_OF = date(2017, 11, 24)
DETAIL_HEADER = "site_code,week_ending,la_code,care_type,responsible_org,reason_code,delayed_days"
SUMMARY_HEADER = "site_code,week_ending,nhs_days,social_care_days,both_days"
GOOD_DETAIL = "DVH,2017-09-07,E10000016,acute,NHS,C,10"


def problems(result) -> list[tuple]:
    return [(p.row, p.column, p.value, p.problem) for p in result.problems]


DETAIL_RULES = [
    # (bad row, expected row, column, value, words in the problem)
    ("XYZ,2017-09-07,E10000016,acute,NHS,C,10", "site_code", "XYZ", "not in reference/sites.csv"),
    (",2017-09-07,E10000016,acute,NHS,C,10", "site_code", "", "site code is empty"),
    ("DVH,,E10000016,acute,NHS,C,10", "week_ending", "", "week ending date is empty"),
    (
        "DVH,7th Sept,E10000016,acute,NHS,C,10",
        "week_ending",
        "7th Sept",
        "not a date; write it as YYYY-MM-DD or DD/MM/YYYY",
    ),
    ("DVH,2017-02-30,E10000016,acute,NHS,C,10", "week_ending", "2017-02-30", "not a date"),
    (
        "DVH,2017-09-05,E10000016,acute,NHS,C,10",
        "week_ending",
        "2017-09-05",
        "is a Tuesday; weeks must end on a Thursday",
    ),
    ("DVH,2017-11-30,E10000016,acute,NHS,C,10", "week_ending", "2017-11-30", "after the run's as-of date 2017-11-24"),
    ("DVH,2017-09-07,886,acute,NHS,C,10", "la_code", "886", "not an ONS code in reference/local_authorities.csv"),
    (
        "DVH,2017-09-07,E10000016,mental health,NHS,C,10",
        "care_type",
        "mental health",
        "care type must be acute or non-acute",
    ),
    ("DVH,2017-09-07,E10000016,acute,Council,C,10", "responsible_org", "Council", "must be NHS, Social Care or Both"),
    ("DVH,2017-09-07,E10000016,acute,NHS,Z,10", "reason_code", "Z", "not a national delay reason"),
    ("DVH,2017-09-07,E10000016,acute,NHS,A,", "delayed_days", "", "number of days is empty"),
    ("DVH,2017-09-07,E10000016,acute,NHS,A,ten", "delayed_days", "ten", "not a whole number of days"),
    ("DVH,2017-09-07,E10000016,acute,NHS,A,2.5", "delayed_days", "2.5", "not a whole number of days"),
    ("DVH,2017-09-07,E10000016,acute,NHS,A,-4", "delayed_days", "-4", "days cannot be negative"),
]


@pytest.mark.parametrize(
    "bad_row, column, value, words", DETAIL_RULES, ids=[r[1] + ":" + r[3][:25] for r in DETAIL_RULES]
)
def test_detail_rule_reports_row_column_value_and_problem(workspace, bad_row, column, value, words):
    result = check(workspace, "dvh.csv", f"{DETAIL_HEADER}\n{GOOD_DETAIL}\n{bad_row}\n")
    assert not result.accepted and result.returns is None
    found = problems(result)
    assert found, "the bad row was accepted"
    row, reported_column, reported_value, problem = found[0]
    assert (row, reported_column, reported_value) == (3, column, value)
    assert words in problem
    assert all(p[0] == 3 for p in found), "only the bad row (file row 3) is reported"


@pytest.mark.parametrize(
    "bad_row, column, value, words",
    [
        ("MED,2017-09-07,-1,0,0", "nhs_days", "-1", "days cannot be negative"),
        ("MED,2017-09-07,1,x,0", "social_care_days", "x", "not a whole number of days"),
        ("MED,2017-09-07,1,0,", "both_days", "", "number of days is empty"),
        ("MED,07/09/2017x,1,0,0", "week_ending", "07/09/2017x", "not a date"),
    ],
)
def test_summary_rule_reports_row_column_value_and_problem(workspace, bad_row, column, value, words):
    result = check(workspace, "med.csv", f"{SUMMARY_HEADER}\nMED,14/09/2017,1,2,3\n{bad_row}\n")
    assert problems(result)[0][:3] == (3, column, value)
    assert words in problems(result)[0][3]


def test_patients_delayed_must_be_a_whole_number(workspace):
    result = check(
        workspace,
        "p.csv",
        f"{DETAIL_HEADER},patients_delayed\n{GOOD_DETAIL},2\nDVH,2017-09-07,E10000016,acute,NHS,A,3,lots\n",
    )
    assert problems(result) == [(3, "patients_delayed", "lots", "patients delayed must be a whole number 0 or more")]


def test_duplicate_key_in_a_file_names_both_rows(workspace):
    result = check(workspace, "dup.csv", f"{DETAIL_HEADER}\n{GOOD_DETAIL}\nDVH,07/09/2017,E10000016,Acute,nhs,c,4\n")
    found = problems(result)
    assert [p[0] for p in found] == [2, 3]
    assert found[0][1] == "site_code+week_ending+la_code+care_type+responsible_org+reason_code"
    assert found[0][2] == "DVH/2017-09-07/E10000016/acute/NHS/C"
    assert "appears more than once in this file" in found[0][3]


def test_summary_duplicate_site_week(workspace):
    result = check(workspace, "dup.csv", f"{SUMMARY_HEADER}\nMED,2017-09-07,1,2,3\nMED,2017-09-07,1,2,3\n")
    assert [p[:2] for p in problems(result)] == [
        (2, "site_code+week_ending+la_code"),
        (3, "site_code+week_ending+la_code"),
    ]


def test_site_week_above_seven_times_beds(workspace):
    # KMPT has 250 beds: at most 1,750 delayed days in a week, summed over the file's rows for that week
    result = check(
        workspace,
        "kmpt.csv",
        f"{DETAIL_HEADER}\n"
        "KMPT,2017-09-07,E10000016,non-acute,NHS,C,1000\n"
        "KMPT,2017-09-07,E10000016,non-acute,Social Care,E,751\n"
        "KMPT,2017-09-14,E10000016,non-acute,NHS,C,1750\n",
    )
    assert problems(result) == [
        (
            2,
            "delayed_days",
            "1751",
            "site KMPT reports 1751 delayed days in the week ending 2017-09-07, more than 7 x its 250 beds (1750)",
        )
    ]


def test_missing_required_column_is_named(workspace):
    result = check(
        workspace,
        "nocol.csv",
        "site_code,week_ending,la_code,care_type,responsible_org,delayed_days\nDVH,2017-09-07,E10000016,acute,NHS,10\n",
    )
    assert problems(result) == [
        (1, "reason_code", "", "required column reason_code is missing from the header of this detail-layout file")
    ]


def test_unrecognised_header_names_both_layouts(workspace):
    result = check(workspace, "odd.csv", "hospital,date,count\nDVH,2017-09-07,3\n")
    [(row, column, value, problem)] = problems(result)
    assert (row, value) == (1, "hospital,date,count")
    assert "matches neither layout" in problem and "nhs_days" in problem and "delayed_days" in problem


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"\n\n  \n", "the file is empty"),
        ("binary.csv", bytes(range(256)) * 4, "binary"),
        ("utf16.csv", (SUMMARY_HEADER + "\nDVH,2017-09-07,1,2,3\n").encode("utf-16"), "UTF-16"),
        (
            "latin1.csv",
            "site_code,week_ending,nhs_days,social_care_days,both_days\nDVH,2017-09-07,1,2,3 \xa3\n".encode("latin-1"),
            "not UTF-8 text (byte 0xa3 on line 2)",
        ),
        ("workbook.csv", b"PK\x03\x04" + b"\x00" * 64, "Excel workbook with a .csv name"),
        ("text.xlsx", (SUMMARY_HEADER + "\n").encode(), "not an Excel workbook"),
        ("notes.txt", b"hello", "'.txt' files are not read"),
        ("header_only.csv", (SUMMARY_HEADER + "\n").encode(), "has a header but no rows"),
        (
            "ragged.csv",
            (SUMMARY_HEADER + "\nDVH,2017-09-07,1,2,3,4,5\n").encode(),
            "row 2 has 7 cells but the header has 5",
        ),
        (
            "twice.csv",
            b"site_code,Site Code,week_ending\nDVH,DVH,2017-09-07\n",
            "names column site_code more than once",
        ),
    ],
)
def test_unreadable_files_get_a_message_not_a_stack_trace(workspace, name, content, words):
    result = check(workspace, name, content)
    assert not result.accepted
    assert words in result.problems[0].problem
    assert result.problems[0].file == name


def test_iso_and_uk_dates_both_mean_7_september(workspace):
    result = check(
        workspace, "dates.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\nMED,07/09/2017,2,0,0\nKCH,7/9/2017,3,0,0\n"
    )
    assert result.accepted, problems(result)
    assert set(result.returns["week_ending"].to_list()) == {date(2017, 9, 7)}


def test_aliases_and_header_spelling_are_accepted(workspace):
    result = check(
        workspace,
        "kmpt.csv",
        " Site Code ,WEEK ENDING,LA_Code,Care Type,Responsible Org,Reason For Delay,Delayed Days\n"
        "KMPT,2017-09-14,E10000016,Non Acute,SC,E_CARE_PACKAGE_IN_HOME,5\n"
        "KMPT,2017-09-14,E10000016,non-acute,ASC,di,2\n"
        "KMPT,2017-09-14,E10000016,NON-ACUTE,Joint,A,3\n"
        "KMPT,2017-09-14,E10000016,non-acute,nhs,DII_NURSING_HOME,4\n",
    )
    assert result.accepted, problems(result)
    got = result.returns.select("responsible_org", "reason_code", "care_type", "delayed_days").rows()
    assert got == [
        ("Social Care", "E", "non-acute", 5),
        ("Social Care", "DI", "non-acute", 2),
        ("Both", "A", "non-acute", 3),
        ("NHS", "DII", "non-acute", 4),
    ]


def test_summary_without_la_code_counts_the_home_council_and_takes_care_type_from_the_site(workspace):
    result = check(workspace, "s.csv", f"{SUMMARY_HEADER}\nKCHFT,2017-09-07,26,7,0\n")
    assert result.returns.select("la_code", "care_type", "responsible_org", "reason_code", "delayed_days").rows() == [
        ("E10000016", "non-acute", "Both", "NOT_STATED", 0),
        ("E10000016", "non-acute", "NHS", "NOT_STATED", 26),
        ("E10000016", "non-acute", "Social Care", "NOT_STATED", 7),
    ]


def test_xlsx_with_excel_dates_and_text_dates(workspace):
    import xlsxwriter

    path = workspace.inbox_weekly / "ek.xlsx"
    frame = pl.DataFrame(
        {
            "Site Code": ["KCH", "QEQM"],
            "Week Ending": [date(2017, 9, 7), date(2017, 9, 7)],
            "NHS Days": [167, 62],
            "Social Care Days": [11, 0],
            "Both Days": [0, 0],
        }
    )
    workbook = xlsxwriter.Workbook(str(path))
    frame.write_excel(workbook=workbook)
    workbook.close()
    [result] = check_submissions(
        [path], Reference.load(workspace.reference), load_settings(workspace.settings_file), AS_OF
    )
    assert result.accepted, problems(result)
    assert result.layout == "summary"
    nhs = result.returns.filter(pl.col("responsible_org") == "NHS")
    assert nhs.select("site_code", "week_ending", "delayed_days", "row").rows() == [
        ("KCH", date(2017, 9, 7), 167, 2),
        ("QEQM", date(2017, 9, 7), 62, 3),
    ]


def test_xlsx_problem_rows_are_excel_row_numbers(workspace):
    import xlsxwriter

    path = workspace.inbox_weekly / "mtw.xlsx"
    frame = pl.DataFrame(
        {
            "site_code": ["MAID", "TWH", "TWH"],
            "week_ending": ["07/09/2017", "07/09/2017", "05/09/2017"],
            "nhs_days": [43, 22, 1],
            "social_care_days": [39, 28, 1],
            "both_days": [0, -1, 0],
        }
    )
    workbook = xlsxwriter.Workbook(str(path))
    frame.write_excel(workbook=workbook)
    workbook.close()
    [result] = check_submissions(
        [path], Reference.load(workspace.reference), load_settings(workspace.settings_file), AS_OF
    )
    assert [(p.row, p.column, p.value) for p in result.problems] == [
        (3, "both_days", "-1"),
        (4, "week_ending", "05/09/2017"),
    ]


def test_blank_lines_are_ignored_and_row_numbers_still_match_the_file(workspace):
    result = check(workspace, "gaps.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\n,,,,\nMED,2017-09-07,x,0,0\n")
    assert problems(result) == [
        (
            4,
            "nhs_days",
            "x",
            "is not a whole number of days; write digits only (no decimals or thousands separator or exponent)",
        )
    ]


def test_many_files_are_validated_together_and_problems_stay_with_their_file(workspace):
    good = workspace.inbox_weekly / "good.csv"
    good.write_text(f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\n")
    bad = workspace.inbox_weekly / "bad.csv"
    bad.write_text(f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\nDVH,2017-09-14,-1,0,0\n")
    detail = workspace.inbox_weekly / "detail.csv"
    detail.write_text(f"{DETAIL_HEADER}\n{GOOD_DETAIL}\n")
    results = check_submissions(
        [good, bad, detail], Reference.load(workspace.reference), load_settings(workspace.settings_file), AS_OF
    )
    assert [(r.path.name, r.accepted) for r in results] == [
        ("good.csv", True),
        ("bad.csv", False),
        ("detail.csv", True),
    ]
    assert [(p.file, p.row) for p in results[1].problems] == [("bad.csv", 3)]


def one_complete_validation(frame, suite_name: str, parameters: dict | None = None):
    """The suite's result for the frame from one COMPLETE validation, what validate_frame must equal."""
    import flows.validate as validate

    with validate._GX_LOCK:
        return validate.frame_batch(frame).validate(
            validate.gx_suite(suite_name), expectation_parameters=parameters, result_format="COMPLETE"
        )


def test_gx_results_are_complete_for_failed_rules_and_the_data_docs_pages_those_of_a_complete_validation(
    workspace, tmp_path, monkeypatch
):
    """Passed rules are validated in BASIC, failed ones again in COMPLETE (validate_frame): the problems, every
    failed rule's result and the Data Docs pages are those of one COMPLETE validation of the whole suite."""
    import re

    import flows.validate as validate
    from flows.data_docs import document_validations

    summary = workspace.inbox_weekly / "summary.csv"
    summary.write_text(f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\nXYZ,2017-09-14,-1,0.5,0\nDVH,2017-09-14,2,0,0\n")
    detail = workspace.inbox_weekly / "detail.csv"
    detail.write_text(f"{DETAIL_HEADER}\n{GOOD_DETAIL}\nDVH,2017-09-07,E10000016,acute,Council,C,10\n")
    reference, settings = Reference.load(workspace.reference), load_settings(workspace.settings_file)
    outcomes = {}
    for name, validator in (("basic first", validate.validate_frame), ("complete", one_complete_validation)):
        journal: list = []
        with monkeypatch.context() as patched:
            patched.setattr(validate, "validate_frame", validator)
            results = check_submissions([summary, detail], reference, settings, AS_OF, journal)
        docs = tmp_path / name.replace(" ", "_")
        document_validations(workspace.root, docs, journal, "weekly", AS_OF)
        volatile = (
            r"\d{8}T\d{6}\.\d{6}Z|\d{4}-\d{2}-\d{2}[T ][\d:.]+|[0-9a-f]{8}-[0-9a-f-]{27}|'_run_time_sort': [\d.]+"
        )
        outcomes[name] = (
            [[p.as_dict() for p in result.problems] for result in results],
            [[outcome.to_json_dict() for outcome in result.results] for _, _, result in journal],
            [re.sub(volatile, "~", page.read_text(encoding="utf-8")) for page in sorted(docs.rglob("*.html"))],
        )
    (problems_basic, results_basic, pages_basic), (problems_complete, results_complete, pages_complete) = (
        outcomes["basic first"],
        outcomes["complete"],
    )
    assert problems_basic == problems_complete and len(problems_basic[0]) >= 3 and len(problems_basic[1]) == 1
    failed = 0
    for basic, whole in zip(sum(results_basic, []), sum(results_complete, []), strict=True):
        if not whole["success"]:
            failed += 1
            assert basic == whole  # every failing row's index and value, as COMPLETE gives them
        else:  # a passed rule: the same figures, without COMPLETE's empty lists of failing rows
            assert basic["success"] and basic["result"] == {
                k: v for k, v in whole["result"].items() if k in basic["result"]
            }
            assert all(
                value in ([], "df.filter(items=[], axis=0)")
                for k, value in whole["result"].items()
                if k not in basic["result"]
            )
    assert failed >= 4
    assert len(pages_basic) == 3 and pages_basic == pages_complete  # two validation pages and the index


def test_a_rule_passed_by_mostly_and_many_failed_rules_get_the_results_of_a_complete_validation(monkeypatch):
    """validate_frame validates again in COMPLETE every rule that found failing rows: one passed by `mostly` too
    (its failing rows listed as a COMPLETE validation lists them), and the whole suite at once when many fail."""
    import json

    import great_expectations as gx
    import pandas as pd

    import flows.validate as validate

    document = json.loads(validate.suite_path("reference_sites").read_text(encoding="utf-8"))
    for rule in document["expectations"]:
        if rule["type"] == "expect_column_values_to_match_regex" and rule["kwargs"]["column"] == "beds":
            rule["kwargs"]["mostly"] = 0.5
    suite = gx.ExpectationSuite(**{k: document[k] for k in ("name", "expectations", "meta", "notes") if k in document})
    monkeypatch.setattr(validate, "gx_suite", lambda name: suite)

    def complete(frame):
        return one_complete_validation(frame, "reference_sites").to_json_dict()["results"]

    sites = pd.DataFrame(
        {"site_code": [f"S{i}" for i in range(40)], "beds": [f"x{i}" if i % 4 == 0 else "9" for i in range(40)]}
    )
    sites = sites.assign(site_name="a", provider_code="P1", provider_name="p", care_type="acute", closed_from_date="")
    results = validate.validate_frame(sites, "reference_sites", {}).to_json_dict()["results"]
    [tolerant] = [
        (ours, theirs)
        for ours, theirs in zip(results, complete(sites))
        if "mostly" in theirs["expectation_config"]["kwargs"]
    ]
    assert tolerant[1]["success"] and len(tolerant[1]["result"]["unexpected_index_list"]) == 10
    assert tolerant[0] == tolerant[1]

    broken = sites.assign(site_code=None, site_name=None, care_type="nonsense", beds="x", provider_code=None)
    broken = broken.assign(closed_from_date=None)
    results = validate.validate_frame(broken, "reference_sites", {}).to_json_dict()["results"]
    assert sum(not r["success"] for r in results) > validate.RULES_VALIDATED_AGAIN_ALONE
    assert results == complete(broken)


def test_a_rule_whose_metric_raises_stops_the_validation_with_its_reason():
    """GX reports an exception a rule's metric raised under the metric's id: it is an error, never a failure
    without rows (which would report no problem)."""
    import pandas as pd

    import flows.validate as validate

    frame = pd.DataFrame({"week_ending_date": [pd.Timestamp("2017-09-07"), "2017-09-07"]})
    with validate._GX_LOCK:
        suite = validate.gx_suite("weekly_detail")
        rule = next(e for e in suite.expectations if e.expectation_type == "expect_column_values_to_be_between")
        outcome = validate.frame_batch(frame).validate(
            rule, expectation_parameters={"as_of": pd.Timestamp(AS_OF)}, result_format="BASIC"
        )
    assert not outcome.success and not outcome.exception_info.get("raised_exception")  # GX's shape: keyed by metric
    assert validate.exception_message(outcome)

    class Results:
        results = [outcome]

    with pytest.raises(RuntimeError, match="expect_column_values_to_be_between in weekly_detail could not run"):
        validate.failed_expectations("weekly_detail", Results)
