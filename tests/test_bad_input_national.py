"""National extracts with bad input: refused cell by cell, or quarantined when the warehouse refuses them."""

from __future__ import annotations

import csv
import json
from datetime import date

import duckdb
import pytest
from conftest import published
from test_national import check_one, extract_text, row

from flows.national import run_national

AS_OF = date(2017, 11, 24)


# ---- cells a load needs: blank, totals, numbers ------------------------------------------------


@pytest.mark.parametrize(
    "bad_row, column, value, words",
    [
        (row(reason=""), "reason_for_delay", "", "Reason For Delay is empty"),
        (row(care=""), "acute_or_non_acute_description", "", "Acute Or Non Acute Description is empty"),
        (row(provider="TOTAL"), "provider_org_code", "TOTAL", "a totals row"),
        (row(la="Total"), "local_authority_code", "Total", "a totals row"),
        (row(nhs='"1,5"'), "nhs_b_sum", "1,5", "in whole days"),
        (row(nhs='"12,34"'), "nhs_b_sum", "12,34", "in whole days"),
        (row(sc="2.5"), "social_care_b_sum", "2.5", "in whole days"),
        (
            row(year="2016-17", period="JUNE").replace(",1.0,", ",1.5,"),
            "nhs_a_sum",
            "1.5",
            "counts patients delayed on the last Thursday before 2017-18",
        ),
        (row().replace(",1.0,", ',"1,5",'), "nhs_a_sum", "1,5", "is not a number of 0 or more"),
    ],
)
def test_cells_a_load_needs_are_refused_with_row_column_value(tmp_path, bad_row, column, value, words):
    result = check_one(tmp_path, extract_text([row(provider="RVV"), bad_row]))
    assert not result.accepted
    problems = [p for p in result.problems if p.column == column]
    assert [(p.row, p.value) for p in problems] == [(6, value)], result.problems
    assert words in problems[0].problem


def test_a_blank_and_an_unknown_local_authority_code_in_one_extract(tmp_path):
    """Before: counting the unknown LA codes sorted a blank with a code, which stopped the whole run."""
    result = check_one(tmp_path, extract_text([row(la="999"), row(la="", provider="RVV")]))
    assert not result.accepted
    [problem] = result.problems
    assert (problem.row, problem.column, problem.value) == (6, "local_authority_code", "")
    assert "Local Authority Code is empty" in problem.problem


def test_blank_reason_row_said_to_be_a_total(tmp_path):
    result = check_one(tmp_path, extract_text([row(provider="RVV"), row(reason="")]))
    [problem] = result.problems
    assert (problem.file, problem.row, problem.column, problem.value) == ("extract.csv", 6, "reason_for_delay", "")
    assert problem.problem == (
        "Reason For Delay is empty (a totals row?): every row must be one provider, council, acute/non-acute and reason"
    )


def test_numbers_that_do_load(tmp_path):
    rows = [
        row(nhs='"1,234"', sc="7.0", both='"12,345,678"'),
        row(provider="RPA", year="2016-17", period="JUNE").replace(",1.0,", ",3,").replace(",0.5,", ",0,"),
    ]
    result = check_one(tmp_path, extract_text(rows))
    assert result.accepted, result.problems
    assert result.rows.select("nhs_b_sum", "social_care_b_sum", "both_b_sum", "nhs_a_sum").rows() == [
        (1234.0, 7.0, 12345678.0, 1.0),
        (10.0, 5.0, 0.0, 3.0),
    ]


# ---- a run: refused extracts reach quarantine, later runs stay green ----------------------------


def test_blank_reason_extract_is_quarantined_and_later_runs_are_green(workspace):
    (workspace.inbox_national / "total_row.csv").write_text(extract_text([row(), row(provider="RPA", reason="")]))
    (workspace.inbox_national / "good.csv").write_text(extract_text([row(period="AUGUST")]))
    summary = run_national(workspace.root, AS_OF)
    assert [q["file"] for q in summary.quarantined] == ["total_row.csv"]
    assert [a["file"] for a in summary.accepted] == ["good.csv"]
    with open(workspace.quarantine / "total_row.csv.errors.csv", newline="") as handle:
        errors = list(csv.reader(handle))
    assert errors[1][:4] == ["total_row.csv", "6", "reason_for_delay", ""]
    assert errors[1][4].startswith("Reason For Delay is empty")
    again = run_national(workspace.root, AS_OF)
    assert again.quarantined == [] and again.reconciled_months == ["2017-08"]


def test_extract_the_warehouse_refuses_is_quarantined_with_its_reason(workspace):
    # 10^30 days passes the number rule but does not fit the warehouse's DECIMAL(38, 10) column
    huge = "1" + "0" * 30
    (workspace.inbox_national / "a_huge.csv").write_text(extract_text([row(nhs=huge)]))
    later = workspace.inbox_national / "b_good.csv"
    later.write_text(extract_text([row(period="AUGUST")]))
    summary = run_national(workspace.root, AS_OF)
    assert [a["file"] for a in summary.accepted] == ["b_good.csv"]
    [quarantined] = summary.quarantined
    assert quarantined["file"] == "a_huge.csv"
    assert "the warehouse could not load this file" in quarantined["first_problem"]
    assert "Conversion Error" in quarantined["first_problem"] or "out of range" in quarantined["first_problem"]
    assert (workspace.quarantine / "a_huge.csv").exists()
    assert not (workspace.inbox_national / "a_huge.csv").exists()
    con = duckdb.connect(str(workspace.warehouse), read_only=True)
    files = con.execute(
        "select file_name, status, problem_count, rows_loaded from national_files order by file_id"
    ).fetchall()
    months = con.execute("select distinct month from national_rows").fetchall()
    con.close()
    assert files == [("a_huge.csv", "rejected", 1, 0), ("b_good.csv", "accepted", 0, 1)]
    assert months == [("2017-08",)]
    again = run_national(workspace.root, AS_OF)
    assert again.quarantined == [] and again.accepted == [] and again.reconciled_months == ["2017-08"]


def test_distinct_value_validation_reports_exactly_what_row_by_row_validation_does(tmp_path):
    from test_national import DH_TO_ONS

    from flows.distinct_validation import validate_distinct
    from flows.sitrep import SUITE, prepare_extract, read_extract
    from flows.validate import REASONS, run_suite

    bad = [
        row(),
        row(),
        row(provider="RPA", reason=""),
        row(provider="RPA", care=""),
        row(provider="TOTAL"),
        row(provider="RXH", nhs='"1,5"', sc="2.5"),
        row(provider="RXH", la="887", period="SEPTEMBRE"),
        row(provider="RJ1", year="2016-17").replace(",1.0,", ",1.5,"),
        row(provider="RJ1", la="Total"),
        row(provider="RJ2", year="2017"),
        row(provider="RJ3", la=""),
        row(provider="RJ4", reason="Z_UNKNOWN"),
        *[row(provider=f"R{i:02d}", nhs=str(i)) for i in range(30)],
        row(provider="RXH", nhs='"1,5"'),
    ]
    path = tmp_path / "many.csv"
    path.write_text(extract_text(bad))
    cells, _ = read_extract(path)
    frame = prepare_extract(cells, path.name, DH_TO_ONS)
    parameters = {"reason_codes": list(REASONS)}
    by_row = run_suite(SUITE, frame, parameters, {})
    by_value = validate_distinct(SUITE, frame, parameters, {})
    assert len(by_row) >= 14
    assert sorted(by_value, key=repr) == sorted(by_row, key=repr)


def test_reconciliation_artifacts_belong_to_the_national_run(demo_national):
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    ws, summary = demo_national

    async def tables():
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["dtoc-reconciliation-2017-09"]),
                    flow_run_id=ArtifactFilterFlowRunId(any_=[summary.flow_run_id]),
                )
            )

    [table] = asyncio.run(tables())
    columns = json.loads(table.data)  # the month's reconciliation, column by column, in the CSV's row order
    recon = published(ws, "reconciliation_2017-09")
    assert list(columns) == [
        "provider_code",
        "provider_name",
        "responsible_org",
        "local_days",
        "national_days",
        "bcf_target_days",
        "local_minus_target",
        "national_minus_local",
    ]
    assert columns["provider_code"] == recon["provider_code"].to_list()
    assert columns["national_days"] == recon["national_days"].cast(float).to_list()
    assert columns["local_days"] == recon["local_days"].cast(float).to_list()
    totals = [i for i, code in enumerate(columns["provider_code"]) if code == "Total"]
    assert 3569 in [columns["local_days"][i] for i in totals]  # the month's local delayed days, as the council printed
