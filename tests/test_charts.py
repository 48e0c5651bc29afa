"""The dashboard's charts, drawn by vl-convert in a helper process (flows/charts.py)."""

from __future__ import annotations

import json
import sys
import threading

import pytest
import vl_convert
from conftest import demo_models_copy

from flows.charts import ChartDrawer, ChartFailed
from flows.dashboard import _spc, _spc_charts, _vega_lite, build_dashboard, draw_charts_soon
from flows.demo import DEMO_AS_OF


def year_of_weeks(seed: int, mark: str = "line") -> str:
    """A chart of 52 points, about 9 KB of spec: a few fill the pipe to the helper."""
    values = [{"week": f"2017-W{week:02d}", "days": (week * seed) % 97, "note": "x" * 80} for week in range(52)]
    return json.dumps(
        {
            "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "data": {"values": values},
            "mark": mark,
            "encoding": {"x": {"field": "week", "type": "ordinal"}, "y": {"field": "days", "type": "quantitative"}},
        }
    )


@pytest.fixture
def drawer():
    charts = ChartDrawer()
    charts.start()
    yield charts
    charts.stop()


def test_charts_sent_at_once_from_several_threads_are_the_bytes_vl_convert_draws_here(drawer):
    specs = [year_of_weeks(seed) for seed in range(12)]  # about 110 KB: more than a pipe holds
    drawings = [drawer.draw_soon(spec) for spec in specs]
    drawn_in_threads: dict[int, str] = {}

    def draw(seed: int) -> None:
        drawn_in_threads[seed] = drawer.svg(year_of_weeks(seed, "point"))

    threads = [threading.Thread(target=draw, args=(seed,)) for seed in range(20, 26)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [drawing.result() for drawing in drawings] == [vl_convert.vegalite_to_svg(spec) for spec in specs]
    assert drawn_in_threads == {
        seed: vl_convert.vegalite_to_svg(year_of_weeks(seed, "point")) for seed in range(20, 26)
    }
    assert drawer.draw_soon(specs[0]) is drawings[0]  # drawn once


def test_a_spec_vl_convert_cannot_draw_fails_with_its_reason_and_the_next_is_drawn(drawer):
    with pytest.raises(ValueError) as here:
        vl_convert.vegalite_to_svg('{"mark": "nonsense", "encoding": 5}')
    with pytest.raises(ChartFailed) as failed:
        drawer.svg('{"mark": "nonsense", "encoding": 5}')
    assert str(failed.value) == str(here.value) and "Vega-Lite to SVG conversion failed" in str(failed.value)
    assert drawer.svg(year_of_weeks(3)) == vl_convert.vegalite_to_svg(year_of_weeks(3))


def test_charts_owed_by_a_helper_that_died_are_drawn_here_and_the_next_by_a_new_helper(drawer):
    specs = [year_of_weeks(seed, "area") for seed in range(8)]
    drawings = [drawer.draw_soon(spec) for spec in specs]
    first = drawer._helper
    first.process.kill()
    assert [drawing.result(timeout=60) for drawing in drawings] == [vl_convert.vegalite_to_svg(s) for s in specs]
    assert drawer.svg(year_of_weeks(50)) == vl_convert.vegalite_to_svg(year_of_weeks(50))
    assert drawer._helper is not first and drawer._helper.alive()


class RecordingDrawer(ChartDrawer):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def draw_soon(self, spec: str):
        self.sent.append(spec)
        return super().draw_soon(spec)


def test_the_charts_sent_early_are_those_the_dashboard_draws_in_its_order(demo_national, tmp_path, monkeypatch):
    """`publish` sends the dashboard's charts before it checks and writes the files: the dashboard must then ask
    for the very same specs, in the order they were sent, or the head start is lost."""
    import flows.dashboard as dashboard

    ws, _ = demo_national
    con = demo_models_copy(ws, tmp_path)
    drawer = RecordingDrawer()
    monkeypatch.setattr(dashboard, "CHARTS", drawer)
    try:
        draw_charts_soon(con)
        sent_early = list(drawer.sent)
        page = build_dashboard(con, tmp_path / "publish", DEMO_AS_OF).read_text(encoding="utf-8")
        spc = [block for block in _spc(con) if block["kind"] == "chart"]
    finally:
        drawer.stop()
    asked_by_page = drawer.sent[len(sent_early) : 2 * len(sent_early)]
    assert asked_by_page == sent_early
    titles = [json.loads(spec)["title"] for spec in sent_early]
    assert titles[0] == "Why the national figure differs from the local count, 2017-09"  # the waterfall
    assert titles[1].startswith("Burn-up by trust, 2017-11")
    assert len(titles) == 2 + len(spc) and len(spc) >= 5
    assert all(title.endswith(": weekly total delayed days") for title in titles[2:])
    assert page.count('<svg role="img"') == len(sent_early)  # every chart on the page was sent early
    assert all(chart["svg"] == drawer.svg(spec).replace("<svg ", f'<svg role="img" aria-label="{chart["label"]}" ', 1)
               for chart, spec in zip(spc, sent_early[2:], strict=True))  # fmt: skip
    assert [_vega_lite(spec) for _, spec, _, _ in _spc_charts(con)] == sent_early[2:]
    assert all('"2017-11-23"' in spec for spec in sent_early[1:])  # the demo's latest week, on every weekly chart


FAKE_HELPERS = {
    "answers an empty object": "import sys; sys.stdin.readline(); print('{}', flush=True)",
    "answers a number and stays": "import sys, time; sys.stdin.readline(); print(5, flush=True); time.sleep(60)",
    "stops at once": "raise SystemExit(1)",
}


@pytest.mark.parametrize("helper", FAKE_HELPERS)
def test_a_helper_that_answers_no_drawing_is_stopped_and_its_charts_are_drawn_here(helper, monkeypatch):
    import flows.charts as charts

    started = []
    monkeypatch.setattr(
        charts, "helper_command", lambda: started.append(helper) or [sys.executable, "-c", FAKE_HELPERS[helper]]
    )
    drawer = ChartDrawer()
    try:
        specs = [year_of_weeks(seed, "bar") for seed in range(6)]
        drawings = [drawer.draw_soon(spec) for spec in specs]
        assert [drawing.result(timeout=60) for drawing in drawings] == [vl_convert.vegalite_to_svg(s) for s in specs]
        for seed in range(6, 6 + charts.HELPERS_LOST_AT_MOST + 2):
            spec = year_of_weeks(seed, "bar")
            assert drawer.draw_soon(spec).result(timeout=60) == vl_convert.vegalite_to_svg(spec)
            if drawer._helper is not None:
                drawer._helper.process.wait(timeout=60)  # it answers no drawing, or stops at once
    finally:
        drawer.stop()
    assert len(started) == charts.HELPERS_LOST_AT_MOST  # then this process draws its charts itself


def test_the_weekly_run_sends_the_spc_charts_before_it_checks_the_tables(tmp_path, monkeypatch):
    import flows.dashboard as dashboard
    from flows.demo import DEMO_AS_OF, write_sample
    from flows.output_checks import OutputChecks
    from flows.weekly import run_weekly
    from flows.workspace import open_workspace

    ws = open_workspace(tmp_path / "work")
    write_sample(ws.inbox_weekly)
    drawer = RecordingDrawer()
    monkeypatch.setattr(dashboard, "CHARTS", drawer)
    check = OutputChecks._check
    monkeypatch.setattr(
        OutputChecks, "_check", lambda checks, table: drawer.sent.append(f"check {table}") or check(checks, table)
    )
    try:
        run_weekly(ws.root, DEMO_AS_OF)
    finally:
        drawer.stop()
    first_check = next(n for n, sent in enumerate(drawer.sent) if sent.startswith("check "))
    spc = {sent for sent in drawer.sent if ": weekly total delayed days" in sent}
    assert len(spc) >= 5
    for spec in spc:  # sent once the figures are known, and asked for again when the page is laid out
        sent_at = [n for n, sent in enumerate(drawer.sent) if sent == spec]
        assert sent_at[0] < first_check < sent_at[-1]
