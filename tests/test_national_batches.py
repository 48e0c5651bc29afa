"""National extracts judged and loaded in batches: one suite pass over many files, one transaction per load."""

from __future__ import annotations

import csv
import os
from datetime import date

import polars as pl
from test_national import DH_TO_ONS, extract_text, row

from flows.backfill import run_backfill
from flows.distinct_validation import validate_distinct
from flows.sitrep import SUITE, check_extracts, prepare_extract, read_extract
from flows.validate import REASONS
from flows.warehouse import open_warehouse, record_national_files

HUGE = "1" + "0" * 30  # passes the number rule, does not fit the warehouse's DECIMAL(38, 10) column


def write(folder, files: dict[str, str]) -> list:
    paths = []
    for offset, (name, text) in enumerate(files.items()):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        os.utime(path, (1_500_000_000 + 60 * offset,) * 2)  # received in this order
        paths.append(path)
    return paths


def test_many_files_judged_together_report_exactly_what_judging_all_their_rows_does(tmp_path):
    paths = write(
        tmp_path,
        {
            "a.csv": extract_text([row(), row(provider="RPA", nhs='"1,5"')]),
            "b.csv": extract_text([row(period="AUGUST"), row(provider="RXH", period="AUGUST")]),
            "c.csv": extract_text([row(period="JULY"), row(period="JULY"), row(provider="TOTAL", period="JULY")]),
            "d.csv": extract_text([row(period="JUNE", provider="RPA", nhs='"1,5"')]),  # a value bad in a.csv too
            "e.csv": extract_text([row(period="MAY", reason="Z_UNKNOWN"), row(period="MAY", provider="RJ1")]),
        },
    )
    checked = check_extracts(paths, DH_TO_ONS)
    frames = [prepare_extract(read_extract(p)[0], p.name, DH_TO_ONS) for p in paths]
    every_row = validate_distinct(SUITE, pl.concat(frames, how="diagonal_relaxed"), {"reason_codes": list(REASONS)}, {})
    assert [c.path.name for c in checked if c.accepted] == ["b.csv"]
    assert sorted((p for c in checked for p in c.problems), key=repr) == sorted(every_row, key=repr)
    found = {(p.file, p.row, p.column, p.value) for c in checked for p in c.problems}
    assert {
        ("a.csv", 6, "nhs_b_sum", "1,5"),
        ("d.csv", 5, "nhs_b_sum", "1,5"),
        ("c.csv", 7, "provider_org_code", "TOTAL"),
        ("e.csv", 5, "reason_for_delay", "Z_UNKNOWN"),
    } <= found
    assert {p.row for p in checked[2].problems} == {5, 6, 7}  # rows 5 and 6 repeat a key, 7 is a totals row


def test_a_batched_load_quarantines_only_the_file_the_warehouse_refuses(tmp_path):
    paths = write(
        tmp_path,
        {
            "a_sept.csv": extract_text([row(nhs="30")]),
            "b_huge.csv": extract_text([row(period="JULY", nhs=HUGE)]),
            "c_aug_and_sept.csv": extract_text([row(period="AUGUST"), row(nhs="25")]),
        },
    )
    checked = check_extracts(paths, DH_TO_ONS)
    assert all(c.accepted for c in checked)
    with open_warehouse(tmp_path / "warehouse.duckdb", 5) as con:
        con.execute(
            "insert into national_files values (1, 'earlier.csv', 'x', null, now(), 'accepted', 4, "
            "'2017-08', 0, 0, null, 0)"
        )
        republished = record_national_files(con, checked)
        files = con.execute(
            "select file_name, status, months, rows_loaded, problem_count from national_files order by file_id"
        ).fetchall()
        rows = con.execute(
            "select f.file_name, r.row_number, r.month, r.nhs_b_sum from national_rows r "
            "join national_files f using (file_id) order by r.file_id, r.row_number"
        ).fetchall()
        problems = con.execute("select file_name, problem from file_problems").fetchall()
        staged = con.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0]
    assert files == [
        ("earlier.csv", "accepted", "2017-08", 0, 0),
        ("a_sept.csv", "accepted", "2017-09", 1, 0),
        ("b_huge.csv", "rejected", "", 0, 1),
        ("c_aug_and_sept.csv", "accepted", "2017-08,2017-09", 2, 0),
    ]
    assert [(name, number, month, float(days)) for name, number, month, days in rows] == [
        ("a_sept.csv", 5, "2017-09", 30.0),
        ("c_aug_and_sept.csv", 5, "2017-08", 10.0),
        ("c_aug_and_sept.csv", 6, "2017-09", 25.0),
    ]
    [(name, problem)] = problems
    assert name == "b_huge.csv" and problem.startswith(
        "the warehouse could not load this file, although every cell passed the checks: "
    )
    assert not checked[1].accepted and checked[1].rows_read == 0
    assert republished == ["2017-08 (c_aug_and_sept.csv)", "2017-09 (c_aug_and_sept.csv)"]  # from the warehouse
    assert staged == 0  # nothing left waiting


def test_a_backfill_names_each_bad_cell_with_its_file_and_row_and_loads_the_rest(workspace):
    write(
        workspace.inbox_national,
        {
            "2017_05.csv": extract_text([row(period="MAY"), row(period="MAY", provider="RPA")]),
            "2017_06.csv": extract_text([row(period="JUNE"), row(period="JUNE", provider="RPA", sc="2.5")]),
            "2017_07.csv": extract_text([row(period="JULY")]),
            "2017_08.csv": extract_text([row(period="AUGUST", nhs=HUGE)]),
            "2017_09.csv": extract_text([row(), row(provider="RPA"), row(provider="RXH", la="Total")]),
            "2017_10.csv": extract_text([row(period="OCTOBER")]),
        },
    )
    summary = run_backfill(workspace.root, date(2017, 5, 1), date(2017, 11, 24), ["national"], files_per_chunk=2)
    assert [a["file"] for a in summary.accepted] == ["2017_05.csv", "2017_07.csv", "2017_10.csv"]
    assert [q["file"] for q in summary.quarantined] == ["2017_06.csv", "2017_08.csv", "2017_09.csv"]
    assert summary.national_months_loaded == ["2017-05", "2017-07", "2017-10"]
    errors = {}
    for name in ("2017_06.csv", "2017_08.csv", "2017_09.csv"):
        with open(workspace.quarantine / f"{name}.errors.csv", newline="") as handle:
            errors[name] = list(csv.reader(handle))[1:]
    assert [line[:4] for line in errors["2017_06.csv"]] == [["2017_06.csv", "6", "social_care_b_sum", "2.5"]]
    assert "in whole days" in errors["2017_06.csv"][0][4]
    assert [line[:4] for line in errors["2017_09.csv"]] == [["2017_09.csv", "7", "local_authority_code", "Total"]]
    assert errors["2017_09.csv"][0][4].startswith("Local Authority Code says this is a totals row")
    [[file, line, column, value, problem]] = errors["2017_08.csv"]
    assert (file, line, column, value) == ("2017_08.csv", "", "", "")
    assert problem.startswith("the warehouse could not load this file")


def test_rows_staged_by_a_load_that_never_finished_leave_nothing_behind(tmp_path):
    """Staged rows wait in Parquet files of a temporary folder: gone with the connection, loaded or not."""
    from pathlib import Path

    from flows.sitrep import read_extracts
    from flows.warehouse import STAGED_NATIONAL_ROWS, stage_national_rows

    paths = write(tmp_path, {"a.csv": extract_text([row(nhs="30")]), "b.csv": extract_text([row(period="JULY")])})
    with open_warehouse(tmp_path / "warehouse.duckdb", 5) as con:
        for path in paths:  # two batches, as a backfill stages its chunks
            stage_national_rows(con, read_extracts([path], DH_TO_ONS).checked)
        staged = con.execute(f"select file_name, month, nhs_b_sum from {STAGED_NATIONAL_ROWS} order by all").fetchall()
        [(folder,)] = con.execute(
            "select comment from duckdb_tables() where temporary and table_name = 'staged_national_files'"
        ).fetchall()
        assert len(list(Path(folder).glob("*.parquet"))) == 2
    assert staged == [("a.csv", "2017-09", 30.0), ("b.csv", "2017-07", 10.0)]
    assert not Path(folder).exists()
    with open_warehouse(tmp_path / "warehouse.duckdb", 5) as con:
        assert con.execute("select count(*) from national_rows").fetchone()[0] == 0


def test_rows_staged_under_a_temporary_folder_named_like_a_pattern_are_read_from_that_folder(tmp_path, monkeypatch):
    """DuckDB reads `[`, `*` and `?` in a path as a pattern: a TMPDIR holding them (or a quote, a space) must
    still stage and read exactly this connection's files, not fail or read another folder's."""
    import tempfile
    from pathlib import Path

    from flows.sitrep import read_extracts
    from flows.warehouse import STAGED_NATIONAL_ROWS, stage_national_rows

    temporary = tmp_path / "tmp 'x[1]*?"
    temporary.mkdir()
    (tmp_path / "tmp 'x1ab").mkdir()  # what the pattern [1]*? matches
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    names = {"it's [a]*?.csv": extract_text([row(nhs="30")]), "b.csv": extract_text([row(period="JULY")])}
    paths = write(tmp_path, names)
    with open_warehouse(tmp_path / "warehouse.duckdb", 5) as con:
        for path in paths:
            stage_national_rows(con, read_extracts([path], DH_TO_ONS).checked)
        [(folder,)] = con.execute(
            "select comment from duckdb_tables() where temporary and table_name = 'staged_national_files'"
        ).fetchall()
        decoy = tmp_path / "tmp 'x1ab" / Path(folder).name
        decoy.mkdir()
        pl.DataFrame({"file_name": ["decoy.csv"]}).write_parquet(decoy / "000000.parquet")
        staged = con.execute(f"select file_name, month, nhs_b_sum from {STAGED_NATIONAL_ROWS} order by all").fetchall()
    assert Path(folder).parent == temporary
    assert staged == [("b.csv", "2017-07", 10.0), ("it's [a]*?.csv", "2017-09", 30.0)]
    assert not Path(folder).exists()
