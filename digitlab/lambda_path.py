"""The regularisation path: one task solved at any lambda fast, and the solved path kept.

``fit_for_lambda(task, penalty, lam, warm_start, tol)`` solves regularised
logistic (a digit pair) or softmax (all ten digits) regression to its optimum
over the pixels training ever lights (the rest stay exactly 0): L2 by L-BFGS-B,
L1 by Newton steps (``solvers``). It checks its arguments once, where the call
enters, and names the one that is wrong.

``PathCache`` keeps solutions per (task, penalty), a bounded number of them, and
starts each new lambda along the line through the two nearest solved ones, so a
slider move costs a few solver steps. ``PathCache.solve`` takes ``watch(w)``: it
is called with the weights after every solver iteration and may raise
``Abandoned`` to drop the solve at once (a newer request came, or the explorer
closed), or show them as an answer still being refined. ``SLIDER_LAMS`` are the
explorer's slider positions, 0.1 decade apart: the path worth computing ahead.

``PathCache`` takes a store (``path_store.PathStore``) to keep solutions on disk
across sessions; ``path_store`` holds the disk cache and its checks.

No widgets here: ``digitlab.explorer`` (the page) imports this module, never the reverse.
"""

from __future__ import annotations

import functools
import hashlib
import numbers
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .kernels import logistic_labels, logistic_scores_loss, penalty_term, softmax_labels, softmax_scores_loss
from .solvers import NEWTON_TOL, minimize_l1, minimize_lbfgs, watch_rows
from .splits import Splits, digit_pair, seed_splits
from .stats import Accuracy
from .threads import blas_on_one_thread

__all__ = [
    "ALL_DIGITS",
    "Abandoned",
    "CURVE_LAMS",
    "PathCache",
    "SLIDER_LAMS",
    "Solution",
    "fit_for_lambda",
    "lambda_curve",
    "task_splits",
]

ALL_DIGITS = "all"
LAM_MIN, LAM_MAX = 1e-5, 1.0
SLIDER_STEP = 0.1  # decades between slider positions
SLIDER_LAMS = 10.0 ** np.round(np.arange(-50, 1) * SLIDER_STEP, 1)  # 1e-5 ... 1: the 51 slider positions
CURVE_LAMS = np.logspace(0, -5, 6)  # a coarse accuracy-against-lambda curve: one point a decade
ZERO = 1e-4  # |w| below this counts as "near zero" (L2 shrinks weights but never zeroes one)
TOL = {  # L-BFGS-B's ftol (L2; L1 past NEWTON_MAX weights): looser for ten digits, where a step costs 15 ms
    ("pair", "l2"): 1e-9,
    ("pair", "l1"): 1e-9,
    (ALL_DIGITS, "l2"): 3e-7,
    (ALL_DIGITS, "l1"): 3e-7,
}
TOL_PER_LAM = {"l2": 2e-3, "l1": 2.5e-4}  # ten digits: ftol at most this times lambda (flatter valley, tighter)
TOL_FLOOR = 5e-9  # ... and at least this
GAP = 1e-4  # every answer's objective within this fraction of the optimum: what the tolerances above keep


def default_tol(task, penalty: str, lam: float) -> float:
    """L-BFGS-B's ftol for one request: ``TOL``, tightened at small lambda for ten digits.

    ftol bounds the last step's fall, not the distance to the optimum; in the flat valley of ten digits at
    small lambda that distance is up to ~100 times the last fall, so the test tightens with lambda to keep
    the objective within ``GAP`` (relative) of its optimum (``benchmarks/bench_browser.py`` checks it).
    """
    if task != ALL_DIGITS:
        return TOL["pair", penalty]
    return float(np.clip(TOL_PER_LAM[penalty] * lam, TOL_FLOOR, TOL[ALL_DIGITS, penalty]))


class Abandoned(Exception):
    """Raised by a ``watch`` to drop a solve in flight (nothing is kept of it)."""


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
    norm: float  # Euclidean length of the weights, bias left out
    zero_count: int  # weights (bias left out) exactly 0: L1 sets them, and pixels training never lights stay 0
    unseen_count: int  # of those, the weights of pixels no training image lights (0 under either penalty)
    near_zero_count: int  # weights (bias left out) with |w| < ZERO, the exact zeros among them
    size: int  # weights, bias left out: 784 for a pair, 7,840 for ten digits
    objective: float  # the training loss plus lam * C(w): what the solver minimised
    iterations: int  # solver steps: L-BFGS-B iterations, or L1's Newton steps (plus L-BFGS-B's, if it finished)
    test_correct: int  # test images classified right, of ``test_total``: ``test_acc`` is their ratio
    test_total: int

    @property
    def test(self) -> Accuracy:
        """The test accuracy as a count, with its 95% Wilson interval (``Accuracy.interval``)."""
        return Accuracy(self.test_correct, self.test_total)

    @property
    def zero_fraction(self) -> float:
        """Fraction of the weights (bias left out) that are exactly 0."""
        return self.zero_count / self.size


# -- the one place a request is checked ------------------------------------------------------------


def check_task(task):
    """A digit pair ``(a, b)`` as a tuple of two ints, or ``"all"``; anything else raises ValueError."""
    if isinstance(task, str):
        if task == ALL_DIGITS:
            return ALL_DIGITS
        raise ValueError(f"task {task!r} is neither a digit pair like (2, 3) nor {ALL_DIGITS!r}")
    try:
        a, b = task
    except (TypeError, ValueError):
        raise ValueError(f"task {task!r} is neither a digit pair like (2, 3) nor {ALL_DIGITS!r}") from None
    if not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in (a, b)):
        raise ValueError(f"task {task!r}: a digit pair is two whole numbers 0-9, like (2, 3)")
    a, b = int(a), int(b)
    if a == b or not (0 <= a <= 9 and 0 <= b <= 9):
        raise ValueError(f"task {task!r}: choose two different digits 0-9")
    return (a, b)


def check_penalty(penalty) -> str:
    if penalty not in ("l1", "l2"):
        raise ValueError(f"penalty {penalty!r} is unknown; use 'l2' or 'l1'")
    return penalty


def check_lam(lam) -> float:
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real):
        raise TypeError(f"lam={lam!r} must be a number >= 0, not {type(lam).__name__}")
    if not (np.isfinite(lam) and lam >= 0):
        raise ValueError(f"lam={lam!r} must be a finite number >= 0")
    return float(lam)


def check_tol(tol) -> float | None:
    if tol is None:
        return None
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real):
        raise TypeError(f"tol={tol!r} must be a number > 0 (or None for the default)")
    if not (np.isfinite(tol) and 0 < tol < 1):
        raise ValueError(f"tol={tol!r} must be a finite number between 0 and 1 (or None for the default)")
    return float(tol)


def check_warm_start(warm_start, shape: tuple) -> np.ndarray:
    try:
        w0 = np.array(warm_start, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"warm_start must be an array of numbers with shape {shape}") from None
    if w0.shape != shape:
        raise ValueError(f"warm_start has shape {w0.shape}; this task needs {shape}")
    if not np.all(np.isfinite(w0)):
        raise ValueError(f"warm_start holds {np.size(w0) - np.isfinite(w0).sum()} NaN or infinite values")
    return w0


# -- data ------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _all_splits() -> Splits:
    return seed_splits()


@functools.lru_cache(maxsize=8)
def task_splits(task) -> Splits:
    """The report's splits for a task, as float32 (cached): a digit pair, or ``"all"``."""
    task = check_task(task)
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


def solution_shape(task) -> tuple:
    """The weights' shape for a task: ``(785,)`` for a digit pair, ``(785, 10)`` for all ten digits."""
    d = task_splits(task).train.X.shape[1]
    return (d, 10) if task == ALL_DIGITS else (d,)


# -- solving ---------------------------------------------------------------------------------------


def fit_for_lambda(task, penalty: str, lam: float, warm_start: np.ndarray | None = None, tol: float | None = None):
    """Solve one task at one lambda to its optimum.

    Parameters
    ----------
    task : tuple of two ints, or "all"
        A digit pair ``(a, b)`` (logistic regression, y = 1 for b) or all ten digits (softmax).
    penalty : {"l2", "l1"}
    lam : float
        In ``[1e-5, 1]`` on the slider, any finite value >= 0 here (0: no penalty).
    warm_start : ndarray, shape (785,) or (785, 10), optional
        Finite weights to start from, usually the solution at a neighbouring lambda.
    tol : float in (0, 1), optional
        L-BFGS-B stops when a step lowers the objective by less than this
        (``ftol``; the objective is below 1 here, so the test is absolute),
        L1's Newton steps when one promises to lower it by less than this
        fraction. Default ``default_tol(task, penalty, lam)`` and ``NEWTON_TOL``.

    Returns
    -------
    Solution

    Raises
    ------
    ValueError, TypeError
        Naming the argument that is wrong, before any work is done.

    Introduced in ``05_lambda_explorer.ipynb``.
    """
    task, penalty, lam, tol = check_task(task), check_penalty(penalty), check_lam(lam), check_tol(tol)
    w0 = None if warm_start is None else check_warm_start(warm_start, solution_shape(task))
    return _solve(task, penalty, lam, w0, tol)


def _solve(task, penalty: str, lam: float, w0: np.ndarray | None, tol: float | None = None, watch=None) -> Solution:
    """``fit_for_lambda`` on arguments already checked; ``watch(w)`` sees each iterate (full shape)."""
    splits = task_splits(task)
    shape = solution_shape(task)
    w0 = np.zeros(shape) if w0 is None else w0
    newton_tol = NEWTON_TOL if tol is None else tol
    tol = default_tol(task, penalty, lam) if tol is None else tol
    core = softmax_scores_loss if task == ALL_DIGITS else logistic_scores_loss
    rows, X = _pixels_seen(task)
    y = splits.train.y
    on_rows = watch_rows(watch, rows, np.zeros(shape))
    with blas_on_one_thread():
        if penalty == "l2":
            solved, iterations = minimize_lbfgs(core, "l2", lam, X, y, w0[rows], tol, on_rows)
        else:
            solved, iterations = minimize_l1(core, lam, X, y, w0[rows], tol, newton_tol, on_rows)
        w = np.zeros(shape)
        w[rows] = solved
        return describe(task, penalty, lam, w, iterations)


def describe(task, penalty: str, lam: float, w: np.ndarray, iterations: int = 0) -> Solution:
    """The numbers the explorer shows for weights ``w`` at ``lam`` (any weights: an iterate too)."""
    splits = task_splits(task)
    w = np.array(w, dtype=np.float64)
    if task == ALL_DIGITS:
        w[0] -= w[0].mean()  # softmax ignores a shift common to all ten biases: centre them, for one answer
    labels = softmax_labels if task == ALL_DIGITS else logistic_labels
    core = softmax_scores_loss if task == ALL_DIGITS else logistic_scores_loss
    rows, X = _pixels_seen(task)
    with blas_on_one_thread():
        w32 = w.astype(np.float32)
        loss, _, train_scores = core(w32[rows], X, splits.train.y)
        accs = [float(np.mean(labels(train_scores) == splits.train.y))]
        holdout_correct, test_correct = (int(np.sum(labels(d.X @ w32) == d.y)) for d in splits[1:])
        accs += [holdout_correct / len(splits.holdout.y), test_correct / len(splits.test.y)]
    body = w[1:]
    unseen = np.ones(len(w), dtype=bool)
    unseen[rows] = False
    return Solution(
        task,
        penalty,
        float(lam),
        w,
        *accs,
        norm=float(np.linalg.norm(body)),
        zero_count=int(np.count_nonzero(body == 0)),
        unseen_count=int(unseen[1:].sum() * (body.size // len(body))),
        near_zero_count=int(np.count_nonzero(np.abs(body) < ZERO)),
        size=int(body.size),
        objective=float(loss + penalty_term(w, lam, penalty)[0]),
        iterations=iterations,
        test_correct=test_correct,
        test_total=len(splits.test.y),
    )


def lam_key(lam: float) -> int:
    """One key per lambda, equal for two floats a billionth of a decade apart (a slider's 10**x and ours)."""
    return -(10**12) if lam == 0 else round(float(np.log10(lam)) * 1e9)


def pins_digest():
    """A SHA-256 hash fed with the data's SHA-256 pins (``data.PINS``), for keys to build on."""
    from . import data

    digest = hashlib.sha256()
    for name, pin in sorted(data.PINS.items()):
        digest.update(f"{name} {pin}\n".encode())
    return digest


class PathCache:
    """Solutions per (task, penalty); a new lambda starts from where the solved path points.

    The start is the nearest solved weights, moved along the line through the
    two nearest solutions (in log lambda) when both lie within half a decade:
    a slider step of 0.1 decade then starts the solver close to its answer.
    At most ``max_solutions`` are kept in memory; the least recently used go
    first. With a ``store`` (a ``path_store.PathStore``), a solution missing from memory
    is looked for on disk first, and every solution solved is written there.
    Safe to use from several threads.
    """

    def __init__(self, max_solutions: int = 400, store=None):
        if not isinstance(max_solutions, int) or max_solutions < 2:
            raise ValueError(f"max_solutions={max_solutions!r} must be a whole number >= 2")
        self.max_solutions = max_solutions
        self.store = store
        self._solved: OrderedDict[tuple, Solution] = OrderedDict()  # (task, penalty, key) -> Solution
        self._pinned: dict[tuple, Solution] = {}  # as _solved, kept for good (``keep``)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._solved) + len(self._pinned)

    def get(self, task, penalty: str, lam: float, disk: bool = True) -> Solution | None:
        """The solution kept for this lambda (in memory, or on disk unless ``disk=False``), or None."""
        task = check_task(task)
        key = (task, penalty, lam_key(lam))
        with self._lock:
            solution = self._pinned.get(key)
            if solution is not None:
                return solution
            solution = self._solved.get(key)
            if solution is not None:
                self._solved.move_to_end(key)
                return solution
        if not disk or self.store is None:
            return None
        solution = self.store.load(task, penalty, lam)
        if solution is not None:
            self._keep(key, solution)
        return solution

    def _keep(self, key: tuple, solution: Solution) -> None:
        with self._lock:
            self._solved[key] = solution
            self._solved.move_to_end(key)
            while len(self._solved) > self.max_solutions:
                self._solved.popitem(last=False)

    def keep(self, solution: Solution) -> None:
        """Keep a solution solved elsewhere (the shipped path, say) in memory, never dropped (not counted
        in ``max_solutions``)."""
        key = (check_task(solution.task), solution.penalty, lam_key(solution.lam))
        with self._lock:
            self._pinned[key] = solution

    def solved(self, task, penalty: str) -> list[Solution]:
        """The kept solutions of one path, by lambda."""
        task = check_task(task)
        with self._lock:
            path = self._path(task, penalty)
        return sorted(path, key=lambda s: s.lam)

    def solve(self, task, penalty: str, lam: float, watch=None) -> Solution:
        """The optimum at ``lam``: kept, or solved from the path's start (``watch`` as in ``solvers``)."""
        task, penalty, lam = check_task(task), check_penalty(penalty), check_lam(lam)
        found = self.get(task, penalty, lam)
        if found is not None:
            return found
        with self._lock:
            start = self._start({s.lam: s for s in self._path(task, penalty)}, penalty, lam)
        solution = _solve(task, penalty, lam, start, watch=watch)
        self._keep((task, penalty, lam_key(lam)), solution)
        if self.store is not None:
            self.store.save(solution)
        return solution

    def _path(self, task, penalty):
        both = {**self._solved, **self._pinned}
        return [s for (t, p, _), s in both.items() if t == task and p == penalty]

    @staticmethod
    def _start(solved: dict, penalty: str, lam: float) -> np.ndarray | None:
        """Weights ``(785,)`` or ``(785, 10)`` to start ``lam`` from, or None (a cold start)."""
        solved = {known: s for known, s in solved.items() if known > 0}
        if not solved or lam == 0:
            return None if not solved else solved[min(solved)].w.copy()
        near = sorted(solved, key=lambda known: abs(np.log10(known / lam)))[:2]
        nearest = solved[near[0]].w
        if len(near) < 2 or max(abs(np.log10(known / lam)) for known in near) > 0.5:
            return nearest.copy()
        step = np.log(lam / near[0]) / np.log(near[0] / near[1])
        start = nearest + step * (nearest - solved[near[1]].w)
        if penalty == "l1":
            start[np.sign(start) != np.sign(nearest)] = 0.0  # a weight leaves zero through the solver alone
        return start


def lambda_curve(task, penalty: str, cache: PathCache | None = None) -> list[Solution]:
    """Solutions at ``CURVE_LAMS`` (1 down to 1e-5), each warm-started from the previous."""
    cache = PathCache() if cache is None else cache
    return [cache.solve(task, penalty, float(lam)) for lam in CURVE_LAMS]
