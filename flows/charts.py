"""The dashboard's charts: Vega-Lite specs drawn as SVG by vl-convert in a helper process.

vl-convert holds the GIL while it draws (70-90 ms a chart of a year of weeks) and its JavaScript
engine takes about half a second to start, so a run that drew its charts itself would wait for them
on one core. Instead one helper process per Python process (a fresh Python running this module,
started by `start_drawing` while the run starts) keeps vl-convert ready, and a spec sent with
`draw_soon` is drawn there while the run goes on (the SPC charts are sent before the output checks
and files are written, and collected when the dashboard is laid out). `svg` returns the drawing of a
spec, sent earlier or now. The helper draws with the same vl-convert, so a chart is the same bytes
as one drawn in this process. When the helper cannot start, stops, or answers what is not a drawing,
the charts it owed are drawn here; after HELPERS_LOST_AT_MOST such helpers, the process draws its own.
A forked child lets go of its parent's helper and starts its own.
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
HELPERS_LOST_AT_MOST = 3  # helpers that may stop before their process stops starting them and draws its charts


class ChartFailed(ValueError):
    """vl-convert could not draw a spec."""


class Drawing(Future):
    """The SVG of one spec, drawn by the helper or here."""

    def __init__(self, spec: str) -> None:
        super().__init__()
        self.spec = spec


def helper_command() -> list[str]:
    """A fresh Python running this module as its main module, importing this same copy of the package."""
    package_root = str(Path(__file__).resolve().parent.parent)
    start = f"import runpy, sys; sys.path.insert(0, {package_root!r}); runpy.run_module('flows.charts', run_name='__main__')"
    return [sys.executable, "-c", start]


class _Helper:
    """One helper process, the specs waiting to be sent to it, and those sent and not yet drawn (in order).

    A thread sends the specs (a pipe holds about 64 KB, a year of weeks' chart about 8 KB, and the helper
    reads the next spec only once it has drawn the last), another hands out the drawings. When the helper
    stops, or answers what is not a drawing, it is stopped and the drawings it still owed are drawn here.
    """

    def __init__(self, lock: threading.Lock) -> None:
        self.process = subprocess.Popen(
            helper_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        self.lock = lock
        self.stopping = False
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
        """Stop the helper now: what it still owes is not drawn (the process that wanted it is stopping)."""
        self.stopping = True
        self.process.kill()
        self.process.wait()

    def _send(self) -> None:
        try:
            while (line := self.outbox.get()) is not None:
                self.process.stdin.write(line + "\n")
                self.process.stdin.flush()
        except (OSError, ValueError):
            self.process.kill()
        with contextlib.suppress(OSError, ValueError):
            self.process.stdin.close()

    def _receive(self) -> None:
        with contextlib.suppress(Exception):  # whatever went wrong, the helper is stopped and owes nothing
            for line in self.process.stdout:
                answer = json.loads(line)
                if not (isinstance(answer, dict) and isinstance(answer.get("svg", answer.get("error")), str)):
                    break
                with self.lock:
                    drawing = self.owed.popleft()
                if "svg" in answer:
                    drawing.set_result(answer["svg"])
                else:
                    drawing.set_exception(ChartFailed(answer["error"]))
        self.process.kill()
        self.process.wait()
        self.outbox.put(None)  # the sending thread ends too
        with contextlib.suppress(OSError, ValueError):
            self.process.stdout.close()
        with self.lock:
            left, self.owed = list(self.owed), collections.deque()
        for drawing in left:
            if self.stopping:
                drawing.set_exception(ChartFailed("not drawn: the chart helper was stopped"))
            else:
                _draw_here(drawing)

    def forget_in_child(self) -> None:
        """In a forked child: let go of the helper's pipes (pointed at /dev/null), so that the helper still
        sees its end of input when its own process stops; the child starts its own helper."""
        with open(os.devnull, "rb+") as devnull:
            for pipe in (self.process.stdin, self.process.stdout):
                with contextlib.suppress(OSError, ValueError):
                    os.dup2(devnull.fileno(), pipe.fileno())


class ChartDrawer:
    """The helper of this process (started again if it stopped) and the latest drawings by spec."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._helper: _Helper | None = None
        self._helpers_lost = 0
        self._drawings: collections.OrderedDict[str, Drawing] = collections.OrderedDict()
        os.register_at_fork(after_in_child=self._forget_in_child)

    def _forget_in_child(self) -> None:
        self._lock = threading.Lock()
        if self._helper is not None:
            self._helper.forget_in_child()
        self._helper, self._helpers_lost, self._drawings = None, 0, collections.OrderedDict()

    def start(self) -> None:
        """Start the helper (once per process; again after it stopped)."""
        with self._lock:
            self._running_helper()

    def _running_helper(self) -> _Helper | None:
        if self._helper is not None and not self._helper.alive():
            self._helper, self._helpers_lost = None, self._helpers_lost + 1
        if self._helper is None and self._helpers_lost < HELPERS_LOST_AT_MOST:
            with contextlib.suppress(OSError):
                self._helper = _Helper(self._lock)
        return self._helper

    def draw_soon(self, spec: str) -> Drawing:
        """The drawing of a Vega-Lite spec (JSON text): sent to the helper now, unless drawn or sent already."""
        with self._lock:
            drawing = self._drawings.get(spec)
            if drawing is not None:
                self._drawings.move_to_end(spec)
                return drawing
            drawing = self._drawings[spec] = Drawing(spec)
            while len(self._drawings) > KEPT_DRAWINGS:
                self._drawings.popitem(last=False)
            helper = self._running_helper()
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
        if helper is not None:
            helper.stop()


def _draw_here(drawing: Drawing) -> None:
    try:
        drawing.set_result(_vegalite_to_svg(drawing.spec))
    except Exception as error:  # noqa: BLE001 - whatever vl-convert raised is the caller's to see
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
