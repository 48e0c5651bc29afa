"""Settings that cannot be misspelt or out of range, reference files checked like returns, paths as data,
workspaces that can move, and the warehouse's file times."""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import FrozenInstanceError, fields, replace
from datetime import UTC, date, datetime
from typing import get_type_hints

import duckdb
import polars as pl
import pytest
from conftest import drop_file, published

from flows.cli import main
from flows.reference_checks import ReferenceFilesError, check_reference_files
from flows.warehouse import WarehousePathUnsupported, open_warehouse
from flows.weekly import run_weekly
from flows.workspace import Settings, SettingsError, load_settings, open_workspace

SUMMARY_HEADER = "site_code,week_ending,nhs_days,social_care_days,both_days"
SITES_HEADER = "site_code,site_name,provider_code,provider_name,care_type,beds"
AS_OF = date(2017, 9, 8)


# ---- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "toml, words",
    [
        (
            "both_share_to_socialcare = 1.0",
            "unknown setting both_share_to_socialcare (did you mean both_share_to_social_care?)",
        ),
        ("Home_LA = 'E10000016'", "unknown setting Home_LA (did you mean home_la?)"),
        ("[alerts]\nwebhook = 'x'", "unknown table [alerts]; dtoc.toml has no tables"),
        ("both_share_to_social_care = true", "both_share_to_social_care must be a number, got true"),
        ("alert_retries = 2.5", "alert_retries must be a whole number, got 2.5"),
        ("alert_retries = 0", "alert_retries must be at least 1, got 0"),
        ("alert_tolerance = -0.1", "alert_tolerance must be at least 0, got -0.1"),
        ("alert_backoff_seconds = 0", "alert_backoff_seconds must be more than 0"),
        ("alert_timeout_seconds = -1", "alert_timeout_seconds must be more than 0"),
        ("lock_timeout_seconds = 0", "lock_timeout_seconds must be more than 0"),
        ("rag_target_pct_social_care = 130", "rag_target_pct_social_care must be between 0 and 100, got 130"),
        ("rag_red_pct_social_care = 101", "rag_red_pct_social_care must be between 0 and 100"),
        (
            "rag_target_pct_social_care = 30\nrag_red_pct_social_care = 20",
            "rag_red_pct_social_care (20) must be at least rag_target_pct_social_care (30)",
        ),
        ("home_la = 16", "home_la must be text in quotes, got 16"),
        ("alert_on_spc_signals = 'sometimes'", "alert_on_spc_signals must be true or false"),
        (
            "return_due_days_after_week_end = 2.5",
            "return_due_days_after_week_end must be a whole number of days >= 0, got 2.5",
        ),
        (
            "return_due_days_after_week_end = -1",
            "return_due_days_after_week_end must be a whole number of days >= 0, got -1",
        ),
    ],
)
def test_misspelt_unknown_and_out_of_range_settings_are_refused(tmp_path, toml, words):
    ws = open_workspace(tmp_path / "w")
    ws.settings_file.write_text(toml + "\n")
    with pytest.raises(SettingsError, match=re.escape(words)):
        load_settings(ws.settings_file)


def test_settings_written_by_the_previous_version_still_load(tmp_path):
    ws = open_workspace(tmp_path / "w")
    ws.settings_file.write_text("alert_retries = 3.0\nrag_red_pct_social_care = 0.0\nrag_target_pct_social_care = 30\n")
    settings = load_settings(ws.settings_file)
    assert settings.alert_retries == 3 and isinstance(settings.alert_retries, int)
    assert settings.rag_target_pct_social_care == 30.0


def test_settings_are_one_frozen_object_with_typed_fields(tmp_path, monkeypatch):
    ws = open_workspace(tmp_path / "w")
    ws.settings_file.write_text("alert_retries = 5.0\nrag_target_pct_social_care = 30\n")
    monkeypatch.setenv("DTOC_RETURN_DUE_DAYS_AFTER_WEEK_END", "3")
    monkeypatch.setenv("DTOC_LOCK_TIMEOUT_SECONDS", "30")
    monkeypatch.setenv("DTOC_ALERT_ON_SPC_SIGNALS", "yes")
    settings = load_settings(ws.settings_file)
    assert (settings.alert_retries, settings.return_due_days_after_week_end) == (5, 3)
    assert type(settings.alert_retries) is int and type(settings.return_due_days_after_week_end) is int
    assert type(settings.rag_target_pct_social_care) is float and settings.rag_target_pct_social_care == 30.0
    assert type(settings.lock_timeout_seconds) is float and settings.lock_timeout_seconds == 30.0
    assert settings.alert_on_spc_signals is True
    declared = get_type_hints(Settings)
    assert {item.name: type(getattr(settings, item.name)) for item in fields(settings)} == declared
    with pytest.raises(FrozenInstanceError):
        settings.alert_retries = 1
    with pytest.raises(SettingsError, match="alert_retries must be at least 1, got 0"):
        replace(settings, alert_retries=0)  # a Settings made any other way is checked the same


def test_unknown_dtoc_environment_variables_are_refused_and_known_ones_accepted(tmp_path, monkeypatch):
    ws = open_workspace(tmp_path / "w")
    for name in ("DTOC_WORKDIR", "DTOC_DASK_ADDRESS", "DTOC_DUCKDB_MEMORY_LIMIT"):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("DTOC_ALERT_RETRIES", "4")
    assert load_settings(ws.settings_file).alert_retries == 4
    monkeypatch.setenv("DTOC_BOTH_SHARE_TO_SOCIALCARE", "1.0")
    with pytest.raises(
        SettingsError,
        match="environment variable DTOC_BOTH_SHARE_TO_SOCIALCARE is not a dtoc setting "
        r"\(did you mean DTOC_BOTH_SHARE_TO_SOCIAL_CARE\?\)",
    ):
        load_settings(ws.settings_file)


def test_misspelt_setting_stops_the_run_command_with_exit_2(workspace, capsys):
    workspace.settings_file.write_text("both_share_to_socialcare = 1.0\n")
    drop_file(workspace, "dvh.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\n")
    assert main(["run", "--workdir", str(workspace.root), "--as-of", "2017-09-08"]) == 2
    err = capsys.readouterr().err
    assert "did you mean both_share_to_social_care?" in err and "Traceback" not in err
    assert not workspace.warehouse.exists()


@pytest.mark.parametrize(
    "home_la, hint", [("E10000061", "(did you mean E10000016?)"), ("e10000016", "(did you mean E10000016?)")]
)
def test_home_la_not_in_the_reference_stops_the_run(workspace, capsys, home_la, hint):
    workspace.settings_file.write_text(f'home_la = "{home_la}"\n')
    drop_file(workspace, "dvh.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\n")
    assert main(["run", "--workdir", str(workspace.root), "--as-of", "2017-09-08"]) == 2
    err = capsys.readouterr().err
    assert f"setting home_la = '{home_la}' is not an la_code in reference/local_authorities.csv {hint}" in err
    assert not workspace.warehouse.exists() and not (workspace.publish / "weekly_site_summary.csv").exists()


# ---- reference files ------------------------------------------------------------------------


def _errors(ws, name: str) -> list[dict]:
    return pl.read_csv(ws.quarantine / f"{name}.errors.csv", infer_schema=False).to_dicts()


def _sites_with(ws, extra_lines: str, header: str = SITES_HEADER) -> None:
    body = (ws.reference / "sites.csv").read_text().splitlines()[1:]
    (ws.reference / "sites.csv").write_text("\n".join([header, *body]) + "\n" + extra_lines)


@pytest.mark.parametrize(
    "extra, row, column, value, words",
    [
        (
            "DVH,Darent Valley again,RN7,Dartford,acute,480\n",
            12,
            "site_code",
            "DVH",
            "site code DVH appears more than once",
        ),
        ("NEW,New site,RN7,Dartford,Acute,10\n", 12, "care_type", "Acute", "care type must be acute or non-acute"),
        ("NEW,New site,RN7,Dartford,acute,0\n", 12, "beds", "0", "beds must be a whole number of 1 or more"),
        ("NEW,New site,RN7,Dartford,acute,12.5\n", 12, "beds", "12.5", "beds must be a whole number of 1 or more"),
        ("NEW,New site,RN7,Dartford,acute,\n", 12, "beds", "", "beds is empty"),
        ("NEW,New site,,Dartford,acute,10\n", 12, "provider_code", "", "provider code is empty"),
    ],
)
def test_sites_problems_name_row_column_value(workspace, extra, row, column, value, words):
    _sites_with(workspace, extra)
    with pytest.raises(ReferenceFilesError) as raised:
        check_reference_files(workspace, load_settings(workspace.settings_file))
    found = [p for p in _errors(workspace, "sites.csv") if p["column"] == column]
    assert found and found[-1]["row"] == str(row) and (found[-1]["value"] or "") == value
    assert words in found[-1]["problem"] and found[-1]["file"] == "sites.csv"
    assert f"row {row}, {column}" in str(raised.value) and "reference/sites.csv has" in str(raised.value)


def test_duplicated_site_names_both_rows(workspace):
    _sites_with(workspace, "DVH,Darent Valley again,RN7,Dartford,acute,480\n")
    with pytest.raises(ReferenceFilesError):
        check_reference_files(workspace, load_settings(workspace.settings_file))
    assert [(p["row"], p["value"]) for p in _errors(workspace, "sites.csv")] == [("2", "DVH"), ("12", "DVH")]


def test_closed_from_is_optional_and_must_be_a_date(workspace):
    lines = (workspace.reference / "sites.csv").read_text().splitlines()
    with_column = [lines[0] + ",closed_from", lines[1] + ",2017-10-01", lines[2] + ",31/12/2017"] + [
        line + "," for line in lines[3:]
    ]
    (workspace.reference / "sites.csv").write_text("\n".join(with_column) + "\n")
    check_reference_files(workspace, load_settings(workspace.settings_file))  # accepted
    (workspace.reference / "sites.csv").write_text(
        "\n".join([*with_column, "NEW,New site,RN7,Dartford,acute,10,soon"]) + "\n"
    )
    with pytest.raises(ReferenceFilesError):
        check_reference_files(workspace, load_settings(workspace.settings_file))
    [problem] = _errors(workspace, "sites.csv")
    assert (problem["row"], problem["column"], problem["value"]) == ("12", "closed_from", "soon")
    assert "closed_from is not a date" in problem["problem"]


@pytest.mark.parametrize(
    "name, text, expected",
    [
        (
            "local_authorities.csv",
            "la_code,dh_code,la_name\nE10000016,886,Kent\nE06000035,886,Medway\n",
            [("2", "dh_code", "886"), ("3", "dh_code", "886")],
        ),
        (
            "local_authorities.csv",
            "la_code,dh_code,la_name\nE10000016,886,Kent\nE10000016,887,Kent again\n",
            [("2", "la_code", "E10000016"), ("3", "la_code", "E10000016")],
        ),
        (
            "local_authorities.csv",
            "la_code,dh_code,la_name\nE10000016,886,Kent\ne06000035,87,Medway\n",
            [("3", "dh_code", "87"), ("3", "la_code", "e06000035")],
        ),
        (
            "population_18plus.csv",
            "la_code,year,population\nE10000016,2017,1209000\nE10000016,2017,1210000\n",
            [("2", "la_code+year", "E10000016/2017"), ("3", "la_code+year", "E10000016/2017")],
        ),
        (
            "population_18plus.csv",
            "la_code,year,population\nE10000016,2017,1209000.5\nE99999999,2017,5\nE10000016,17,-4\n",
            [
                ("2", "population", "1209000.5"),
                ("3", "la_code", "E99999999"),
                ("4", "population", "'-4"),
                ("4", "year", "17"),
            ],
        ),
    ],
)
def test_local_authority_and_population_problems(workspace, name, text, expected):
    (workspace.reference / name).write_text(text)
    with pytest.raises(ReferenceFilesError, match=f"reference/{name} has {len(expected)} problem"):
        check_reference_files(workspace, load_settings(workspace.settings_file))
    assert [(p["row"], p["column"], p["value"]) for p in _errors(workspace, name)] == expected


def test_duplicated_site_stops_the_run_with_exit_2_and_nothing_is_loaded(workspace, capsys):
    """Before: DVH twice in sites.csv doubled DVH everywhere (September RN7 815 -> 1,630), exit 0."""
    _sites_with(workspace, "DVH,Darent Valley Hospital,RN7,Dartford and Gravesham NHS Trust,acute,480\n")
    drop_file(workspace, "dvh.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\n")
    assert main(["run", "--workdir", str(workspace.root), "--as-of", "2017-09-08"]) == 2
    err = capsys.readouterr().err
    assert "reference/sites.csv has 2 problem(s)" in err
    assert "row 12, site_code = 'DVH': site code DVH appears more than once in sites.csv" in err
    assert str(workspace.quarantine / "sites.csv.errors.csv") in err and "Traceback" not in err
    assert not workspace.warehouse.exists() and (workspace.inbox_weekly / "dvh.csv").exists()
    with pytest.raises(ReferenceFilesError):  # a deployment's flow run stops the same way
        run_weekly(workspace.root, AS_OF)
    assert not workspace.warehouse.exists()
    lines = (workspace.reference / "sites.csv").read_text().splitlines()
    (workspace.reference / "sites.csv").write_text("\n".join(lines[:-1]) + "\n")  # corrected: runs, errors gone
    assert main(["run", "--workdir", str(workspace.root), "--as-of", "2017-09-08"]) == 0
    assert not (workspace.quarantine / "sites.csv.errors.csv").exists()
    assert published(workspace, "weekly_site_summary").filter(pl.col("site_code") == "DVH")["total_days"].to_list() == [
        1
    ]


# ---- paths are data --------------------------------------------------------------------------


def test_workspace_path_with_glob_characters_reads_its_own_reference_files(tmp_path):
    """Before: read_csv('<workdir>/reference/sites.csv') expanded [kent] and read the sibling's files."""
    ws = open_workspace(tmp_path / "dtoc[kent] *")
    sibling = open_workspace(tmp_path / "dtock xy")  # what the pattern 'dtoc[kent] *' matches
    sites = (sibling.reference / "sites.csv").read_text().replace("Darent Valley Hospital", "Sibling Hospital")
    (sibling.reference / "sites.csv").write_text(sites.replace(",RN7,Dartford and Gravesham NHS Trust,", ",ZZZ,Other,"))
    (sibling.reference / "population_18plus.csv").write_text("la_code,year,population\nE10000016,2017,1\n")
    drop_file(ws, "dvh.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,12,6,2\nDVH,2017-09-14,1,0,0\n")
    summary = run_weekly(ws.root, date(2017, 11, 24))
    assert [a["file"] for a in summary.accepted] == ["dvh.csv"]
    weekly = _read_published(ws, "weekly_site_summary")
    assert set(weekly["site_name"]) == {"Darent Valley Hospital"} and set(weekly["provider_code"]) == {"RN7"}
    rates = _read_published(ws, "la_rates").filter((pl.col("source") == "local") & (pl.col("measure") == "all"))
    assert rates["population_18plus"].to_list() == [1209000]
    assert not any(sibling.publish.iterdir())


@pytest.mark.parametrize(
    "command",
    [
        ["run", "--as-of", "2017-11-24"],
        ["national", "--as-of", "2017-11-24"],
        ["backfill", "--from", "2017-09-01", "--to", "2017-11-24"],
        ["demo"],
    ],
    ids=lambda command: command[0],
)
def test_a_workspace_whose_path_has_a_question_mark_is_refused_before_anything_is_written(tmp_path, capsys, command):
    """DuckDB cannot commit to a database under a path with '?' (it inserts ".wal" there to name its log)."""
    folder = tmp_path / "dtoc?kent"
    fresh = folder / "work"
    assert main([*command, "--workdir", str(fresh)]) == 2
    said = capsys.readouterr().err
    assert said.startswith(f"dtoc {command[0]}: the workspace {fresh} cannot keep its warehouse")
    assert f"contains '?' (the folder {folder}). Nothing was changed: rename that folder" in said
    assert not folder.exists()  # nothing created

    ws = open_workspace(folder / "existing")  # a workspace already there (made with an earlier DuckDB)
    inbox = drop_file(ws, "dvh.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,12,6,2\n")
    before = _files_and_times(ws.root)
    assert main([*command, "--workdir", str(ws.root)]) == 2
    assert "cannot keep its warehouse" in capsys.readouterr().err
    assert _files_and_times(ws.root) == before
    assert inbox.read_text(encoding="utf-8").endswith("DVH,2017-09-07,12,6,2\n")


def test_a_flow_run_in_a_workspace_whose_path_has_a_question_mark_stops_before_anything_is_written(tmp_path):
    ws = open_workspace(tmp_path / "dtoc?kent")
    drop_file(ws, "dvh.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,12,6,2\n")
    before = _files_and_times(ws.root)
    with pytest.raises(WarehousePathUnsupported, match="rename that folder"):  # the flow itself, as deployments run it
        run_weekly(ws.root, date(2017, 11, 24))
    assert _files_and_times(ws.root) == before


def _files_and_times(root) -> list[tuple]:
    return sorted((p.relative_to(root), p.stat().st_mtime_ns) for p in root.rglob("*"))


def _read_published(ws, name: str) -> pl.DataFrame:
    return pl.read_csv(io.BytesIO((ws.publish / f"{name}.csv").read_bytes()))  # polars would expand the [...]


# ---- a workspace works wherever it is put ----------------------------------------------------


def test_moved_and_copied_workspace_keeps_working_and_writes_only_inside_itself(tmp_path):
    """Before: the Data Docs folder was an absolute path in the workspace's GX config: after a move
    every run crashed before publishing, and a copy wrote into the original's folder."""
    ws = open_workspace(tmp_path / "first")
    drop_file(ws, "a.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\n")
    run_weekly(ws.root, AS_OF)
    assert (ws.publish / "data_docs" / "index.html").exists()
    moved = tmp_path / "moved"
    shutil.move(ws.root, moved)
    ws2 = open_workspace(moved)
    drop_file(ws2, "b.csv", f"{SUMMARY_HEADER}\nMED,2017-09-07,2,0,0\n")
    summary = run_weekly(ws2.root, AS_OF)
    assert [a["file"] for a in summary.accepted] == ["b.csv"]
    assert not (tmp_path / "first").exists()
    manifest = (ws2.publish / "data_docs" / "last_run.json").read_text()
    assert "b.csv" in manifest
    assert all((ws2.publish / "data_docs" / page).exists() for page in _pages(manifest))
    assert "first" not in (moved / "validation" / "gx" / "great_expectations.yml").read_text()
    before = _tree(moved)
    copy = tmp_path / "copy"
    shutil.copytree(moved, copy)
    ws3 = open_workspace(copy)
    drop_file(ws3, "c.csv", f"{SUMMARY_HEADER}\nKCH,2017-09-07,3,0,0\n")
    run_weekly(ws3.root, AS_OF)
    assert "c.csv" in (ws3.publish / "data_docs" / "last_run.json").read_text()
    assert _tree(moved) == before  # the original is untouched


def _pages(manifest: str) -> list[str]:
    import json

    return [page["page"] for page in json.loads(manifest)]


def _tree(root) -> dict:
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


# ---- file times in the warehouse --------------------------------------------------------------

OLD_SCHEMA = """
create table submission_files (file_id integer primary key, file_name varchar not null,
    content_hash varchar not null, layout varchar, received_at timestamp, processed_at timestamp not null,
    status varchar not null, rows_loaded integer not null, problem_count integer not null, run_as_of date not null);
create table national_files (file_id integer primary key, file_name varchar not null, content_hash varchar not null,
    received_at timestamp, processed_at timestamp not null, status varchar not null, header_line integer,
    months varchar, rows_loaded integer not null, empty_cells integer not null, unknown_la_codes varchar,
    problem_count integer not null);
insert into submission_files values (1, 'a.csv', 'h', 'summary', '2017-07-06 10:00:00', '2017-07-06 09:30:00',
    'accepted', 3, 0, '2017-07-07');
insert into national_files values (1, 'n.csv', 'h', '2017-12-01 10:00:00', '2017-12-01 11:00:00', 'accepted', 4,
    '2017-09', 56, 0, null, 0);
create view old_view as select file_name, received_at from submission_files;
"""


def test_file_times_are_utc_instants_and_an_old_warehouse_is_converted_in_place(tmp_path, monkeypatch):
    """Before: received_at was local time and processed_at UTC, both without a zone."""
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(OLD_SCHEMA)
    con.close()
    monkeypatch.setenv("TZ", "Europe/London")  # the machine that wrote received_at: BST in July, GMT in December
    with open_warehouse(path, 5) as con:
        kinds = {
            (t, c): k
            for t, c, k in con.execute(
                "select table_name, column_name, data_type from information_schema.columns "
                "where column_name in ('received_at', 'processed_at') "
                "and table_name in ('submission_files', 'national_files')"
            ).fetchall()
        }
        assert set(kinds.values()) == {"TIMESTAMP WITH TIME ZONE"}
        assert con.execute("select received_at, processed_at from submission_files").fetchone() == (
            datetime(2017, 7, 6, 9, 0, tzinfo=UTC),
            datetime(2017, 7, 6, 9, 30, tzinfo=UTC),
        )
        assert con.execute("select received_at, processed_at from national_files").fetchone() == (
            datetime(2017, 12, 1, 10, 0, tzinfo=UTC),
            datetime(2017, 12, 1, 11, 0, tzinfo=UTC),
        )
        assert con.execute("select count(*) from old_view").fetchone() == (1,)
    with open_warehouse(path, 5) as con:  # opening again changes nothing
        assert con.execute("select received_at from submission_files").fetchone() == (
            datetime(2017, 7, 6, 9, 0, tzinfo=UTC),
        )


def test_new_rows_record_utc_instants(workspace):
    path = drop_file(workspace, "a.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\n", mtime=1504774800)  # 09:00 UTC
    assert path.exists()
    run_weekly(workspace.root, AS_OF)
    con = duckdb.connect(str(workspace.warehouse), read_only=True)
    received, processed = con.execute("select received_at, processed_at from submission_files").fetchone()
    con.close()
    assert received == datetime(2017, 9, 7, 9, 0, tzinfo=UTC)
    assert abs((datetime.now(UTC) - processed).total_seconds()) < 600


def test_a_reference_check_that_passed_is_done_again_when_a_file_or_home_la_changes(workspace):
    """`dtoc run` checks the reference files, then its flow does, and the next run again: a check of the
    same bytes as the last that passed is skipped, never that of a changed file or setting."""
    check_reference_files(workspace, load_settings(workspace.settings_file))
    passed = workspace.root / "validation" / "reference_checked.sha256"
    remembered = passed.read_text(encoding="utf-8")
    check_reference_files(workspace, load_settings(workspace.settings_file))  # the same files: remembered
    assert passed.read_text(encoding="utf-8") == remembered
    workspace.settings_file.write_text('home_la = "E99999999"\n')
    with pytest.raises(SettingsError, match="home_la = 'E99999999' is not an la_code"):
        check_reference_files(workspace, load_settings(workspace.settings_file))
    workspace.settings_file.write_text("")
    sites = workspace.reference / "sites.csv"
    text = sites.read_text(encoding="utf-8")
    sites.write_text(text + text.splitlines()[1] + "\n", encoding="utf-8")  # the first site twice
    with pytest.raises(ReferenceFilesError, match="reference/sites.csv has"):
        check_reference_files(workspace, load_settings(workspace.settings_file))
    assert (workspace.quarantine / "sites.csv.errors.csv").exists()
    assert passed.read_text(encoding="utf-8") == remembered  # only a check that passes is remembered


@pytest.mark.parametrize("checker", ["reference_checks", "trajectory"])
def test_a_remembered_check_covers_the_code_that_judges_the_files(checker):
    """A reference file (or BCF trajectory) that passed is not checked again while the digest is the same: a
    release that changes how the cells are judged (DuckDB's translation of the suites included) must change it."""
    import importlib
    from pathlib import Path

    from flows import ingest, suite_in_sql, validate

    judge = importlib.import_module(f"flows.{checker}")
    for module in (judge, validate, suite_in_sql, ingest):
        assert Path(module.__file__).read_bytes() in judge.CHECK_CODE, module.__name__
