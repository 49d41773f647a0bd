"""The lambda explorer: solve a task at any lambda fast, and the widget around it.

Compute and wiring are apart. ``fit_for_lambda(task, penalty, lam, warm_start)``
solves regularised logistic (a digit pair) or softmax (all ten digits)
regression to its optimum over the pixels training ever lights (the rest stay
exactly 0): L2 by L-BFGS-B, L1 by Newton steps (``solvers``).
``PathCache`` starts each new lambda along the line through the two nearest
solved ones, so a slider move costs a few solver steps.
``Explorer`` only wires controls to these functions and draws the answer.
"""

from __future__ import annotations

import functools
import html
import io
import threading
import traceback
from dataclasses import dataclass

import numpy as np

from .kernels import logistic_labels, logistic_scores_loss, softmax_labels, softmax_scores_loss
from .solvers import NEWTON_TOL, minimize_l1, minimize_lbfgs, scipy_blas_on_one_thread
from .splits import Splits, digit_pair, seed_splits

__all__ = [
    "ALL_DIGITS",
    "Explorer",
    "LatestWins",
    "Solution",
    "fit_for_lambda",
    "lambda_curve",
    "task_splits",
    "weights_png",
]

ALL_DIGITS = "all"
LAM_MIN, LAM_MAX = 1e-5, 1.0
CURVE_LAMS = np.logspace(0, -5, 6)  # the accuracy-against-lambda curve: one point a decade
ZERO = 1e-4  # a weight this small counts as zero in the sparsity figure
TOL = {  # L-BFGS-B's default ftol (L2; L1 past NEWTON_MAX weights): looser for ten digits, a step costs 15 ms
    ("pair", "l2"): 1e-9,
    ("pair", "l1"): 1e-9,
    (ALL_DIGITS, "l2"): 2e-6,
    (ALL_DIGITS, "l1"): 1e-6,
}


@dataclass
class Solution:
    """One solved task: weights and the numbers the explorer shows.

    ``w`` is ``(785,)`` for a digit pair, ``(785, 10)`` for all ten digits.
    """

    task: object
    penalty: str
    lam: float
    w: np.ndarray
    train_acc: float
    holdout_acc: float
    test_acc: float
    norm: float  # length of the weight vector, bias left out
    zero_fraction: float  # fraction of weights (bias left out) with |w| < ZERO
    iterations: int  # solver steps: L-BFGS-B iterations, or L1's Newton steps (plus L-BFGS-B's, if it finished)


def _check_task(task):
    if task == ALL_DIGITS:
        return ALL_DIGITS
    try:
        a, b = (int(d) for d in task)
    except (TypeError, ValueError):
        raise ValueError(f"task {task!r} is neither a digit pair like (2, 3) nor {ALL_DIGITS!r}") from None
    if a == b or not (0 <= a <= 9 and 0 <= b <= 9):
        raise ValueError(f"task {task!r}: choose two different digits 0-9")
    return (a, b)


@functools.lru_cache(maxsize=1)
def _all_splits() -> Splits:
    return seed_splits()


@functools.lru_cache(maxsize=8)
def task_splits(task) -> Splits:
    """The report's splits for a task, as float32 (cached): a digit pair, or ``"all"``."""
    task = _check_task(task)
    splits = _all_splits() if task == ALL_DIGITS else digit_pair(_all_splits(), *task)
    return Splits(*(type(d)(d.X.astype(np.float32), d.y) for d in splits))


@functools.lru_cache(maxsize=8)
def _pixels_seen(task) -> tuple[np.ndarray, np.ndarray]:
    """The rows of w a task can move, and the training images restricted to them.

    A pixel that is 0 in every training image has a zero loss gradient, so
    either penalty holds its weight at exactly 0: only the other rows (the
    bias row first) are solved for. Returns ``rows (m,)`` and ``X (n, m)``,
    float32 in Fortran order (``X.T @ error`` then reads memory in order).
    """
    X = task_splits(task).train.X
    rows = np.flatnonzero(X.any(axis=0))  # the bias column is all ones, so rows[0] == 0
    return rows, np.asfortranarray(X[:, rows])


def fit_for_lambda(task, penalty: str, lam: float, warm_start: np.ndarray | None = None, tol: float | None = None):
    """Solve one task at one lambda to its optimum.

    Parameters
    ----------
    task : tuple of two ints, or "all"
        A digit pair ``(a, b)`` (logistic regression, y = 1 for b) or all ten digits (softmax).
    penalty : {"l2", "l1"}
    lam : float
        In ``[1e-5, 1]`` for the slider, any value >= 0 here.
    warm_start : ndarray, shape (785,) or (785, 10), optional
        Weights to start from, usually the solution at a neighbouring lambda.
    tol : float, optional
        L-BFGS-B stops when a step lowers the objective by less than this
        (``ftol``; the objective is below 1 here, so the test is absolute),
        L1's Newton steps when one promises to lower it by less than this
        fraction. Default ``TOL[("pair" or "all", penalty)]`` and ``NEWTON_TOL``.

    Returns
    -------
    Solution

    Introduced in ``05_lambda_explorer.ipynb``.
    """
    task = _check_task(task)
    if penalty not in ("l1", "l2"):
        raise ValueError(f"penalty {penalty!r} is unknown; use 'l2' or 'l1'")
    if not (np.isfinite(lam) and lam >= 0):
        raise ValueError(f"lam={lam!r} must be a finite number >= 0")
    splits = task_splits(task)
    shape = (splits.train.X.shape[1], 10) if task == ALL_DIGITS else (splits.train.X.shape[1],)
    w0 = np.zeros(shape) if warm_start is None else np.asarray(warm_start, dtype=np.float64)
    if w0.shape != shape:
        raise ValueError(f"warm_start has shape {w0.shape}; this task needs {shape}")
    newton_tol = NEWTON_TOL if tol is None else tol
    tol = TOL[ALL_DIGITS if task == ALL_DIGITS else "pair", penalty] if tol is None else tol
    core, labels = (
        (softmax_scores_loss, softmax_labels) if task == ALL_DIGITS else (logistic_scores_loss, logistic_labels)
    )
    rows, X = _pixels_seen(task)
    y = splits.train.y
    with scipy_blas_on_one_thread():
        if penalty == "l2":
            solved, iterations = minimize_lbfgs(core, "l2", float(lam), X, y, w0[rows], tol)
        else:
            solved, iterations = minimize_l1(core, float(lam), X, y, w0[rows], tol, newton_tol)
        w = np.zeros(shape)
        w[rows] = solved
        if task == ALL_DIGITS:
            w[0] -= w[0].mean()  # softmax ignores a shift common to all ten biases: centre them, for one answer
        accs = [float(np.mean(labels(d.X @ w.astype(np.float32)) == d.y)) for d in splits]
    body = w[1:]
    return Solution(
        task,
        penalty,
        float(lam),
        w,
        *accs,
        float(np.linalg.norm(body)),
        float(np.mean(np.abs(body) < ZERO)),
        iterations,
    )


class PathCache:
    """Solutions per (task, penalty); a new lambda starts from where the solved path points.

    The start is the nearest solved weights, moved along the line through the
    two nearest solutions (in log lambda) when both lie within half a decade:
    a slider step of 0.1 decade then starts the solver close to its answer.
    """

    def __init__(self):
        self._solved: dict[tuple, dict[float, Solution]] = {}
        self._lock = threading.Lock()

    def solve(self, task, penalty: str, lam: float) -> Solution:
        task = _check_task(task)
        with self._lock:
            solved = self._solved.setdefault((task, penalty), {})
            if lam in solved:
                return solved[lam]
            start = self._start(solved, penalty, lam)
        solution = fit_for_lambda(task, penalty, lam, warm_start=start)
        with self._lock:
            solved[lam] = solution
        return solution

    @staticmethod
    def _start(solved: dict, penalty: str, lam: float) -> np.ndarray | None:
        """Weights ``(785,)`` or ``(785, 10)`` to start ``lam`` from, or None (a cold start)."""
        if not solved:
            return None
        near = sorted(solved, key=lambda known: abs(np.log10(known / lam)))[:2]
        nearest = solved[near[0]].w
        if len(near) < 2 or max(abs(np.log10(known / lam)) for known in near) > 0.5:
            return nearest
        step = np.log(lam / near[0]) / np.log(near[0] / near[1])
        start = nearest + step * (nearest - solved[near[1]].w)
        if penalty == "l1":
            start[np.sign(start) != np.sign(nearest)] = 0.0  # a weight leaves zero through the solver alone
        return start


def lambda_curve(task, penalty: str, cache: PathCache | None = None) -> list[Solution]:
    """Solutions at ``CURVE_LAMS`` (1 down to 1e-5), each warm-started from the previous."""
    cache = PathCache() if cache is None else cache
    return [cache.solve(task, penalty, float(lam)) for lam in CURVE_LAMS]


def weights_png(w: np.ndarray, scale: int = 4) -> bytes:
    """Weights ``(785,)`` or ``(785, k)`` as one PNG: 28 x 28 tiles, five a row, one diverging scale."""
    import matplotlib.pyplot as plt

    tiles = np.asarray(w, dtype=np.float64).reshape(785, -1)[1:].T.reshape(-1, 28, 28)
    cols = min(len(tiles), 5)
    rows = -(-len(tiles) // cols)
    sheet = np.zeros((rows * 30, cols * 30))
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        sheet[r * 30 + 1 : r * 30 + 29, c * 30 + 1 : c * 30 + 29] = tile
    sheet = np.kron(sheet, np.ones((scale, scale)))
    vmax = float(np.abs(tiles).max()) or 1.0
    buffer = io.BytesIO()
    plt.imsave(buffer, sheet, cmap="RdBu_r", vmin=-vmax, vmax=vmax, format="png")
    return buffer.getvalue()


def curve_svg(curve: list[Solution], lam: float, width: int = 360, height: int = 180) -> str:
    """An inline SVG: train / hold-out / test accuracy against log10(lambda), the current lambda marked."""
    accs = np.array([[s.train_acc, s.holdout_acc, s.test_acc] for s in curve])
    low = min(0.5, float(np.floor(accs.min() * 10) / 10))
    lx = np.log10([s.lam for s in curve])

    def x(v):
        return 40 + (v + 5) / 5 * (width - 60)

    def y(a):
        return 10 + (1 - (a - low) / (1 - low)) * (height - 40)

    parts = [f'<svg class="lambda-curve" width="{width}" height="{height}" data-lam="{lam:.3e}">']
    for j, (name, color) in enumerate((("train", "#1f77b4"), ("hold-out", "#ff7f0e"), ("test", "#2ca02c"))):
        points = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(lx, accs[:, j]))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        parts.append(f'<text x="{width - 70}" y="{height - 60 + 14 * j}" fill="{color}" font-size="11">{name}</text>')
    mark = x(np.log10(lam))
    parts.append(
        f'<line x1="{mark:.1f}" x2="{mark:.1f}" y1="10" y2="{height - 30}" stroke="crimson" stroke-dasharray="4"/>'
    )
    for decade in range(-5, 1):
        parts.append(f'<text x="{x(decade) - 10:.1f}" y="{height - 12}" font-size="10">1e{decade}</text>')
    for a in (low, (1 + low) / 2, 1.0):
        parts.append(f'<text x="2" y="{y(a) + 4:.1f}" font-size="10">{a:.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def numbers_html(solution: Solution) -> str:
    """The numbers the explorer shows, as an HTML table (class ``explorer-numbers``)."""
    rows = [
        ("lambda", f"{solution.lam:.2e}"),
        ("train accuracy", f"{solution.train_acc:.2%}"),
        ("hold-out accuracy", f"{solution.holdout_acc:.2%}"),
        ("test accuracy", f"{solution.test_acc:.2%}"),
        ("weight length |w|", f"{solution.norm:.3f}"),
        ("zero weights", f"{solution.zero_fraction:.1%}"),
    ]
    cells = "".join(f'<tr><td>{k}</td><td class="value" data-name="{k}">{v}</td></tr>' for k, v in rows)
    return f'<table class="explorer-numbers">{cells}</table>'


class LatestWins:
    """Runs ``work(request)`` on a worker thread; requests made while it is busy collapse to the newest."""

    def __init__(self, work, on_error):
        self._work, self._on_error = work, on_error
        self._pending = None
        self._busy = False
        self._idle = threading.Condition()

    def submit(self, request) -> None:
        with self._idle:
            self._pending = request
            if self._busy:
                return
            self._busy = True
        threading.Thread(target=self._run, daemon=True).start()

    def superseded(self) -> bool:
        """True when a newer request is waiting (the current answer is stale)."""
        return self._pending is not None

    def _run(self) -> None:
        while True:
            with self._idle:
                request, self._pending = self._pending, None
                if request is None:
                    self._busy = False
                    self._idle.notify_all()
                    return
            try:
                self._work(request)
            except Exception as exc:  # shown in the widget, never lost in the kernel log
                self._on_error(exc)

    def wait(self, timeout: float = 60.0) -> None:
        """Block until every request has been handled (for tests and scripts)."""
        with self._idle:
            self._idle.wait_for(lambda: not self._busy, timeout=timeout)


class Explorer:
    """The widget: lambda (log slider), penalty, task and reset, wired to ``fit_for_lambda``.

    ``Explorer().widget`` is what a notebook displays. The first answer is
    computed before the constructor returns (so an error fails the cell);
    later moves run on a worker thread where the last value wins.

    Introduced in ``05_lambda_explorer.ipynb``.
    """

    START = {"lam": 1e-3, "penalty": "l2", "mode": "pair", "a": 2, "b": 3}

    def __init__(self):
        import ipywidgets as widgets

        self.cache = PathCache()
        self.lam = widgets.FloatLogSlider(
            value=self.START["lam"],
            base=10,
            min=np.log10(LAM_MIN),
            max=np.log10(LAM_MAX),
            step=0.1,
            description="lambda",
            readout_format=".1e",
            continuous_update=True,
        )
        self.penalty = widgets.ToggleButtons(options=[("L2", "l2"), ("L1", "l1")], value="l2", description="penalty")
        self.mode = widgets.Dropdown(
            options=[("digit pair", "pair"), ("all ten digits", "all")], value="pair", description="task"
        )
        self.a = widgets.Dropdown(options=list(range(10)), value=2, description="digit a", layout={"width": "150px"})
        self.b = widgets.Dropdown(options=list(range(10)), value=3, description="digit b", layout={"width": "150px"})
        self.reset = widgets.Button(description="reset")
        self.image = widgets.Image(format="png")
        self.numbers = widgets.HTML()
        self.curve = widgets.HTML()
        self.status = widgets.HTML()
        self.runner = LatestWins(self._answer, self._show_error)
        for control in (self.lam, self.penalty, self.mode, self.a, self.b):
            control.observe(lambda _change: self.runner.submit(self.request()), names="value")
        self.reset.on_click(lambda _button: self.restart())
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.lam, self.reset]),
                self.penalty,
                widgets.HBox([self.mode, self.a, self.b]),
                widgets.HBox([self.image, widgets.VBox([self.numbers, self.curve])]),
                self.status,
            ]
        )
        self._answer(self.request())

    def request(self) -> tuple:
        """The controls' state as ``(task, penalty, lam)``."""
        task = ALL_DIGITS if self.mode.value == "all" else (self.a.value, self.b.value)
        return task, self.penalty.value, float(self.lam.value)

    def restart(self) -> None:
        """Put every control back to its starting value."""
        self.lam.value, self.penalty.value, self.mode.value = self.START["lam"], "l2", "pair"
        self.a.value, self.b.value = self.START["a"], self.START["b"]

    def _answer(self, request: tuple) -> None:
        task, penalty, lam = request
        if task != ALL_DIGITS and task[0] == task[1]:
            self.status.value = '<span class="explorer-error">choose two different digits</span>'
            return
        solution = self.cache.solve(task, penalty, lam)
        curve = lambda_curve(task, penalty, self.cache)
        if self.runner.superseded():
            return  # a newer request is waiting: do not draw a stale answer
        self.image.value = weights_png(solution.w)
        self.numbers.value = numbers_html(solution)
        self.curve.value = curve_svg(curve, lam)
        self.status.value = ""

    def _show_error(self, exc: Exception) -> None:
        detail = html.escape("".join(traceback.format_exception_only(type(exc), exc)).strip())
        self.status.value = f'<pre class="explorer-error" style="color:crimson">{detail}</pre>'
