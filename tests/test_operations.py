"""Operations an analyst repeats, reverses, runs late or gets wrong: the published figures and alerts stay true."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import polars as pl
import pytest
from conftest import drop_file, published, query
from test_alerts import SITES, SUMMARY_HEADER, TRAJECTORY, Receiver, events, send_weeks

from flows.backfill import run_backfill
from flows.cli import main
from flows.pipeline import AsOfInFuture
from flows.warehouse import SitesRemoved
from flows.weekly import run_weekly

NOVEMBER = (
    "la_code,month,provider_code,responsible_org,planned_days\n"
    "E10000016,2017-11,RN7,NHS,300\nE10000016,2017-11,RPA,NHS,300\n"
)


@pytest.fixture
def hook():
    """A real webhook endpoint on 127.0.0.1."""
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture
def trusts(workspace, hook):
    """Two trusts, DVH (RN7, plan 400 for September 2017) and MED (RPA, 1,000), alerting to `hook`."""
    (workspace.reference / "sites.csv").write_text(SITES)
    (workspace.reference / "bcf_trajectory.csv").write_text(TRAJECTORY)
    workspace.settings_file.write_text(f'alert_webhook_url = "{hook.url}"\nalert_backoff_seconds = 0.05\n')
    return workspace


def digests(ws) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(ws.publish.glob("*.csv"))}


def trajectory(ws, provider: str, month: str = "2017-09") -> dict:
    return (
        published(ws, "trajectory_status")
        .filter((pl.col("provider_code") == provider) & (pl.col("month") == month))
        .row(0, named=True)
    )


def next_thursday_after(day: date) -> date:
    return day + timedelta(days=(3 - day.weekday()) % 7 or 7)


# ---- a file's current content decides -------------------------------------------------------


def test_a_file_changed_back_is_a_resubmission_and_an_unchanged_file_is_not_reread(workspace):
    def dvh(days: int) -> str:
        return f"{SUMMARY_HEADER}\nDVH,2017-09-07,{days},0,0\n"

    for days in (10, 20, 10):  # 10 -> 20 -> back to 10
        drop_file(workspace, "dvh.csv", dvh(days))
        summary = run_weekly(workspace.root, date(2017, 9, 8))
        assert [a["file"] for a in summary.accepted] == ["dvh.csv"]
    assert published(workspace, "weekly_site_summary")["total_days"].to_list() == [10]
    assert summary.resubmitted_keys == ["DVH 2017-09-07 (dvh.csv)"]
    before = digests(workspace)
    again = run_weekly(workspace.root, date(2017, 9, 8))  # unchanged: not read again, nothing changes
    assert again.accepted == [] and again.already_processed == 1
    assert digests(workspace) == before
    assert query(workspace, "select count(*) from submission_files") == [(3,)]


# ---- returns for later weeks wait for their run; weeks after today are refused ----------------


def test_a_return_for_a_later_week_stays_in_the_inbox_for_the_run_that_covers_it(workspace):
    later = drop_file(workspace, "dvh_21.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-21,5,0,0\n")
    mixed = drop_file(workspace, "med_mixed.csv", f"{SUMMARY_HEADER}\nMED,2017-09-14,3,0,0\nMED,2017-09-21,4,0,0\n")
    future_week = next_thursday_after(date.today() + timedelta(days=7))
    drop_file(workspace, "future.csv", f"{SUMMARY_HEADER}\nDVH,{future_week.isoformat()},1,0,0\n")
    drop_file(workspace, "dvh_14.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-14,2,0,0\n")
    summary = run_weekly(workspace.root, date(2017, 9, 15))
    assert [a["file"] for a in summary.accepted] == ["dvh_14.csv"]
    assert [q["file"] for q in summary.quarantined] == ["future.csv"]  # a week after today is a mistake
    assert "week ending is after" in summary.quarantined[0]["first_problem"]
    deferred = {d["file"]: d["reason"] for d in summary.deferred}
    assert deferred == {
        "dvh_21.csv": "carries week(s) ending 2017-09-21, after this run's as-of 2017-09-15: left in the inbox "
        "for the run that covers them",
        "med_mixed.csv": "carries week(s) ending 2017-09-21, after this run's as-of 2017-09-15; it also has earlier "
        "weeks and is kept whole: left in the inbox for the run that covers them",
    }
    assert later.exists() and mixed.exists() and not (workspace.quarantine / "dvh_21.csv").exists()
    assert query(workspace, "select file_name from submission_files order by file_id") == [
        ("future.csv",),
        ("dvh_14.csv",),
    ]  # the deferred files are not recorded as processed
    covering = run_weekly(workspace.root, date(2017, 9, 22))
    assert sorted(a["file"] for a in covering.accepted) == ["dvh_21.csv", "med_mixed.csv"]
    assert covering.deferred == []
    weekly = published(workspace, "weekly_site_summary").select("site_code", "week_ending", "total_days").rows()
    assert weekly == [
        ("DVH", "2017-09-14", 2),
        ("MED", "2017-09-14", 3),
        ("DVH", "2017-09-21", 5),
        ("MED", "2017-09-21", 4),
    ]


def test_a_past_dated_backfill_leaves_later_returns_in_the_inbox(workspace):
    send_weeks(workspace, ("2017-09-07", 1, 1), ("2017-09-14", 2, 2))
    summary = run_backfill(workspace.root, date(2017, 9, 1), date(2017, 9, 8), sources=["weekly"])
    assert [a["file"] for a in summary.accepted] == ["returns_2017-09-07.csv"]
    assert summary.quarantined == [] and [d["file"] for d in summary.deferred] == ["returns_2017-09-14.csv"]
    assert (workspace.inbox_weekly / "returns_2017-09-14.csv").exists()
    later = run_weekly(workspace.root, date(2017, 9, 15))
    assert [a["file"] for a in later.accepted] == ["returns_2017-09-14.csv"]


# ---- an as-of after today is refused ----------------------------------------------------------


def no_flow_may_start(monkeypatch) -> None:
    """A command refused before any flow starts: a flow started would fail the test."""

    def started(*args, **kwargs):
        raise AssertionError("a flow was started")

    for flow in ("flows.weekly.run_weekly", "flows.national.run_national", "flows.backfill.run_backfill"):
        monkeypatch.setattr(flow, started)


def test_an_as_of_after_today_is_refused_and_cannot_silence_alerts(workspace, capsys, monkeypatch):
    with monkeypatch.context() as patched:
        no_flow_may_start(patched)
        for args in (
            ["run", "--as-of", "2029-12-07"],
            ["national", "--as-of", "2029-12-07"],
            ["backfill", "--from", "2017-09-01", "--to", "2029-12-07"],
        ):
            assert main([*args, "--workdir", str(workspace.root)]) == 2
            said = capsys.readouterr().err
            assert "2029-12-07 is after today" in said and "--allow-future-as-of" in said
    with pytest.raises(AsOfInFuture):
        run_weekly(workspace.root, date(2029, 12, 7))
    assert not workspace.warehouse.exists()  # refused before anything was opened or changed
    # explicitly allowed, the mistaken run is kept, but it does not make later real runs "the past"
    (workspace.reference / "sites.csv").write_text(SITES)
    run_weekly(workspace.root, date(2029, 12, 7), allow_future_as_of=True)
    drop_file(workspace, "dvh.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-14,1,0,0\n")
    real = run_weekly(workspace.root, date(2017, 9, 19))
    assert not real.alerts["quiet"]
    assert any(
        "Medway Maritime Hospital (MED) has not sent" in text and "14 September 2017" in text
        for text in real.alerts["raised"]
    )


# ---- missing returns only once they are due ---------------------------------------------------


def test_no_missing_return_alert_before_the_return_is_due(trusts, hook):
    send_weeks(trusts, ("2017-09-07", 10, 10))
    drop_file(trusts, "dvh_14.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-14,10,0,0\n")
    for day in (15, 18):  # Friday after the week, Monday the due date: not yet
        summary = run_weekly(trusts.root, date(2017, 9, day))
        assert events(hook, "submission.missing") == [] and not summary.alerts["quiet"]
    run_weekly(trusts.root, date(2017, 9, 19))  # the first run after it was due
    assert [(m["site_code"], m["week_ending"]) for m in events(hook, "submission.missing")] == [("MED", "2017-09-14")]
    assert trajectory(trusts, "RPA")["status"] == "incomplete"  # MED's week is still missing


# ---- late returns: incomplete, never a false recovery or a second breach ----------------------


def test_a_late_return_raises_no_false_recovery_and_every_snapshot_is_kept(trusts, hook):
    send_weeks(trusts, ("2017-08-31", 0, 0), ("2017-09-07", 10, 400))
    run_weekly(trusts.root, date(2017, 9, 8))  # RPA: 400 in 7 days, heading for 1,714 against 1,000
    assert [b["provider_code"] for b in events(hook, "trajectory.breach")] == ["RPA"]
    drop_file(trusts, "dvh_14.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-14,10,0,0\n")
    run_weekly(trusts.root, date(2017, 9, 15))  # MED's return for the 14th is late
    rpa = trajectory(trusts, "RPA")
    assert (rpa["status"], rpa["mtd_days"]) == ("incomplete", 400)  # not a false "recovered"
    assert rpa["days_covered"] == 7
    drop_file(trusts, "med_14.csv", f"{SUMMARY_HEADER}\nMED,2017-09-14,400,0,0\n")
    run_weekly(trusts.root, date(2017, 9, 15))  # it arrives: still the same breach
    assert trajectory(trusts, "RPA")["status"] == "breach"
    assert [(b["event"], b["provider_code"]) for b in hook.bodies if b["event"].startswith("trajectory")] == [
        ("trajectory.breach", "RPA")
    ]
    history = published(trusts, "trajectory_status_history").filter(pl.col("provider_code") == "RPA")
    assert history.select("as_of", "snapshot", "status").rows() == [
        ("2017-09-08", 1, "breach"),
        ("2017-09-15", 1, "incomplete"),
        ("2017-09-15", 2, "breach"),
    ]
    before = digests(trusts)
    run_weekly(trusts.root, date(2017, 9, 15))  # the same figures add no snapshot
    assert digests(trusts) == before


# ---- trajectory arithmetic: a plan for the calendar month's days ------------------------------


@pytest.mark.parametrize("month_rule", ["week_ending", "calendar"])
def test_a_trust_on_its_daily_plan_in_a_five_thursday_month_is_on_track(workspace, monkeypatch, month_rule):
    monkeypatch.setenv("DTOC_MONTH_RULE", month_rule)
    (workspace.reference / "sites.csv").write_text(SITES)
    (workspace.reference / "bcf_trajectory.csv").write_text(NOVEMBER)
    weeks = ["2017-10-26", "2017-11-02", "2017-11-09", "2017-11-16", "2017-11-23", "2017-11-30"]
    send_weeks(workspace, *[(week, 70, 70) for week in weeks])  # 10 days a day: November's plan of 300
    run_weekly(workspace.root, date(2017, 12, 1))
    rn7 = trajectory(workspace, "RN7", "2017-11")
    covered = 35 if month_rule == "week_ending" else 30  # five Thursdays, or November's 30 days
    assert (rn7["status"], rn7["projected_days"]) == ("on_track", pytest.approx(300))
    assert rn7["mtd_days"] == pytest.approx(10 * covered)
    assert rn7["mtd_planned_days"] == pytest.approx(300 * covered / 30)
    # the burn-up's last week of the month is the status: same weeks, same days, same plan to date
    burnup = published(workspace, "trajectory_burnup").filter(pl.col("month") == "2017-11")
    for provider in ("RN7", "RPA"):
        status = trajectory(workspace, provider, "2017-11")
        last = burnup.filter(pl.col("provider_code") == provider).sort("week_ending").row(-1, named=True)
        assert last["week_ending"] == "2017-11-30"
        assert last["cumulative_days"] == pytest.approx(status["mtd_days"])
        assert last["planned_to_date"] == pytest.approx(status["mtd_planned_days"])
        assert last["days_covered"] == status["days_covered"]
    assert (rn7["days_covered"], rn7["days_in_month"]) == (covered, 30)
    monthly = published(workspace, "monthly_provider_summary").filter(pl.col("month") == "2017-11")
    assert monthly.filter(pl.col("provider_code") == "RN7")["total_days"].item() == pytest.approx(rn7["mtd_days"])


# ---- backfills: twice is once; then weekly runs go on -----------------------------------------


def test_backfill_twice_with_alerts_raises_nothing_new_then_weekly_runs_go_on(trusts, hook):
    # RN7 (plan 400 for September's 30 days): breach, recovery, breach again, recovery again
    send_weeks(
        trusts,
        ("2017-08-31", 0, 0),
        ("2017-09-07", 150, 10),
        ("2017-09-14", 10, 10),
        ("2017-09-21", 200, 10),
        ("2017-09-28", 0, 10),
    )
    first = run_backfill(trusts.root, date(2017, 9, 1), date(2017, 9, 29), alerts=True)
    sequence = [(b["event"], b["as_of"]) for b in hook.bodies if b.get("provider_code") == "RN7"]
    assert sequence == [
        ("trajectory.breach", "2017-09-08"),
        ("trajectory.recovered", "2017-09-15"),
        ("trajectory.breach", "2017-09-22"),
        ("trajectory.recovered", "2017-09-29"),
    ]
    assert first.alerts_raised == len(hook.bodies)
    before = digests(trusts)
    second = run_backfill(trusts.root, date(2017, 9, 1), date(2017, 9, 29), alerts=True)
    assert second.alerts_raised == 0 and len(hook.bodies) == first.alerts_raised
    assert digests(trusts) == before
    run_weekly(trusts.root, date(2017, 9, 29))  # the weekly run for the backfill's last week
    assert len(hook.bodies) == first.alerts_raised
    send_weeks(trusts, ("2017-10-05", 1, 1))
    later = run_weekly(trusts.root, date(2017, 10, 6))
    assert not later.alerts["quiet"] and len(hook.bodies) == first.alerts_raised  # nothing new to say
    assert published(trusts, "alerts")["dedup_key"].is_unique().all()


# ---- sites that close --------------------------------------------------------------------------


def test_a_closed_site_keeps_its_figures_and_is_not_chased(trusts, hook, capsys, monkeypatch):
    send_weeks(trusts, ("2017-09-07", 10, 40))
    drop_file(trusts, "dvh_14.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-14,10,0,0\n")
    (trusts.reference / "sites.csv").write_text(
        SITES.replace("beds\n", "beds,closed_from\n")
        .replace(",480\n", ",480,\n")
        .replace(",600\n", ",600,2017-09-08\n")
    )
    run_weekly(trusts.root, date(2017, 9, 19))
    assert events(hook, "submission.missing") == []  # MED closed before the week ending the 14th
    rpa = trajectory(trusts, "RPA")  # RPA has no open site from the 14th: its weeks are complete
    assert (rpa["status"], rpa["mtd_days"], rpa["days_covered"]) == ("on_track", 40, 14)
    weekly = published(trusts, "weekly_site_summary").filter(pl.col("site_code") == "MED")
    assert weekly.select("week_ending", "provider_code", "total_days").rows() == [("2017-09-07", "RPA", 40)]
    monthly = published(trusts, "monthly_provider_summary").filter(pl.col("provider_code") == "RPA")
    assert monthly["total_days"].to_list() == [40]  # every table agrees on the closed site's days

    before = digests(trusts)
    (trusts.reference / "sites.csv").write_text(
        SITES.splitlines(keepends=True)[0] + SITES.splitlines(keepends=True)[1]
    )  # MED's row removed
    with pytest.raises(SitesRemoved, match=r"MED \(1 week\(s\) loaded, the last ending 2017-09-07\).*closed_from"):
        run_weekly(trusts.root, date(2017, 9, 19))
    no_flow_may_start(monkeypatch)
    assert main(["run", "--as-of", "2017-09-19", "--workdir", str(trusts.root)]) == 2
    assert "give it a closed_from date" in capsys.readouterr().err
    assert digests(trusts) == before
