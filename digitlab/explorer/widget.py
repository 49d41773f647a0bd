"""The lambda explorer page: a slider, penalty and task controls, and the answer drawn for a lecture hall.

The solving lives in ``explorer.path`` (``PathCache`` on the solve pipeline,
``optimum.solve``), the drawing in ``explorer.render``, the thread in
``explorer.worker``: this module only wires the controls to them.

What makes the page answer at once:

- ten digits are answered from the path solved once and shipped with the
  package (``explorer.shipped``: both penalties at every slider position), so a
  switch to ten digits and every ten-digit move is a look-up, its curve whole;
- one worker thread answers the newest request first: older requests are
  dropped and a solve in flight for one is abandoned (``LatestWins``);
- while nobody moves, the same thread computes the path ahead (the slider
  positions next to the one shown, outwards, then the other penalty and the
  other task at this lambda), so most moves are answered from the cache;
- a solve that takes longer than ``REFINE_AFTER`` seconds shows its current
  iterate, marked "refining", until the optimum replaces it;
- the answer (lambda, weight images, numbers) is one HTML update, its images
  28 x 28 PNGs scaled by the browser; the accuracy curve is a second, separate update, redrawn as the
  path fills in.
"""

from __future__ import annotations

import functools
import html
import os
import threading
import time
import traceback
import warnings

import numpy as np

from .. import validate
from ..optimum import ALL_DIGITS, describe
from ..threads import blas_on_one_thread
from .path import CURVE_LAMS, LAM_MAX, LAM_MIN, SLIDER_LAMS, SLIDER_STEP, PathCache, lam_key
from .render import LECTURE_STYLE, STYLE, announcement, answer_html, curve_svg, lam_text, live_html
from .shipped import FILE as SHIPPED_FILE
from .shipped import load_into as load_shipped_path
from .store import default_store
from .worker import LatestWins

__all__ = ["Explorer"]

REFINE_AFTER = 0.4  # seconds: a solve still running after this shows its iterate, marked "refining"
REFINE_EVERY = 0.5  # seconds between two refining updates
CURVE_EVERY = 0.5  # seconds: the curve is redrawn at most this often while the path fills in
AHEAD_IDLE = 600.0  # seconds: no path is computed ahead this long after the last move (a page left open)
SETTLE = 0.6  # accessibility: seconds an answer stays before the live region announces it (once per rest)


SHIPPED_MISSING = (
    "The shipped ten-digit path {file} is missing or does not match this data and code, so ten digits are "
    "solved live (tens of seconds a move for L1 at small lambda): run python -m digitlab path"
)


def _in_voila() -> bool:
    return "VOILA_BASE_URL" in os.environ or "VOILA_KERNEL_ID" in os.environ


@functools.lru_cache(maxsize=1)
def _box_class():
    import ipywidgets as widgets

    class ExplorerBox(widgets.VBox):
        """The explorer's outer box: closing it closes the explorer (its worker stops)."""

        explorer = None

        def close(self):
            explorer, self.explorer = self.explorer, None
            if explorer is not None:
                explorer.close()
            super().close()

    return ExplorerBox


class Explorer:
    """The widget: lambda (log slider), penalty, task and reset, wired to the solved path.

    ``Explorer().widget`` is what a notebook displays. The first answer is
    computed before the constructor returns (so an error fails the cell); later
    moves are answered on a worker thread where the last value wins, and the
    path ahead is computed there while nobody moves (``ahead=False``: not) and
    kept on disk for the next session (``store``: a ``PathStore``, None for
    none; by default ``$DIGITLAB_CACHE``, see ``explorer.store.default_store``).
    ``shipped`` (default True) loads into the cache the shipped ten-digit path
    (``explorer.shipped``), when it was made for this data (otherwise it warns, on the page too). ``lecture`` (default:
    running under Voila) puts the explorer first on the page and hides the
    cells before it. ``close()`` (or closing the widget) stops the worker.

    Introduced in ``05_lambda_explorer.ipynb``.
    """

    START = {"lam": 1e-3, "penalty": "l2", "mode": "pair", "a": 2, "b": 3}

    def __init__(
        self,
        ahead: bool = True,
        lecture: bool | None = None,
        max_solutions: int = 400,
        store="default",
        shipped: bool = True,
    ):
        import ipywidgets as widgets

        self.cache = PathCache(max_solutions, default_store() if store == "default" else store)
        notice = ""
        if shipped and not load_shipped_path(self.cache):  # ten digits: every slider position solved ahead
            notice = SHIPPED_MISSING.format(file=f"{SHIPPED_FILE.parent.name}/{SHIPPED_FILE.name}")
            warnings.warn(notice, stacklevel=2)
        self.ahead = ahead
        self.lecture = _in_voila() if lecture is None else lecture
        self.lam = widgets.FloatLogSlider(
            value=self.START["lam"],
            base=10,
            min=np.log10(LAM_MIN),
            max=np.log10(LAM_MAX),
            step=SLIDER_STEP,
            description="λ",
            readout=False,
            continuous_update=True,
            layout={"width": "760px"},
        )
        self.penalty = widgets.ToggleButtons(
            options=[("L2", "l2"), ("L1", "l1")], value="l2", style={"button_width": "64px"}, layout={"width": "150px"}
        )
        self.mode = widgets.Dropdown(
            options=[("digit pair", "pair"), ("all ten digits", "all")],
            value="pair",
            description="task",
            layout={"width": "230px"},
        )
        self.a = widgets.Dropdown(options=list(range(10)), value=2, description="digit a", layout={"width": "150px"})
        self.b = widgets.Dropdown(options=list(range(10)), value=3, description="digit b", layout={"width": "150px"})
        self.reset = widgets.Button(description="reset", layout={"width": "80px"})
        self.answer = widgets.HTML(layout={"width": "850px"})
        self.curve = widgets.HTML(layout={"width": "390px"})
        self.status = widgets.HTML()
        self.status.add_class("explorer-status")
        self.live = widgets.HTML(live_html())  # accessibility: the polite live region (see render.ACCESSIBILITY_SCRIPT)
        self.live.add_class("explorer-live")
        self.notice = widgets.HTML(f'<span class="explorer-notice">{html.escape(notice)}</span>' if notice else "")
        self.style = widgets.HTML(STYLE + (LECTURE_STYLE if self.lecture else ""))
        self.runner = LatestWins(self._answer, self._show_error, self._next_ahead if ahead else None)
        self._shown = None  # the request whose final answer is on the page
        self._submitted = time.perf_counter()
        self._curve_drawn = 0.0
        self._curve_complete = None  # the request whose curve was drawn with the whole path
        self._closing = False
        for control in (self.lam, self.penalty, self.mode, self.a, self.b):
            control.observe(self._changed, names="value")
        self.reset.on_click(lambda _button: self.restart())
        box = _box_class()(
            [
                self.style,
                widgets.HBox([self.lam, self.reset]),
                widgets.HBox(
                    [widgets.Label("penalty", layout={"width": "70px"}), self.penalty, self.mode, self.a, self.b]
                ),
                widgets.HBox([self.answer, self.curve]),
                self.status,
                self.notice,
                self.live,
            ]
        )
        box.explorer = self
        box.add_class("explorer-root")
        self.widget = box
        self._one_blas_thread = blas_on_one_thread()  # OpenBLAS: set from the main thread only, held until close()
        self._one_blas_thread.__enter__()
        try:
            self._answer(self.request())
        except BaseException:  # no explorer to close: give the thread back now
            self._one_blas_thread.__exit__(None, None, None)
            raise
        if ahead:
            self.runner.start()

    def request(self) -> tuple:
        """The controls' state as ``(task, penalty, lam)``."""
        task = ALL_DIGITS if self.mode.value == "all" else (self.a.value, self.b.value)
        return task, self.penalty.value, float(self.lam.value)

    def restart(self) -> None:
        """Put every control back to its starting value."""
        self.lam.value, self.penalty.value, self.mode.value = self.START["lam"], "l2", "pair"
        self.a.value, self.b.value = self.START["a"], self.START["b"]

    def close(self) -> None:
        """Stop the worker (a solve in flight is abandoned) and close the widgets."""
        if self._closing:
            return
        self._closing = True
        self.runner.close()
        if threading.current_thread() is threading.main_thread():
            self._one_blas_thread.__exit__(None, None, None)
        box, self.widget.explorer = self.widget, None
        for child in box.children:
            for grandchild in getattr(child, "children", ()):
                grandchild.close()
            child.close()
        box.close()

    @property
    def closed(self) -> bool:
        return self.runner.closed

    def _changed(self, change) -> None:
        if self._closing:
            return
        if change["owner"] is self.mode:
            shown = "none" if change["new"] == "all" else None
            self.a.layout.display = self.b.layout.display = shown
        self._submitted = time.perf_counter()
        self.runner.submit(self.request())

    def _answer(self, request: tuple) -> None:
        """Answer one request: from the cache at once, or solved (showing its iterates if it takes long)."""
        task, penalty, lam = request
        received = self._submitted
        if task != ALL_DIGITS and task[0] == task[1]:
            self.status.value = '<span class="explorer-error">choose two different digits</span>'
            return
        task = validate.task(task)
        solution = self.cache.get(task, penalty, lam)
        solve_ms = 0.0
        if solution is None:
            self.status.value = f"solving &lambda; = {lam_text(lam)} &hellip;"
            started = time.perf_counter()
            refined = [started]

            def watch(w):
                self.runner.check()
                now = time.perf_counter()
                if w is None:
                    return
                if now - started > REFINE_AFTER and now - refined[0] > REFINE_EVERY:
                    refined[0] = now
                    self.answer.value = answer_html(describe(task, penalty, lam, w), "refining")
                    self.status.value = "refining: the numbers and images change until the optimum is reached"
                    self.runner.check()

            solution = self.cache.solve(task, penalty, lam, watch=watch)
            solve_ms = 1e3 * (time.perf_counter() - started)
        if self.runner.superseded():
            return  # a newer request is waiting: do not draw a stale answer
        kernel_ms = 1e3 * (time.perf_counter() - received)
        self.answer.value = answer_html(solution, "final", kernel_ms, solve_ms)
        self.status.value = ""
        self._shown = (task, penalty, lam)
        self._draw_curve(force=True)
        self._announce_later(solution)

    def _announce_later(self, solution) -> None:
        """Accessibility: say the answer in the live region once it has stayed ``SETTLE`` seconds (not per step)."""
        shown = self._shown

        def announce():
            if not self._closing and self._shown == shown and not self.runner.superseded():
                self.live.value = live_html(announcement(solution))

        timer = threading.Timer(SETTLE, announce)
        timer.daemon = True
        timer.start()

    def _draw_curve(self, force: bool = False) -> None:
        if self._shown is None:
            return
        now = time.perf_counter()
        if not force and now - self._curve_drawn < CURVE_EVERY:
            return
        task, penalty, lam = self._shown
        grid = {lam_key(g) for g in SLIDER_LAMS} | {lam_key(g) for g in CURVE_LAMS}
        points = [s for s in self.cache.solved(task, penalty) if lam_key(s.lam) in grid]
        self.curve.value = curve_svg(points, lam)
        self._curve_drawn = now

    def _next_ahead(self):
        """The next background job: a slider position near the one shown, outwards, then other tasks."""
        if self._shown is None or self._closing or time.perf_counter() - self._submitted > AHEAD_IDLE:
            return None
        task, penalty, lam = self._shown
        here = int(np.argmin(np.abs(np.log10(SLIDER_LAMS) - np.log10(max(lam, LAM_MIN)))))
        order = [here]
        for d in range(1, len(SLIDER_LAMS)):
            order += [i for i in (here + d, here - d) if 0 <= i < len(SLIDER_LAMS)]
        for i in order:
            if self.cache.get(task, penalty, float(SLIDER_LAMS[i]), disk=False) is None:
                return functools.partial(self._solve_ahead, task, penalty, float(SLIDER_LAMS[i]))
        other = "l1" if penalty == "l2" else "l2"
        if self._curve_complete != self._shown:
            self._curve_complete = self._shown
            return functools.partial(self._draw_curve, force=True)
        other = "l1" if penalty == "l2" else "l2"
        for extra in ((task, other), (ALL_DIGITS, penalty), (ALL_DIGITS, other)):
            if self.cache.get(*extra, float(SLIDER_LAMS[here]), disk=False) is None:
                return functools.partial(self._solve_ahead, *extra, float(SLIDER_LAMS[here]))
        return None

    def _solve_ahead(self, task, penalty: str, lam: float) -> None:
        self.cache.solve(task, penalty, lam, watch=self.runner.check)
        if self._shown is not None and self._shown[:2] == (task, penalty):
            self._draw_curve()

    def _show_error(self, exc: Exception) -> None:
        detail = html.escape("".join(traceback.format_exception_only(type(exc), exc)).strip())
        self.status.value = f'<pre class="explorer-error" style="color:crimson">{detail}</pre>'
