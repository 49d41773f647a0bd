"""The lambda explorer page: a slider, penalty and task controls, and the answer drawn for a lecture hall.

The solving lives in ``digitlab.lambda_path`` (``fit_for_lambda``, ``PathCache``);
this module only wires controls to it and draws. ``fit_for_lambda``, ``Solution``
and ``PathCache`` are re-exported here, so ``from digitlab.explorer import
fit_for_lambda`` keeps working.

What makes the page answer at once:

- ten digits are answered from the path solved once and shipped with the
  package (``shipped_path``: both penalties at every slider position), so a
  switch to ten digits and every ten-digit move is a look-up, its curve whole;
- one worker thread answers the newest request first: older requests are
  dropped and a solve in flight for one is abandoned (``LatestWins``);
- while nobody moves, the same thread computes the path ahead (the slider
  positions next to the one shown, outwards, then the other penalty and the
  other task at this lambda), so most moves are answered from the cache;
- a solve that takes longer than ``REFINE_AFTER`` seconds shows its current
  iterate, marked "refining", until the optimum replaces it;
- the answer (lambda, weight images, numbers) is one HTML update, its images
  28 x 28 PNGs encoded directly (no Matplotlib on the way) and scaled by the
  browser; the accuracy curve is a second, separate update, redrawn as the
  path fills in.
"""

from __future__ import annotations

import functools
import html
import io
import os
import threading
import time
import traceback
import warnings
from base64 import b64encode

import numpy as np

from .lambda_path import (
    ALL_DIGITS,
    CURVE_LAMS,
    LAM_MAX,
    LAM_MIN,
    SLIDER_LAMS,
    SLIDER_STEP,
    Abandoned,
    PathCache,
    Solution,
    check_task,
    describe,
    fit_for_lambda,
    lam_key,
    lambda_curve,
    task_splits,
)
from .palette import COLORS, LABELS, weight_colors, weight_limit
from .path_store import default_store
from .shipped_path import FILE as SHIPPED_FILE
from .shipped_path import seed as seed_shipped_path
from .threads import blas_on_one_thread

__all__ = [
    "ALL_DIGITS",
    "Explorer",
    "LatestWins",
    "PathCache",
    "Solution",
    "answer_html",
    "curve_svg",
    "fit_for_lambda",
    "lambda_curve",
    "task_splits",
    "tile_png",
]

REFINE_AFTER = 0.4  # seconds: a solve still running after this shows its iterate, marked "refining"
REFINE_EVERY = 0.5  # seconds between two refining updates
CURVE_EVERY = 0.5  # seconds: the curve is redrawn at most this often while the path fills in
AHEAD_IDLE = 600.0  # seconds: no path is computed ahead this long after the last move (a page left open)


# -- drawing ---------------------------------------------------------------------------------------


SHIPPED_MISSING = (
    "The shipped ten-digit path {file} is missing or does not match this data and code, so ten digits are "
    "solved live (tens of seconds a move for L1 at small lambda): run python -m digitlab path"
)


def tile_png(weights: np.ndarray, vmax: float) -> bytes:
    """784 weights as a 28 x 28 PNG on the diverging scale ``[-vmax, vmax]``, zero white (Pillow, palette mode)."""
    from PIL import Image

    index = np.clip(np.round((np.asarray(weights).reshape(28, 28) / vmax + 1) * 127.5), 0, 255).astype(np.uint8)
    image = Image.frombytes("P", (28, 28), index.tobytes())
    image.putpalette(weight_colors().tobytes())
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _gradient() -> str:
    stops = weight_colors()[np.linspace(0, 255, 9).round().astype(int)]
    return ", ".join(f"rgb({r},{g},{b})" for r, g, b in stops)


def _lam_text(lam: float) -> str:
    """lambda as 1.26 x 10^-3, in HTML."""
    if lam == 0:
        return "0"
    exponent = int(np.floor(np.log10(lam) + 1e-9))
    return f"{lam / 10**exponent:.2f} &times; 10<sup>{exponent}</sup>"


def _task_text(task) -> str:
    return "all ten digits" if task == ALL_DIGITS else f"{task[0]} vs {task[1]}"


def answer_html(solution: Solution, state: str = "final", kernel_ms: float = 0.0, solve_ms: float = 0.0) -> str:
    """One answer, drawn whole: lambda, labelled weight images on one stated scale, accuracies, sparsity.

    ``state`` is "final" (the optimum at this lambda) or "refining" (an iterate, replaced when done).
    """
    task, w = solution.task, solution.w
    vmax = weight_limit(np.asarray(w).T)  # w.T: (785,) or (k, 785), bias first
    tiles = np.asarray(w).reshape(len(w), -1)[1:].T  # (k, 784)
    if task == ALL_DIGITS:
        captions = [f"digit {d}" for d in range(10)]
        key = "red: pixels that raise the digit's score, blue: pixels that lower it"
        size, width = 100, 560  # two rows of five
    else:
        captions = [f"{task[1]} (red) against {task[0]} (blue)"]
        key = f"red: ink there votes {task[1]}, blue: ink there votes {task[0]}"
        size, width = 380, 380
    figures = "".join(
        f'<figure><img class="explorer-weights" alt="weights, {caption}" width="{size}" height="{size}" '
        f'src="data:image/png;base64,{b64encode(tile_png(tile, vmax)).decode()}">'
        f"<figcaption>{caption}</figcaption></figure>"
        for tile, caption in zip(tiles, captions)
    )
    scale = (
        f'<div class="explorer-scale"><span>&minus;{vmax:.3g}</span>'
        f'<span class="bar" style="background: linear-gradient(to right, {_gradient()})"></span>'
        f"<span>+{vmax:.3g}</span></div>"
        f'<div class="explorer-key">weight colour scale, zero white; {key}</div>'
    )
    unseen = f"{solution.unseen_count:,} of the zeros on pixels never lit in training" if solution.unseen_count else ""
    correct, n_test = solution.test_correct, solution.test_total
    low, high = solution.test.interval
    interval = f"{100 * low:.1f}&ndash;{100 * high:.1f}%"
    rows = [
        ("train accuracy", "train", f"{solution.train_acc:.2%}", "big"),
        ("hold-out accuracy", "hold-out", f"{solution.holdout_acc:.2%}", "big"),
        ("test accuracy", "test", f"{solution.test_acc:.2%}", "big"),
        ("test interval", "", f"{correct:,} of {n_test:,} images; 95% interval {interval}", "sub"),
        ("weight length ‖w‖₂", "length ‖w‖₂", f"{solution.norm:.3f}", ""),
        ("weights exactly 0", "exactly 0", f"{solution.zero_count:,} of {solution.size:,}", ""),
    ]
    table = '<tr><th colspan="2">accuracy</th></tr>' + "".join(
        f'<tr class="{kind}"><td colspan="2" class="value" data-name="{name}">{value}</td></tr>'
        if kind == "sub"
        else f'<tr class="{kind}"><td>{label}</td><td class="value" data-name="{name}">{value}</td></tr>'
        for name, label, value, kind in rows
    )
    table += (
        '<tr><td colspan="2" class="note">‖w‖<sub>2</sub>: the Euclidean length of the weights, bias left out'
        f"{'; ' + unseen if unseen else ''}</td></tr>"
    )
    badge = '<span class="explorer-refining">refining&hellip;</span>' if state != "final" else ""
    return (
        f'<div class="explorer-answer" data-state="{state}" data-lam="{solution.lam:.6e}" '
        f'data-task="{html.escape(_task_text(task))}" data-penalty="{solution.penalty}" '
        f'data-objective="{solution.objective:.10e}" data-kernel-ms="{kernel_ms:.1f}" data-solve-ms="{solve_ms:.1f}">'
        f'<div class="explorer-title"><span class="explorer-lam">&lambda; = '
        f'<span class="value" data-name="lambda" data-text="{solution.lam:.2e}">{_lam_text(solution.lam)}</span></span>'
        f"<span>{solution.penalty.upper()}, {_task_text(task)}</span>{badge}</div>"
        f'<div class="explorer-body"><div class="explorer-tiles" style="width: {width}px">{figures}{scale}</div>'
        f'<table class="explorer-numbers">{table}</table></div></div>'
    )


def curve_svg(curve: list[Solution], lam: float, width: int = 380, height: int = 540) -> str:
    """An inline SVG: train / hold-out / test accuracy (%) against lambda, the lambda shown marked.

    ``curve`` is any solved points of one path (the curve fills in as the path is solved).
    """
    parts = [f'<svg class="lambda-curve" width="{width}" height="{height}" data-lam="{lam:.3e}" font-size="15">']
    left, right, top, bottom = 52, width - 24, 34, height - 58

    def x(v):
        return left + (v + 5) / 5 * (right - left)

    curve = sorted((s for s in curve if s.lam > 0), key=lambda s: s.lam)
    accs = np.array([[s.train_acc, s.holdout_acc, s.test_acc] for s in curve]).reshape(-1, 3)
    low = min(0.9, float(np.floor(accs.min() * 50) / 50)) if len(accs) else 0.9
    low = max(low, 0.0)

    def y(a):
        return top + (1 - (a - low) / (1 - low)) * (bottom - top)

    every = 5 if low < 0.85 else 2 if low < 0.95 else 1  # grid lines on round percentages
    for a in np.arange(-(-round(low * 100) // every) * every, 101, every) / 100:
        parts.append(f'<line x1="{left}" x2="{right}" y1="{y(a):.1f}" y2="{y(a):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(a) + 5:.1f}" text-anchor="end">{100 * a:.0f}%</text>')
    for decade in range(-5, 1):
        parts.append(f'<text x="{x(decade):.1f}" y="{bottom + 20}" text-anchor="middle">1e{decade}</text>')
    parts.append(
        f'<text x="{(left + right) / 2:.1f}" y="{bottom + 40}" text-anchor="middle">&lambda; (log scale)</text>'
    )
    lx = np.log10([s.lam for s in curve])
    for j, (split, colour) in enumerate(COLORS.items()):
        points = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(lx, accs[:, j]))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="3" points="{points}"/>')
        if len(curve) < 12:
            dots = zip(lx, accs[:, j])
            parts += [f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="3" fill="{colour}"/>' for a, b in dots]
        parts.append(
            f'<text x="{left + 10 + 95 * j}" y="{height - 2}" fill="{colour}" font-weight="bold">{LABELS[split]}</text>'
        )
    if lam > 0:
        mark = x(np.log10(lam))
        parts.append(
            f'<line x1="{mark:.1f}" x2="{mark:.1f}" y1="{top}" y2="{bottom}" stroke="crimson" stroke-width="2" '
            'stroke-dasharray="5"/>'
        )
    if len(curve) < len(SLIDER_LAMS):
        parts.append(
            f'<text x="{right}" y="{top - 14}" text-anchor="end" fill="#777">'
            f"path: {len(curve)} of {len(SLIDER_LAMS)} positions solved</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


STYLE = """<style>
.explorer-root { font-size: 16px; }
.explorer-root .widget-label, .explorer-root select, .explorer-root button { font-size: 16px; }
.explorer-answer .explorer-title { display: flex; gap: 28px; align-items: baseline; margin: 0 0 4px; font-size: 22px; }
.explorer-lam { font-size: 34px; font-weight: bold; }
.explorer-refining { color: #b35900; font-weight: bold; }
.explorer-body { display: flex; gap: 24px; align-items: flex-start; }
.explorer-tiles { display: flex; flex-wrap: wrap; gap: 4px 8px; flex: none; }
.explorer-tiles figure { margin: 0; text-align: center; }
.explorer-tiles figcaption { font-size: 17px; font-weight: bold; }
.explorer-tiles img { image-rendering: pixelated; border: 1px solid #ccc; display: block; }
.explorer-scale { display: flex; align-items: center; gap: 8px; width: 100%; font-size: 16px; }
.explorer-scale .bar { flex: 1; height: 16px; border: 1px solid #999; }
.explorer-key { font-size: 14px; color: #444; width: 100%; }
.explorer-numbers { border-collapse: collapse; max-width: 300px; }
.explorer-numbers td { padding: 2px 10px 2px 0; font-size: 16px; white-space: nowrap; }
.explorer-numbers th { text-align: left; font-size: 18px; font-weight: normal; color: #444; }
.explorer-numbers td.note { font-size: 14px; color: #444; white-space: normal; }
.explorer-numbers tr.big td.value { font-size: 34px; font-weight: bold; }
.explorer-numbers tr.big td { font-size: 18px; }
.explorer-numbers tr.sub td { font-size: 15px; color: #444; padding-bottom: 6px; white-space: normal; }
.explorer-status { font-size: 16px; min-height: 1.4em; }
.explorer-notice { font-size: 16px; color: #a15c00; }
</style>"""

LECTURE_STYLE = """<style>
/* Voila, lecture mode: the explorer first; the cells before it (the notebook's introduction and setup) hidden */
[cell-index]:has(~ [cell-index] .explorer-root) { display: none; }
.jp-Cell:has(~ .jp-Cell .explorer-root) { display: none; }
.explorer-root { min-height: 700px; }
</style>"""


# -- the worker ------------------------------------------------------------------------------------


class LatestWins:
    """One worker thread: the newest request first, background work when idle.

    ``submit(request)`` replaces any request not yet started; a solve in flight
    sees ``superseded()`` and is abandoned (its ``watch`` raises ``Abandoned``).
    When no request waits, ``idle()`` is asked for a background job (a callable,
    or None when there is nothing to do). ``close()`` stops the thread; a solve
    in flight is abandoned.
    """

    def __init__(self, work, on_error, idle=None):
        self._work, self._on_error, self._idle_work = work, on_error, idle
        self._pending = None
        self._foreground = False  # a request is being answered
        self._closed = False
        self._cv = threading.Condition()
        self._thread = None

    def submit(self, request) -> None:
        with self._cv:
            if self._closed:
                return
            self._pending = request
            self._cv.notify_all()
        self.start()

    def start(self) -> None:
        """Start the worker thread (``submit`` does), or wake it for background work."""
        with self._cv:
            if self._closed:
                return
            self._cv.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="explorer-worker")
                self._thread.start()

    def superseded(self) -> bool:
        """True when a newer request waits or the worker is closing: the current work is stale."""
        return self._pending is not None or self._closed

    def check(self, *_ignored) -> None:
        """Raise ``Abandoned`` when ``superseded()`` (a solver's ``watch``)."""
        if self.superseded():
            raise Abandoned

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker: the request waiting is dropped, a solve in flight abandoned."""
        with self._cv:
            self._closed = True
            self._pending = None
            self._cv.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while True:
            job = None
            with self._cv:
                while True:
                    if self._closed:
                        self._foreground = False
                        self._cv.notify_all()
                        return
                    if self._pending is not None:
                        request, self._pending = self._pending, None
                        self._foreground = True
                        break
                    self._foreground = False
                    self._cv.notify_all()
                    job = self._idle_work() if self._idle_work is not None else None
                    if job is not None:
                        break
                    self._cv.wait()
            try:
                if job is not None:
                    job()
                else:
                    self._work(request)
            except Abandoned:
                pass
            except Exception as exc:  # shown in the widget, never lost in the kernel log
                self._on_error(exc)

    def wait(self, timeout: float = 60.0) -> None:
        """Block until every request has been answered (background work may go on)."""
        with self._cv:
            self._cv.wait_for(lambda: self._closed or (self._pending is None and not self._foreground), timeout)


# -- the widget ------------------------------------------------------------------------------------


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
    none; by default ``$DIGITLAB_CACHE``, see ``path_store.default_store``).
    ``shipped`` (default True) seeds the cache with the shipped ten-digit path
    (``shipped_path``), when it was made for this data (otherwise it warns, on the page too). ``lecture`` (default:
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

        self._one_blas_thread = blas_on_one_thread()  # OpenBLAS: set from the main thread only, held until close()
        self._one_blas_thread.__enter__()
        self.cache = PathCache(max_solutions, default_store() if store == "default" else store)
        notice = ""
        if shipped and not seed_shipped_path(self.cache):  # ten digits: every slider position solved ahead
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
            ]
        )
        box.explorer = self
        box.add_class("explorer-root")
        self.widget = box
        self._answer(self.request())
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
        task = check_task(task)
        solution = self.cache.get(task, penalty, lam)
        solve_ms = 0.0
        if solution is None:
            self.status.value = f"solving &lambda; = {_lam_text(lam)} &hellip;"
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
