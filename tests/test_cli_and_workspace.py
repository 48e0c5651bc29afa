"""The `dtoc` commands as an analyst types them, and the workspace they work in."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from conftest import drop_file

from flows.cli import main
from flows.workspace import SettingsError, load_settings, open_workspace

SUMMARY_HEADER = "site_code,week_ending,nhs_days,social_care_days,both_days"


def test_first_use_creates_the_workspace_with_shipped_defaults(tmp_path):
    ws = open_workspace(tmp_path / "new")
    for folder in ("inbox/weekly", "inbox/national", "reference", "quarantine", "publish"):
        assert (ws.root / folder).is_dir()
    sites = (ws.reference / "sites.csv").read_text()
    assert sites.splitlines()[0] == "site_code,site_name,provider_code,provider_name,care_type,beds"
    assert "VCNK,North Kent community beds,VCS" in sites
    for name in ("local_authorities.csv", "population_18plus.csv", "bcf_trajectory.csv"):
        assert (ws.reference / name).exists()
    settings = load_settings(ws.settings_file)
    assert settings.home_la == "E10000016" and settings.both_share_to_social_care == 0.5
    assert settings.week_ending_weekday == "thursday" and settings.month_rule == "week_ending"
    assert settings.rag_target_pct_social_care == 30.0


def test_existing_reference_and_settings_are_never_overwritten(tmp_path):
    ws = open_workspace(tmp_path / "w")
    (ws.reference / "sites.csv").write_text("site_code,site_name,provider_code,provider_name,care_type,beds\n")
    ws.settings_file.write_text('home_la = "E06000035"\n')
    open_workspace(ws.root)
    assert (ws.reference / "sites.csv").read_text().count("\n") == 1
    assert load_settings(ws.settings_file).home_la == "E06000035"


def test_environment_overrides_one_setting_for_one_run(tmp_path, monkeypatch):
    ws = open_workspace(tmp_path / "w")
    monkeypatch.setenv("DTOC_BOTH_SHARE_TO_SOCIAL_CARE", "0.25")
    monkeypatch.setenv("DTOC_WEEK_ENDING_WEEKDAY", "Friday")
    settings = load_settings(ws.settings_file)
    assert settings.both_share_to_social_care == 0.25 and settings.week_ending_weekday == "friday"


@pytest.mark.parametrize(
    "toml, words",
    [
        ('month_rule = "fortnightly"', "month_rule must be one of week_ending, calendar"),
        ("both_share_to_social_care = 1.5", "between 0 and 1"),
        ('rag_target_pct_social_care = "thirty"', "must be a number"),
        ("home_la = ", "is not valid TOML"),
    ],
)
def test_bad_settings_are_explained(tmp_path, toml, words):
    ws = open_workspace(tmp_path / "w")
    ws.settings_file.write_text(toml + "\n")
    with pytest.raises(SettingsError, match=words):
        load_settings(ws.settings_file)


def test_validate_prints_findings_and_loads_nothing(workspace, capsys):
    good = drop_file(workspace, "good.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\n")
    bad = drop_file(workspace, "bad.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\nDVH,14/09/2017,x,0,0\n")
    code = main(["validate", "--workdir", str(workspace.root), "--as-of", "2017-11-24", str(good), str(bad)])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.splitlines() == [
        "file,row,column,value,problem",
        "bad.csv,3,nhs_days,x,is not a whole number of days; "
        "write digits only (no decimals or thousands separator or exponent)",
    ]
    assert "# good.csv: summary layout, OK" in err and "# bad.csv: summary layout, REJECTED (1 problem(s))" in err
    assert not workspace.warehouse.exists()
    assert bad.exists() and good.exists()  # validate never moves files
    assert main(["validate", "--workdir", str(workspace.root), "--as-of", "2017-11-24", str(good)]) == 0


def test_run_command_prints_the_summary_and_exits_0_with_a_quarantined_file(workspace, capsys):
    drop_file(workspace, "good.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-07,1,0,0\n")
    drop_file(workspace, "bad.csv", f"{SUMMARY_HEADER}\nNOPE,2017-09-07,1,0,0\n")
    code = main(["run", "--workdir", str(workspace.root), "--as-of", "2017-09-08"])
    out = capsys.readouterr().out
    assert code == 0
    assert "accepted 1 file(s), 1 site-week(s) loaded" in out
    assert "bad.csv: row 2, site_code = 'NOPE': site code is not in reference/sites.csv" in out
    # a short summary: the dashboard's path, not every published file (--verbose lists them)
    assert f"dashboard: {workspace.publish / 'site' / 'index.html'}" in out
    assert str(workspace.publish / "weekly_site_summary.csv") not in out
    assert "(--verbose lists them)" in out
    assert "all problems:" not in out
    drop_file(workspace, "later.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-14,2,0,0\n")
    drop_file(workspace, "bad2.csv", f"{SUMMARY_HEADER}\nNOPE,2017-09-14,1,0,0\n")
    assert main(["run", "--workdir", str(workspace.root), "--as-of", "2017-09-15", "--verbose"]) == 0
    verbose = capsys.readouterr().out
    assert str(workspace.publish / "weekly_site_summary.csv") in verbose
    assert f"all problems: {workspace.quarantine / 'bad2.csv'}.errors.csv" in verbose


def test_run_command_with_bad_settings_exits_2_without_a_stack_trace(workspace, capsys):
    workspace.settings_file.write_text('month_rule = "fortnightly"\n')
    assert main(["run", "--workdir", str(workspace.root)]) == 2
    err = capsys.readouterr().err
    assert "dtoc run: setting month_rule must be one of week_ending, calendar" in err
    assert "Traceback" not in err


def test_run_command_when_another_run_holds_the_warehouse(workspace, monkeypatch, capsys):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent("""
        import sys, time
        from pathlib import Path
        from flows.warehouse import open_warehouse
        with open_warehouse(Path(sys.argv[1]), 5):
            print("holding", flush=True)
            time.sleep(30)
    """),
            str(workspace.warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        monkeypatch.setenv("DTOC_LOCK_TIMEOUT_SECONDS", "0.5")
        assert main(["run", "--workdir", str(workspace.root), "--as-of", "2017-09-08"]) == 2
    finally:
        holder.kill()
        holder.wait()
    assert "is in use by another dtoc run" in capsys.readouterr().err


def test_as_of_must_be_a_date(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--as-of", "24/11/2017"])
    assert exit_info.value.code == 2
    assert "'24/11/2017' is not a date in YYYY-MM-DD form" in capsys.readouterr().err


@pytest.mark.long(34)
def test_demo_command_builds_the_sample_and_says_where_everything_is(tmp_path, capsys):
    workdir = tmp_path / "dtoc-work"
    assert main(["demo", "--workdir", str(workdir), "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "Wrote the Kent sample: 70 weekly returns" in out and "1 national extract" in out
    assert "accepted 67 file(s)" in out and "quarantined 3 file(s)" in out
    assert (
        "DTOC-SitRep-Provider-Level-Data-September-2017.csv: 2017-09, 56 rows, header on line 4, "
        "1 empty numeric cell(s)" in out
    )
    assert "months reconciled with national data: 2017-09" in out
    for name in (
        "weekly_site_summary.csv",
        "monthly_site_summary.csv",
        "monthly_provider_summary.csv",
        "kpi_monthly.csv",
        "la_rates.csv",
        "reconciliation_2017-09.csv",
        "gap_decomposition_2017-09.csv",
        "dtoc_report_2017-09.xlsx",
    ):
        assert str(workdir / "publish" / name) in out
    assert f"Quarantined files and their reasons: {workdir / 'quarantine'}" in out
    assert main(["demo", "--workdir", str(workdir)]) == 0  # a second demo in the same folder changes nothing
    again = capsys.readouterr().out
    assert "accepted 0 file(s), 0 site-week(s) loaded; 67 already processed earlier" in again
    assert "accepted 0 extract(s); 1 already processed earlier" in again
    assert str(workdir / "publish" / "la_rates.csv") not in again  # without --verbose, only the dashboard's path
    assert f"dashboard: {workdir / 'publish' / 'site' / 'index.html'}" in again
