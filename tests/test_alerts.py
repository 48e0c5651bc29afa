"""Trajectory status, alerts delivered once to a real HTTP server on 127.0.0.1, and SPC rules."""

from __future__ import annotations

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import drop_file, published

from flows.warehouse import SQL_ROOT
from flows.weekly import run_weekly

SUMMARY_HEADER = "site_code,week_ending,nhs_days,social_care_days,both_days"
SITES = (
    "site_code,site_name,provider_code,provider_name,care_type,beds\n"
    "DVH,Darent Valley Hospital,RN7,Dartford and Gravesham NHS Trust,acute,480\n"
    "MED,Medway Maritime Hospital,RPA,Medway NHS Foundation Trust,acute,600\n"
)
TRAJECTORY = (
    "la_code,month,provider_code,responsible_org,planned_days\n"
    "E10000016,2017-09,RN7,NHS,300\nE10000016,2017-09,RN7,Social Care,100\n"
    "E10000016,2017-09,RPA,NHS,1000\n"
)


class Receiver:
    """A real webhook endpoint on 127.0.0.1 that records every JSON body POSTed to it."""

    def __init__(self, port: int = 0):
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                receiver.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                receiver.paths.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture
def trust_workspace(workspace, receiver, monkeypatch):
    """Two trusts with September 2017 trajectories: RN7 plans 400 days, RPA 1,000."""
    (workspace.reference / "sites.csv").write_text(SITES)
    (workspace.reference / "bcf_trajectory.csv").write_text(TRAJECTORY)
    workspace.settings_file.write_text(f'alert_webhook_url = "{receiver.url}"\nalert_backoff_seconds = 0.05\n')
    return workspace


def send_weeks(ws, *weeks: tuple[str, int, int]) -> None:
    """Returns for DVH and MED: (week_ending, DVH NHS days, MED NHS days)."""
    for week, dvh, med in weeks:
        drop_file(ws, f"returns_{week}.csv", f"{SUMMARY_HEADER}\nDVH,{week},{dvh},0,0\nMED,{week},{med},0,0\n")


def events(receiver: Receiver, name: str) -> list[dict]:
    return [body for body in receiver.bodies if body["event"] == name]


@pytest.mark.long(63)
def test_breach_after_two_of_four_weeks_alerts_once_with_the_documented_figures(trust_workspace, receiver):
    # September 2017 has 30 days; two weeks reported cover 14 of them:
    # mtd_planned = plan x 14 / 30, projected = mtd / 14 x 30
    send_weeks(trust_workspace, ("2017-09-07", 150, 50), ("2017-09-14", 150, 50))
    summary = run_weekly(trust_workspace.root, date(2017, 9, 15))
    status = (
        published(trust_workspace, "trajectory_status")
        .select(
            "provider_code",
            "planned_days",
            "mtd_days",
            "mtd_planned_days",
            "projected_days",
            "status",
            "days_covered",
            "days_in_month",
        )
        .rows()
    )
    assert status == [
        ("RN7", 400, 300, pytest.approx(400 * 14 / 30), pytest.approx(300 / 14 * 30), "breach", 14, 30),
        ("RPA", 1000, 100, pytest.approx(1000 * 14 / 30), pytest.approx(100 / 14 * 30), "on_track", 14, 30),
    ]
    [breach] = events(receiver, "trajectory.breach")
    assert {
        k: breach[k]
        for k in (
            "event",
            "la_code",
            "provider_code",
            "month",
            "as_of",
            "planned_days",
            "mtd_days",
            "mtd_planned_days",
            "projected_days",
        )
    } == {
        "event": "trajectory.breach",
        "la_code": "E10000016",
        "provider_code": "RN7",
        "month": "2017-09",
        "as_of": "2017-09-15",
        "planned_days": 400,
        "mtd_days": 300,
        "mtd_planned_days": pytest.approx(186.6667, abs=1e-3),
        "projected_days": pytest.approx(642.8571, abs=1e-3),
    }
    assert breach["text"] == (
        "Dartford and Gravesham NHS Trust is running above its BCF trajectory for September 2017: "
        "300 delayed days to date against 187 planned to date, heading for 643 against a plan "
        "of 400."
    )
    assert len(receiver.bodies) == 1  # RPA is under its trajectory, every site sent its return
    assert summary.alerts["delivered"] == 1
    run_weekly(trust_workspace.root, date(2017, 9, 15))  # a rerun sends nothing new
    run_weekly(trust_workspace.root, date(2017, 9, 16))
    assert len(receiver.bodies) == 1
    log = published(trust_workspace, "alerts")
    assert log.select("event", "provider_code", "delivery_state", "attempts").rows() == [
        ("trajectory.breach", "RN7", "delivered", 1)
    ]


def test_endpoint_down_keeps_the_alert_pending_until_it_is_back(trust_workspace, receiver):
    port = receiver.port
    receiver.stop()  # nothing listens on the port now: connections are refused
    send_weeks(trust_workspace, ("2017-09-07", 150, 50), ("2017-09-14", 150, 50))
    summary = run_weekly(trust_workspace.root, date(2017, 9, 15))  # the run itself succeeds
    assert summary.alerts["delivered"] == 0 and summary.alerts["pending"] == 1
    assert "ConnectError" in summary.alerts["error"]
    pending = published(trust_workspace, "alerts").row(0, named=True)
    assert (pending["event"], pending["delivery_state"], pending["attempts"]) == ("trajectory.breach", "pending", 3)
    assert (trust_workspace.publish / "weekly_site_summary.csv").exists()
    back = Receiver(port)
    try:
        later = run_weekly(trust_workspace.root, date(2017, 9, 15))
        assert later.alerts["delivered"] == 1
        run_weekly(trust_workspace.root, date(2017, 9, 15))
        assert [body["event"] for body in back.bodies] == ["trajectory.breach"]  # exactly once
        assert back.bodies[0]["projected_days"] == pytest.approx(300 / 14 * 30)
    finally:
        back.stop()
    delivered = published(trust_workspace, "alerts").row(0, named=True)
    assert (delivered["delivery_state"], delivered["attempts"]) == ("delivered", 4)


def test_recovery_is_alerted_once(trust_workspace, receiver):
    send_weeks(trust_workspace, ("2017-09-07", 150, 50), ("2017-09-14", 150, 50))
    run_weekly(trust_workspace.root, date(2017, 9, 15))
    send_weeks(trust_workspace, ("2017-09-21", 30, 50), ("2017-09-28", 30, 50))
    run_weekly(trust_workspace.root, date(2017, 9, 29))
    run_weekly(trust_workspace.root, date(2017, 9, 29))
    assert [(b["event"], b["provider_code"]) for b in receiver.bodies] == [
        ("trajectory.breach", "RN7"),
        ("trajectory.recovered", "RN7"),
    ]
    recovered = receiver.bodies[1]  # 360 days in 28 of September's 30 days
    assert (recovered["mtd_days"], recovered["mtd_planned_days"], recovered["projected_days"]) == (
        360,
        pytest.approx(400 * 28 / 30),
        pytest.approx(360 / 28 * 30),
    )
    assert recovered["text"].startswith("Dartford and Gravesham NHS Trust is back on its BCF trajectory")


def test_missing_return_is_alerted_once(trust_workspace, receiver):
    send_weeks(trust_workspace, ("2017-09-07", 10, 10))
    drop_file(trust_workspace, "dvh_14.csv", f"{SUMMARY_HEADER}\nDVH,2017-09-14,10,0,0\n")
    run_weekly(trust_workspace.root, date(2017, 9, 19))  # due on Monday 18th (4 days after the week ends)
    run_weekly(trust_workspace.root, date(2017, 9, 19))
    [missing] = events(receiver, "submission.missing")
    assert (missing["site_code"], missing["provider_code"], missing["week_ending"], missing["la_code"]) == (
        "MED",
        "RPA",
        "2017-09-14",
        "E10000016",
    )
    assert missing["text"] == (
        "Medway Maritime Hospital (MED) has not sent its delayed transfers of care return for "
        "the week ending 14 September 2017."
    )
    assert len(receiver.bodies) == 1


def test_reruns_for_the_past_stay_quiet_unless_asked(trust_workspace, receiver):
    send_weeks(
        trust_workspace,
        ("2017-09-07", 150, 50),
        ("2017-09-14", 150, 50),
        ("2017-09-21", 30, 50),
        ("2017-09-28", 30, 50),
    )
    run_weekly(trust_workspace.root, date(2017, 9, 29))  # the month ends on track: nothing to say
    assert receiver.bodies == []
    past = run_weekly(trust_workspace.root, date(2017, 9, 15))  # back then RN7 was in breach
    assert past.alerts["quiet"] and receiver.bodies == []
    asked = run_weekly(trust_workspace.root, date(2017, 9, 15), alerts=True)
    assert not asked.alerts["quiet"]
    assert [b["event"] for b in receiver.bodies] == ["trajectory.breach"]


def test_alerts_are_prefect_events_too(trust_workspace, receiver, prefect_server_with_every_service):
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter
    from prefect.events.worker import EventsWorker

    send_weeks(trust_workspace, ("2017-09-07", 150, 50), ("2017-09-14", 150, 50))
    run_weekly(trust_workspace.root, date(2017, 9, 15))
    EventsWorker.drain_all()
    import time

    with get_client(sync_client=True) as client:
        for _ in range(50):  # the server files events asynchronously
            page = client.read_events(EventFilter(event=EventNameFilter(name=["dtoc.trajectory.breach"])), limit=50)
            found = [
                e
                for e in page.events
                if e.payload.get("as_of") == "2017-09-15"
                and e.payload.get("dedup_key", "").endswith("RN7|2017-09|episode 1")
            ]
            if found:
                break
            time.sleep(0.2)
    assert found, "no dtoc.trajectory.breach event reached Prefect"
    assert found[0].resource.id == "dtoc.E10000016.RN7"
    assert found[0].payload["projected_days"] == pytest.approx(300 / 14 * 30)


def test_alerts_through_a_prefect_notification_block(trust_workspace, receiver):
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    CustomWebhookNotificationBlock(
        name="dtoc-test-hook",
        url=f"http://127.0.0.1:{receiver.port}/block",
        json_data={"text": "{{body}}", "title": "{{subject}}"},
    ).save("dtoc-alerts-test", overwrite=True)
    trust_workspace.settings_file.write_text(
        'alert_notification_block = "custom-webhook/dtoc-alerts-test"\nalert_backoff_seconds = 0.05\n'
    )
    send_weeks(trust_workspace, ("2017-09-07", 150, 50), ("2017-09-14", 150, 50))
    summary = run_weekly(trust_workspace.root, date(2017, 9, 15))
    assert summary.alerts["delivered"] == 1
    assert receiver.paths == ["/block"]
    assert receiver.bodies[0]["title"] == "DToC trajectory.breach"
    assert receiver.bodies[0]["text"].startswith("Dartford and Gravesham NHS Trust is running above")


def test_calendar_rule_counts_days_of_the_month(trust_workspace, receiver, monkeypatch):
    # weeks ending 7 and 14 September cover 1-14 September (the week to 7 Sep starts on 1 Sep)
    send_weeks(trust_workspace, ("2017-09-07", 140, 50), ("2017-09-14", 140, 50))
    monkeypatch.setenv("DTOC_MONTH_RULE", "calendar")
    run_weekly(trust_workspace.root, date(2017, 9, 15))
    rn7 = published(trust_workspace, "trajectory_status").filter(pl.col("provider_code") == "RN7").row(0, named=True)
    assert (rn7["periods_to_date"], rn7["periods_in_month"]) == (14, 30)
    assert rn7["mtd_days"] == pytest.approx(280)
    assert rn7["mtd_planned_days"] == pytest.approx(400 * 14 / 30)
    assert rn7["projected_days"] == pytest.approx(280 / 14 * 30)
    assert rn7["status"] == "breach"


# ---- SPC: the SQL of spc_signals on hand-computed series ----------------------------------


def spc(series: dict[str, list[int]]) -> pl.DataFrame:
    con = duckdb.connect()
    rows = [
        (site, date.fromordinal(date(2017, 9, 7).toordinal() + 7 * i), v)
        for site, values in series.items()
        for i, v in enumerate(values)
    ]
    con.execute("create table int_attributed_site_weeks (site_code varchar, week_ending date, total_days integer)")
    con.executemany("insert into int_attributed_site_weeks values (?, ?, ?)", rows)
    con.execute("create view spc_signals as " + Path(SQL_ROOT / "published" / "spc_signals.sql").read_text())
    return con.sql("select * from spc_signals order by site_code, week_ending").pl()


def test_spc_limits_and_a_point_beyond_the_upper_limit_after_a_run_below_the_mean():
    values = [10, 12, 11, 13, 12, 11, 10, 12, 11, 30]
    chart = spc({"A": values})
    # mean 132/10 = 13.2; moving ranges 2,1,2,1,1,1,2,1,19 average 30/9; limits 13.2 -/+ 2.66 x 30/9
    assert chart["mean"][0] == pytest.approx(13.2)
    assert chart["upper_limit"][0] == pytest.approx(13.2 + 2.66 * 30 / 9)
    assert chart["lower_limit"][0] == pytest.approx(13.2 - 2.66 * 30 / 9)
    assert chart["signal"].to_list() == ["run_below_mean"] * 9 + ["above_upper_limit"]
    assert chart["concerning"].to_list() == [False] * 9 + [True]


def test_spc_trend_of_six():
    chart = spc({"B": [20, 21, 22, 23, 24, 25, 22, 21, 23, 22]})
    # 20..25 is six points each above the last; the mean is 22.3, so 23, 24, 25 are not yet a run of 7
    assert chart["signal"].to_list()[:7] == ["trend_up"] * 6 + [None]
    assert chart["concerning"].to_list()[:6] == [True] * 6


def test_spc_two_of_three_near_the_upper_limit():
    values = [10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 16, 16, 12, 10, 12, 10]
    chart = spc({"C": values})
    # mean 186/16 = 11.625; moving ranges sum to 32 over 15; upper limit 11.625 + 2.66 x 32/15 = 17.2997;
    # its outer third starts at 11.625 + 5.6747 x 2/3 = 15.408, so both 16s are near the limit
    assert chart["mean"][0] == pytest.approx(11.625)
    assert chart["upper_limit"][0] == pytest.approx(17.2997, abs=1e-4)
    assert chart["lower_limit"][0] == pytest.approx(5.9503, abs=1e-4)
    assert chart["signal"].to_list() == [None] * 10 + ["near_upper_limit", "near_upper_limit"] + [None] * 4


def test_spc_signals_published_for_every_site_week(demo_run):
    ws, _ = demo_run
    chart = published(ws, "spc_signals")
    assert chart.columns == [
        "site_code",
        "week_ending",
        "total_days",
        "mean",
        "lower_limit",
        "upper_limit",
        "signal",
        "concerning",
    ]
    assert chart.height == published(ws, "weekly_site_summary").height
    dvh = chart.filter(pl.col("site_code") == "DVH")
    totals = [214, 219, 210, 172, 118, 140, 203, 140, 91, 118, 140, 112]
    assert dvh["mean"][0] == pytest.approx(sum(totals) / 12)


def test_optional_alert_for_a_concerning_special_cause(trust_workspace, receiver):
    weeks = ["2017-09-07", "2017-09-14", "2017-09-21", "2017-09-28", "2017-10-05", "2017-10-12"]
    send_weeks(trust_workspace, *[(week, 10 * (n + 1), 50) for n, week in enumerate(weeks)])
    settings = trust_workspace.settings_file.read_text()
    trust_workspace.settings_file.write_text(settings + "alert_on_spc_signals = true\n")
    run_weekly(trust_workspace.root, date(2017, 10, 13))  # no October trajectory: only the chart can speak
    [signal] = receiver.bodies
    assert (signal["event"], signal["site_code"], signal["week_ending"]) == ("spc.signal", "DVH", "2017-10-12")
    assert signal["text"] == (
        "Darent Valley Hospital (DVH): 60 delayed days in the week ending 12 October 2017 is a "
        "concerning special cause (trend_up)."
    )
