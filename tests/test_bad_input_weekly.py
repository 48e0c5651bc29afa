"""Bad weekly input is refused with a message, never loaded silently and never allowed to break a run."""

from __future__ import annotations

import io
from datetime import date, datetime

import duckdb
import polars as pl
import pytest
from conftest import check, drop_file, published, query

from flows.pipeline import write_problems
from flows.validate import Reference, check_submissions
from flows.workspace import load_settings

AS_OF = date(2017, 11, 24)
DETAIL_HEADER = "site_code,week_ending,la_code,care_type,responsible_org,reason_code,delayed_days"
SUMMARY_HEADER = "site_code,week_ending,nhs_days,social_care_days,both_days"
GOOD_DETAIL = "DVH,2017-09-07,E10000016,acute,NHS,C,10"
KENT, MEDWAY = "E10000016", "E06000035"


def problems(result) -> list[tuple]:
    return [(p.row, p.column, p.value, p.problem) for p in result.problems]


def stamp(day: str) -> float:
    return datetime.fromisoformat(day + "T09:00:00").timestamp()


# --- 1. blank cells a rule needs -------------------------------------------------------------

BLANK_CELLS = [
    ("DVH,2017-09-07,E10000016,acute,,A,50", "responsible_org", "responsible organisation is empty"),
    ("DVH,2017-09-07,E10000016,,NHS,A,50", "care_type", "care type is empty"),
    ("DVH,2017-09-07,E10000016,acute,NHS,,50", "reason_code", "reason for delay is empty"),
    ("DVH,2017-09-07,E10000016,acute,NHS,A,", "delayed_days", "number of days is empty; write 0 for none"),
    ("DVH,2017-09-07,,acute,NHS,A,50", "la_code", "local authority code is empty"),
]


@pytest.mark.parametrize("bad_row, column, words", BLANK_CELLS, ids=[c for _, c, _ in BLANK_CELLS])
def test_a_blank_cell_a_rule_needs_refuses_the_detail_file(workspace, bad_row, column, words):
    result = check(workspace, "dvh.csv", f"{DETAIL_HEADER}\n{GOOD_DETAIL}\n{bad_row}\n")
    assert not result.accepted and result.returns is None
    [(row, reported_column, value, problem)] = problems(result)
    assert (row, reported_column, value) == (3, column, "")
    assert problem.startswith(words)


def test_a_blank_detail_la_code_is_not_counted_as_the_home_council(workspace):
    result = check(workspace, "dvh.csv", f"{DETAIL_HEADER}\nDVH,2017-09-07,,acute,NHS,A,50\n")
    assert problems(result) == [
        (
            2,
            "la_code",
            "",
            "local authority code is empty; the detail layout needs the patient's council (an ONS code) on every row",
        )
    ]


def test_summary_la_code_defaults_to_home_council_only_when_absent_or_blank(workspace):
    result = check(
        workspace, "s.csv", f"{SUMMARY_HEADER},la_code\nMED,2017-09-07,1,0,0,\nMED,2017-09-14,2,0,0,{MEDWAY}\n"
    )
    assert result.accepted, problems(result)
    nhs = result.returns.filter(pl.col("responsible_org") == "NHS")
    assert nhs.select("week_ending", "la_code", "delayed_days").rows() == [
        (date(2017, 9, 7), KENT, 1),
        (date(2017, 9, 14), MEDWAY, 2),
    ]


# --- 3. columns neither layout knows --------------------------------------------------------


def test_an_unknown_column_refuses_the_file_and_is_named(workspace):
    result = check(workspace, "med.csv", f"{SUMMARY_HEADER},Local Authority\nMED,2017-09-07,10,4,0,{MEDWAY}\n")
    assert not result.accepted
    [(row, column, value, problem)] = problems(result)
    assert (row, column, value) == (1, "local_authority", "Local Authority")
    assert problem.startswith("column local_authority is not part of the summary layout")
    assert "la_code" in problem  # the layout's own columns are listed


def test_a_column_of_the_other_layout_is_refused_too(workspace):
    result = check(workspace, "med.csv", f"{SUMMARY_HEADER},patients_delayed\nMED,2017-09-07,10,4,0,3\n")
    assert [p[:3] for p in problems(result)] == [(1, "patients_delayed", "patients_delayed")]


def test_notes_columns_are_kept_and_ignored_and_empty_rows_skipped(workspace):
    result = check(
        workspace,
        "med.csv",
        f"{SUMMARY_HEADER},Notes,Comments\n"
        "MED,2017-09-07,10,4,0,late return,=1+1\n"
        ",,,,,,\n"
        "MED,2017-09-14,x,4,0,,\n"
        ",,,,,,\n,,,,,,\n",
    )
    assert problems(result) == [
        (
            4,
            "nhs_days",
            "x",
            "is not a whole number of days; write digits only (no decimals or thousands separator or exponent)",
        )
    ]
    ok = check(workspace, "med2.csv", f"{SUMMARY_HEADER},notes\nMED,2017-09-07,10,4,0,late\n,,,,,\n")
    assert ok.accepted and ok.returns.height == 3


def test_a_headerless_column_holding_values_is_refused_and_empty_ones_ignored(workspace):
    trailing = check(workspace, "t.csv", f"{SUMMARY_HEADER},,\nMED,2017-09-07,10,4,0,,\n")
    assert trailing.accepted, problems(trailing)
    result = check(workspace, "h.csv", f"{SUMMARY_HEADER},\nMED,2017-09-07,10,4,0,\nMED,2017-09-14,1,4,0,{MEDWAY}\n")
    assert problems(result) == [
        (None, "", "", f"column 6 has no header but holds values (row 3: '{MEDWAY}'); give it a header or delete it")
    ]


# --- 5. values written back to people -------------------------------------------------------


def test_errors_csv_never_starts_a_cell_with_a_formula_character():
    rows = [
        {
            "file": "=evil.csv",
            "row": 2,
            "column": "site_code",
            "value": '=HYPERLINK("http://x","click")',
            "problem": "site code is not in reference/sites.csv",
        },
        {"file": "f.csv", "row": 3, "column": "nhs_days", "value": "-5", "problem": "days cannot be negative"},
        {"file": "f.csv", "row": 4, "column": "nhs_days", "value": "+7", "problem": "x"},
        {"file": "f.csv", "row": 5, "column": "site_code", "value": "@SUM(A1)", "problem": "x"},
        {"file": "f.csv", "row": "", "column": "", "value": "\t=1", "problem": "x"},
    ]
    handle = io.StringIO()
    write_problems(handle, rows)
    assert handle.getvalue() == (
        "file,row,column,value,problem\n"
        '\'=evil.csv,2,site_code,"\'=HYPERLINK(""http://x"",""click"")",site code is not in reference/sites.csv\n'
        "f.csv,3,nhs_days,'-5,days cannot be negative\n"
        "f.csv,4,nhs_days,'+7,x\n"
        "f.csv,5,site_code,'@SUM(A1),x\n"
        "f.csv,,,'\t=1,x\n"
    )


# --- 7. numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("text, days", [("07", 7), (" 7 ", 7), ("0", 0), ("12.0", 12)])
def test_whole_numbers_written_as_text_are_read(workspace, text, days):
    result = check(workspace, "n.csv", f'{SUMMARY_HEADER}\nMED,2017-09-07,"{text}",0,0\n')
    assert result.accepted, problems(result)
    assert result.returns.filter(pl.col("responsible_org") == "NHS")["delayed_days"].to_list() == [days]


@pytest.mark.parametrize("text", ["1,5", "2.5", "1e3", "+7", "7 days", "1 500", "0x10"])
def test_numbers_that_are_not_plain_whole_numbers_are_refused(workspace, text):
    result = check(workspace, "n.csv", f'{SUMMARY_HEADER}\nMED,2017-09-07,"{text}",0,0\n')
    assert problems(result) == [
        (
            2,
            "nhs_days",
            text,
            "is not a whole number of days; write digits only (no decimals or thousands separator or exponent)",
        )
    ]


def test_a_huge_day_count_is_refused_by_the_capacity_rule(workspace):
    result = check(workspace, "n.csv", f"{SUMMARY_HEADER}\nMED,2017-09-07,99999999999999999999,0,0\n")
    [(row, column, _, problem)] = problems(result)
    assert (row, column) == (2, "nhs_days+social_care_days+both_days")
    assert "more than 7 x its 600 beds" in problem


# --- BOM, CRLF, dates -----------------------------------------------------------------------


def test_bom_and_crlf_and_both_date_forms(workspace):
    text = f"{SUMMARY_HEADER}\r\nMED,2017-09-07,1,0,0\r\nDVH,07/09/2017,2,0,0\r\nKCH,7/9/2017,3,0,0\r\n"
    result = check(workspace, "bom.csv", "\ufeff".encode() + text.encode())
    assert result.accepted, problems(result)
    assert result.returns.filter(pl.col("responsible_org") == "NHS").select(
        "row", "site_code", "week_ending", "delayed_days"
    ).rows() == [(2, "MED", date(2017, 9, 7), 1), (3, "DVH", date(2017, 9, 7), 2), (4, "KCH", date(2017, 9, 7), 3)]


def test_a_us_style_date_is_not_guessed(workspace):
    result = check(workspace, "us.csv", f"{SUMMARY_HEADER}\nMED,09/07/2017,1,0,0\n")
    # 9 July 2017 is a Sunday: read day first, never month first, and refused for its weekday
    assert problems(result) == [
        (2, "week_ending", "09/07/2017", "week ending is a Sunday; weeks must end on a Thursday")
    ]


# --- 6. Excel -------------------------------------------------------------------------------


def write_workbook(path, sheets: dict[str, list[tuple[int, list]]]) -> None:
    """sheets: name -> [(zero-based row, cells)], cells may be datetimes (written as real Excel dates)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for row, cells in rows:
            for column, value in enumerate(cells):
                if isinstance(value, datetime):
                    sheet.write_datetime(row, column, value, date_format)
                elif value is not None:
                    sheet.write(row, column, value)
    workbook.close()


def check_path(workspace, path):
    [result] = check_submissions(
        [path], Reference.load(workspace.reference), load_settings(workspace.settings_file), AS_OF
    )
    return result


SUMMARY_CELLS = SUMMARY_HEADER.split(",")


def test_excel_row_numbers_count_leading_blank_rows(workspace):
    path = workspace.inbox_weekly / "med.xlsx"
    write_workbook(
        path,
        {"Return": [(2, SUMMARY_CELLS), (3, ["MED", "2017-09-07", 1, 0, 0]), (4, ["MED", "2017-09-14", -1, 0, 0])]},
    )
    assert problems(check_path(workspace, path)) == [(5, "nhs_days", "-1", "days cannot be negative")]


def test_a_real_date_cell_among_text_dates_is_a_date(workspace):
    path = workspace.inbox_weekly / "med.xlsx"
    write_workbook(
        path,
        {
            "Return": [
                (0, SUMMARY_CELLS),
                (1, ["MED", datetime(2017, 9, 7), 1, 0, 0]),
                (2, ["MED", "14/09/2017", 2, 0, 0]),
            ]
        },
    )
    result = check_path(workspace, path)
    assert result.accepted, problems(result)
    assert sorted(set(result.returns["week_ending"].to_list())) == [date(2017, 9, 7), date(2017, 9, 14)]


def test_excel_1e20_is_reported_as_the_number_it_is(workspace):
    path = workspace.inbox_weekly / "med.xlsx"
    write_workbook(
        path,
        {"Return": [(0, SUMMARY_CELLS), (1, ["MED", "2017-09-07", 1e20, 0, 0]), (2, ["MED", "2017-09-14", 2.5, 0, 0])]},
    )
    found = problems(check_path(workspace, path))
    assert [p[:3] for p in found] == [
        (2, "nhs_days+social_care_days+both_days", "100000000000000000000"),
        (3, "nhs_days", "2.5"),
    ]
    assert "more than 7 x its 600 beds" in found[0][3]


def test_the_one_sheet_holding_returns_is_read(workspace):
    path = workspace.inbox_weekly / "med.xlsx"
    write_workbook(
        path,
        {
            "Notes": [(0, ["Return for Medway, sent by the discharge team"])],
            "Return": [(0, SUMMARY_CELLS), (1, ["MED", "2017-09-07", 4, 0, 0])],
            "Empty": [],
        },
    )
    result = check_path(workspace, path)
    assert result.accepted, problems(result)
    assert result.returns.filter(pl.col("responsible_org") == "NHS")["delayed_days"].to_list() == [4]


def test_returns_on_two_sheets_refuse_the_workbook_naming_them(workspace):
    path = workspace.inbox_weekly / "med.xlsx"
    write_workbook(
        path,
        {
            "Sept": [(0, SUMMARY_CELLS), (1, ["MED", "2017-09-07", 4, 0, 0])],
            "Oct": [(0, SUMMARY_CELLS), (1, ["MED", "2017-10-05", 4, 0, 0])],
        },
    )
    assert problems(check_path(workspace, path)) == [
        (
            None,
            "",
            "",
            "the workbook has returns on more than one sheet (Sept, Oct); send one sheet of returns per file",
        )
    ]


def test_data_on_several_sheets_without_a_returns_header_is_refused(workspace):
    path = workspace.inbox_weekly / "med.xlsx"
    write_workbook(path, {"A": [(0, ["hospital", "days"]), (1, ["MED", 4])], "B": [(3, ["anything"])]})
    assert problems(check_path(workspace, path)) == [
        (None, "", "", "no sheet has a header row with site_code and week_ending; sheets holding data: A, B")
    ]


def test_a_password_protected_workbook_is_named_as_such(workspace):
    # an encrypted workbook is an OLE compound file whose directory holds an EncryptedPackage stream
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    entry = "EncryptedPackage".encode("utf-16-le").ljust(64, b"\x00")
    result = check(workspace, "locked.xlsx", header + entry + b"\x00" * 448)
    assert problems(result) == [(None, "", "", "the workbook is password-protected; save it without a password")]
    legacy = check(workspace, "old.xlsx", header + b"\x00" * 512)
    assert problems(legacy) == [
        (None, "", "", "this is an old-style Excel (.xls) workbook with an .xlsx name; save it as .xlsx")
    ]


# --- flows: a bad file never breaks the run -------------------------------------------------


@pytest.mark.long(48)
def test_poison_pill_is_quarantined_and_the_run_goes_on(workspace):
    from flows.weekly import run_weekly

    drop_file(workspace, "poison.csv", f"{DETAIL_HEADER}\nDVH,2017-09-07,E10000016,acute,,A,50\n", stamp("2017-09-08"))
    drop_file(workspace, "nocouncil.csv", f"{DETAIL_HEADER}\nDVH,2017-09-07,,acute,NHS,A,50\n", stamp("2017-09-08"))
    drop_file(
        workspace,
        "formula.csv",
        f'{SUMMARY_HEADER}\n"=HYPERLINK(""http://x"",""y"")",2017-09-07,1,0,0\n',
        stamp("2017-09-08"),
    )
    drop_file(workspace, "good.csv", f"{SUMMARY_HEADER}\nMED,2017-09-07,33,24,0\n", stamp("2017-09-09"))
    summary = run_weekly(workspace.root, AS_OF)
    assert [a["file"] for a in summary.accepted] == ["good.csv"]
    assert sorted(q["file"] for q in summary.quarantined) == ["formula.csv", "nocouncil.csv", "poison.csv"]
    assert (workspace.quarantine / "poison.csv.errors.csv").read_text() == (
        "file,row,column,value,problem\npoison.csv,2,responsible_org,,responsible organisation is empty\n"
    )
    assert (workspace.quarantine / "formula.csv.errors.csv").read_text() == (
        "file,row,column,value,problem\n"
        'formula.csv,2,site_code,"\'=HYPERLINK(""http://x"",""y"")",site code is not in reference/sites.csv\n'
    )
    assert published(workspace, "weekly_site_summary").select("site_code", "total_days").rows() == [("MED", 57)]
    again = run_weekly(workspace.root, AS_OF)
    assert (again.accepted, again.quarantined) == ([], [])


WAREHOUSE_WITH_A_CHECK = """
create table weekly_return_rows (
    file_id integer not null, row_number integer not null, site_code varchar not null, week_ending date not null,
    la_code varchar not null, care_type varchar not null, responsible_org varchar not null,
    reason_code varchar not null, delayed_days integer not null check (delayed_days <= 1000), patients_delayed integer
)"""


def test_a_file_the_warehouse_refuses_is_quarantined_with_its_reason_and_the_run_goes_on(workspace):
    from flows.weekly import run_weekly

    con = duckdb.connect(str(workspace.warehouse))  # a warehouse with one more rule than validation knows
    con.execute(WAREHOUSE_WITH_A_CHECK)
    con.close()
    drop_file(workspace, "big.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,1500,0,0\n", stamp("2017-09-08"))
    drop_file(
        workspace, "patients.csv", f"{DETAIL_HEADER},patients_delayed\n{GOOD_DETAIL},99999999999\n", stamp("2017-09-08")
    )
    drop_file(workspace, "good.csv", f"{SUMMARY_HEADER}\nMED,2017-09-07,33,24,0\n", stamp("2017-09-09"))
    summary = run_weekly(workspace.root, AS_OF)
    assert [a["file"] for a in summary.accepted] == ["good.csv"]
    assert sorted(q["file"] for q in summary.quarantined) == ["big.csv", "patients.csv"]
    [big] = pl.read_csv(workspace.quarantine / "big.csv.errors.csv", infer_schema=False).rows()
    assert big == (
        "big.csv",
        None,
        None,
        None,
        "the warehouse refused this file: Constraint Error: CHECK constraint "
        'failed on table "weekly_return_rows" with expression CHECK((delayed_days <= 1000))',
    )
    [patients] = pl.read_csv(workspace.quarantine / "patients.csv.errors.csv", infer_schema=False).rows()
    assert patients[4].startswith("the warehouse refused this file: ") and "99999999999" in patients[4]
    assert query(
        workspace, "select file_name, status, rows_loaded, problem_count from submission_files order by file_id"
    ) == [("big.csv", "rejected", 0, 1), ("patients.csv", "rejected", 0, 1), ("good.csv", "accepted", 3, 0)]
    assert query(workspace, "select distinct file_id from weekly_return_rows") == [(3,)]
    assert published(workspace, "weekly_site_summary").select("site_code", "total_days").rows() == [("MED", 57)]
    drop_file(workspace, "next.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-14,10,0,0\n", stamp("2017-09-15"))
    after = run_weekly(workspace.root, AS_OF)  # the next run is green
    assert ([a["file"] for a in after.accepted], after.quarantined) == (["next.csv"], [])
    assert sorted(published(workspace, "weekly_site_summary")["site_code"].to_list()) == ["DVH", "MED"]


def test_a_file_that_passes_its_rules_but_cannot_be_shaped_is_refused_not_a_crash(workspace):
    # a site whose beds are not known has no capacity rule, so a day count beyond any integer gets past the rules
    sites = workspace.reference / "sites.csv"
    sites.write_text(
        sites.read_text().replace(
            "DVH,Darent Valley Hospital,RN7,Dartford and Gravesham NHS Trust,acute,480",
            "DVH,Darent Valley Hospital,RN7,Dartford and Gravesham NHS Trust,acute,",
        )
    )
    good = workspace.inbox_weekly / "good.csv"
    good.write_text(f"{SUMMARY_HEADER}\nMED,2017-09-07,1,0,0\n")
    huge = workspace.inbox_weekly / "huge.csv"
    huge.write_text(f"{SUMMARY_HEADER}\nDVH,2017-09-07,99999999999999999999,0,0\n")
    results = check_submissions(
        [good, huge], Reference.load(workspace.reference), load_settings(workspace.settings_file), AS_OF
    )
    assert [r.accepted for r in results] == [True, False]
    [(row, column, value, problem)] = problems(results[1])
    assert (row, column, value) == (None, "", "")
    assert problem.startswith("the file passed its checks but could not be read into rows: ")


def test_a_renamed_council_column_in_the_detail_layout_is_named_with_the_missing_one(workspace):
    result = check(
        workspace,
        "dvh.csv",
        "site_code,week_ending,local_authority,care_type,responsible_org,reason_code,"
        f"delayed_days\nDVH,2017-09-07,{MEDWAY},acute,NHS,A,5\n",
    )
    assert [p[:3] for p in problems(result)] == [(1, "la_code", ""), (1, "local_authority", "local_authority")]
    assert problems(result)[0][3] == "required column la_code is missing from the header of this detail-layout file"


def test_a_title_line_above_the_header_is_allowed_and_rows_keep_excel_numbers(workspace):
    path = workspace.inbox_weekly / "med.xlsx"
    write_workbook(
        path,
        {
            "Return": [
                (0, ["Medway weekly DToC return"]),
                (2, SUMMARY_CELLS),
                (3, ["MED", "2017-09-07", 1, 0, 0]),
                (4, ["MED", "2017-09-14", "x", 0, 0]),
            ]
        },
    )
    assert [p[:3] for p in problems(check_path(workspace, path))] == [(5, "nhs_days", "x")]
    write_workbook(
        path, {"Return": [(0, ["MED", "2017-08-31", 9, 0, 0]), (2, SUMMARY_CELLS), (3, ["MED", "2017-09-07", 1, 0, 0])]}
    )
    assert problems(check_path(workspace, path)) == [
        (
            None,
            "",
            "",
            "row 1 of sheet Return, above the header on row 3, "
            "holds data; put the header on the first row of the returns",
        )
    ]


def test_blank_lines_above_a_csv_header_are_skipped_and_rows_keep_their_line_numbers(workspace):
    result = check(
        workspace, "gap.csv", f",,,,\r\n\r\n{SUMMARY_HEADER}\r\nMED,2017-09-07,1,0,0\r\nMED,2017-09-14,-2,0,0\r\n"
    )
    assert problems(result) == [(5, "nhs_days", "-2", "days cannot be negative")]
    assert problems(check(workspace, "commas.csv", ",,,,\n,,,,\n")) == [(None, "", "", "the file is empty")]


def test_an_excel_error_cell_is_reported_as_excel_shows_it_not_as_blank(workspace):
    import xlsxwriter

    path = workspace.inbox_weekly / "med.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Return")
    sheet.write_row(0, 0, SUMMARY_CELLS)
    sheet.write_row(1, 0, ["MED", "2017-09-07"])
    sheet.write_formula(1, 2, "=NA()", None, "#N/A")
    sheet.write_formula(1, 3, "=1/0", None, "#DIV/0!")
    sheet.write_row(1, 4, [0])
    workbook.close()
    assert [p[:3] for p in problems(check_path(workspace, path))] == [
        (2, "nhs_days", "#N/A"),
        (2, "social_care_days", "#DIV/0!"),
    ]
