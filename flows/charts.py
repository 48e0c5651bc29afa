"""The dashboard's charts: Vega-Lite specs drawn as SVG by vl-convert in a helper process.

vl-convert holds the GIL while it draws (70-90 ms a chart of a year of weeks) and its JavaScript
engine takes about half a second to start, so a run that drew its charts itself would wait for them
on one core. Instead one helper process per Python process (a fresh Python running this module,
started by `start_drawing` while the run starts) keeps vl-convert ready, and a spec sent with
`draw_soon` is drawn there while the run goes on (the SPC charts are sent before the output checks
and files are written, and collected when the dashboard is laid out). `svg` returns the drawing of a
spec, sent earlier or now. The helper draws with the same vl-convert, so a chart is the same bytes
as one drawn in this process; when the helper cannot start or has stopped, charts are drawn here.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
from concurrent.futures import Future
from pathlib import Path

KEPT_DRAWINGS = 256  # the latest drawings kept: a process that draws a spec again (`dtoc demo`) does not wait


class ChartFailed(ValueError):
    """vl-convert could not draw a spec."""


class Drawing(Future):
    """The SVG of one spec, drawn by the helper or here."""

    def __init__(self, spec: str) -> None:
        super().__init__()
        self.spec = spec


class _Helper:
    """One helper process, the specs waiting to be sent to it, and those sent and not yet drawn (in order).

    A thread sends the specs (a pipe holds about 64 KB, a year of weeks' chart about 8 KB, and the helper
    reads the next spec only once it has drawn the last), another hands out the drawings; when the helper
    stops, the drawings it still owed are drawn here.
    """

    def __init__(self, lock: threading.Lock) -> None:
        package_root = str(Path(__file__).resolve().parent.parent)
        start = f"import runpy, sys; sys.path.insert(0, {package_root!r}); runpy.run_module('flows.charts', run_name='__main__')"
        self.process = subprocess.Popen(
            [sys.executable, "-c", start],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        self.lock = lock
        self.outbox: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.owed: collections.deque[Drawing] = collections.deque()
        threading.Thread(target=self._send, name="chart-specs", daemon=True).start()
        threading.Thread(target=self._receive, name="chart-drawings", daemon=True).start()

    def alive(self) -> bool:
        return self.process.poll() is None

    def draw(self, drawing: Drawing) -> None:
        """Send a spec (call it holding the lock, so that specs are owed in the order they are sent)."""
        self.owed.append(drawing)
        self.outbox.put(json.dumps(drawing.spec))

    def stop(self) -> None:
        self.outbox.put(None)

    def _send(self) -> None:
        try:
            while (line := self.outbox.get()) is not None:
                self.process.stdin.write(line + "\n")
                self.process.stdin.flush()
            self.process.stdin.close()
        except (OSError, ValueError):
            self.process.kill()

    def _receive(self) -> None:
        try:
            for line in self.process.stdout:
                answer = json.loads(line)
                with self.lock:
                    drawing = self.owed.popleft()
                if "svg" in answer:
                    drawing.set_result(answer["svg"])
                else:
                    drawing.set_exception(ChartFailed(answer["error"]))
        except (ValueError, IndexError, KeyError, OSError):  # not a drawing: the helper is not to be trusted
            self.process.kill()
        self.process.wait()
        with self.lock:
            left, self.owed = list(self.owed), collections.deque()
        for drawing in left:
            _draw_here(drawing)


class ChartDrawer:
    """The helper of this process (started again if it stopped) and the latest drawings by spec."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._helper: _Helper | None = None
        self._started_by = 0  # the pid that started the helper: a forked child starts its own
        self._drawings: collections.OrderedDict[str, Drawing] = collections.OrderedDict()

    def start(self) -> None:
        """Start the helper (once per process; again after it stopped)."""
        with self._lock:
            self._running_helper()

    def _running_helper(self) -> _Helper | None:
        if self._started_by != os.getpid():
            self._helper, self._drawings, self._started_by = None, collections.OrderedDict(), os.getpid()
        if self._helper is None or not self._helper.alive():
            try:
                self._helper = _Helper(self._lock)
            except OSError:
                self._helper = None
        return self._helper

    def draw_soon(self, spec: str) -> Drawing:
        """The drawing of a Vega-Lite spec (JSON text): sent to the helper now, unless drawn or sent already."""
        with self._lock:
            helper = self._running_helper()
            drawing = self._drawings.get(spec)
            if drawing is not None:
                self._drawings.move_to_end(spec)
                return drawing
            drawing = self._drawings[spec] = Drawing(spec)
            while len(self._drawings) > KEPT_DRAWINGS:
                self._drawings.popitem(last=False)
            if helper is not None:
                helper.draw(drawing)  # drawn by the helper, or here if it stops first
                return drawing
        _draw_here(drawing)
        return drawing

    def svg(self, spec: str) -> str:
        """The SVG vl-convert draws for a Vega-Lite spec; ChartFailed when it cannot draw it."""
        return self.draw_soon(spec).result()

    def stop(self) -> None:
        with self._lock:
            helper, self._helper = self._helper, None
        if helper is not None and self._started_by == os.getpid():
            helper.stop()
            with contextlib.suppress(subprocess.TimeoutExpired):
                helper.process.wait(timeout=10)


def _draw_here(drawing: Drawing) -> None:
    try:
        drawing.set_result(_vegalite_to_svg(drawing.spec))
    except ChartFailed as error:
        drawing.set_exception(error)


def _vegalite_to_svg(spec: str) -> str:
    import vl_convert

    try:
        return vl_convert.vegalite_to_svg(spec)
    except ValueError as error:
        raise ChartFailed(str(error)) from None


CHARTS = ChartDrawer()
atexit.register(CHARTS.stop)


def start_drawing() -> None:
    """Start the helper process and its vl-convert (call it early: it takes about half a second)."""
    CHARTS.start()


def _serve() -> None:
    """The helper: vl-convert started at once, then one spec in and one drawing out per line, in order. The
    drawings go out on a copy of stdout; whatever else writes to stdout goes to stderr."""
    drawings = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    _vegalite_to_svg('{"mark": "point"}')
    for line in sys.stdin:
        try:
            answer = {"svg": _vegalite_to_svg(json.loads(line))}
        except ChartFailed as error:
            answer = {"error": str(error)}
        drawings.write(json.dumps(answer) + "\n")
        drawings.flush()


if __name__ == "__main__":
    _serve()
