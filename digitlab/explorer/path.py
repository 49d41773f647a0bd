"""The explorer's path: one task solved at any lambda fast, and the solved path kept.

``solve_for_lambda(task, penalty, lam, warm_start, tol)`` (also ``fit_for_lambda``) is the solve pipeline
(``optimum.solve``) with the explorer's tolerances: loose enough for a slider
move, tight enough that every answer's objective is within ``GAP`` of the
optimum (``default_tol``). Its arguments are checked by ``validate``.

``PathCache`` keeps solutions per (task, penalty), a bounded number of them, and
starts each new lambda along the line through the two nearest solved ones, so a
slider move costs a few solver steps. ``PathCache.solve`` takes ``watch(w)``: it
is called with the weights after every solver iteration and may raise
``Abandoned`` to drop the solve at once (a newer request came, or the explorer
closed), or show them as an answer still being refined. ``SLIDER_LAMS`` are the
explorer's slider positions, 0.1 decade apart: the path worth computing ahead.
``PathCache`` takes a store (``explorer.store.PathStore``) to keep solutions on
disk across sessions. No widgets here: ``explorer.widget`` imports this module,
never the reverse.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

from .. import validate
from ..optimum import ALL_DIGITS, Solution, describe, solution_shape, solve, task_splits
from ..solvers import NEWTON_TOL

__all__ = [
    "ALL_DIGITS",
    "Abandoned",
    "CURVE_LAMS",
    "GAP",
    "LAM_MAX",
    "LAM_MIN",
    "PathCache",
    "SLIDER_LAMS",
    "SLIDER_STEP",
    "Solution",
    "default_tol",
    "describe",
    "fit_for_lambda",
    "solve_for_lambda",
    "lam_key",
    "lambda_curve",
    "pins_digest",
    "solution_shape",
    "task_splits",
]

LAM_MIN, LAM_MAX = 1e-5, 1.0
SLIDER_STEP = 0.1  # decades between slider positions
SLIDER_LAMS = 10.0 ** np.round(np.arange(-50, 1) * SLIDER_STEP, 1)  # 1e-5 ... 1: the 51 slider positions
CURVE_LAMS = np.logspace(0, -5, 6)  # a coarse accuracy-against-lambda curve: one point a decade
FTOL = {  # L-BFGS-B's ftol (L2; L1 past NEWTON_MAX weights): looser for ten digits, where a step costs 15 ms
    ("pair", "l2"): 1e-9,
    ("pair", "l1"): 1e-9,
    (ALL_DIGITS, "l2"): 3e-7,
    (ALL_DIGITS, "l1"): 3e-7,
}
TOL_PER_LAM = {"l2": 2e-3, "l1": 2.5e-4}  # ten digits: ftol at most this times lambda (flatter valley, tighter)
TOL_FLOOR = 5e-9  # ... and at least this
GAP = 1e-4  # every answer's objective within this fraction of the optimum: what the tolerances above keep


def default_tol(task, penalty: str, lam: float) -> float:
    """L-BFGS-B's ftol for one explorer request: ``FTOL``, tightened at small lambda for ten digits.

    ftol bounds the last step's fall, not the distance to the optimum; in the flat valley of ten digits at
    small lambda that distance is up to ~100 times the last fall, so the test tightens with lambda to keep
    the objective within ``GAP`` (relative) of its optimum (``benchmarks/bench_browser.py`` checks it).
    """
    if task != ALL_DIGITS:
        return FTOL["pair", penalty]
    return float(np.clip(TOL_PER_LAM[penalty] * lam, TOL_FLOOR, FTOL[ALL_DIGITS, penalty]))


class Abandoned(Exception):
    """Raised by a ``watch`` to drop a solve in flight (nothing is kept of it)."""


# -- solving ---------------------------------------------------------------------------------------


def solve_for_lambda(task, penalty: str, lam: float, warm_start: np.ndarray | None = None, tol: float | None = None):
    """Solve one task at one lambda to its optimum.

    Parameters
    ----------
    task : tuple of two ints, or "all"
        A digit pair ``(a, b)`` (logistic regression, y = 1 for b) or all ten digits (softmax).
    penalty : {"l2", "l1"}
    lam : float
        In ``[1e-5, 1]`` on the slider, any finite value > 0 here.
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
    newton_tol = None if tol is None else validate.tolerance("tol", tol)
    return _solve(validate.task(task), penalty, lam, warm_start, tol, newton_tol)


fit_for_lambda = solve_for_lambda  # the name notebook 05 uses: it returns a Solution, not a Fit


def _solve(task, penalty: str, lam: float, warm_start, tol: float | None, newton_tol=None, watch=None) -> Solution:
    """``optimum.solve`` with the explorer's tolerances (``default_tol``, ``NEWTON_TOL``) when ``tol`` is None."""
    validate.choice("penalty", penalty, validate.PENALTIES)
    validate.real("lam", lam, above=0)
    if tol is None:
        tol, newton_tol = default_tol(task, penalty, lam), NEWTON_TOL
    return solve(task, penalty, lam, warm_start, tol, newton_tol=newton_tol, watch=watch, measure=False)


def lam_key(lam: float) -> int:
    """One key per lambda, equal for two floats a billionth of a decade apart (a slider's 10**x and ours)."""
    return -(10**12) if lam == 0 else round(float(np.log10(lam)) * 1e9)


def pins_digest():
    """A SHA-256 hash fed with the data's SHA-256 pins (``data.PINS``), for keys to build on."""
    from .. import data

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
    first. With a ``store`` (an ``explorer.store.PathStore``), a solution missing from memory
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
        task = validate.task(task)
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
        key = (validate.task(solution.task), solution.penalty, lam_key(solution.lam))
        with self._lock:
            self._pinned[key] = solution

    def solved(self, task, penalty: str) -> list[Solution]:
        """The kept solutions of one path, by lambda."""
        task = validate.task(task)
        with self._lock:
            path = self._path(task, penalty)
        return sorted(path, key=lambda s: s.lam)

    def solve(self, task, penalty: str, lam: float, watch=None) -> Solution:
        """The optimum at ``lam``: kept, or solved from the path's start (``watch`` as in ``solvers``)."""
        task = validate.task(task)
        validate.choice("penalty", penalty, validate.PENALTIES)
        validate.real("lam", lam, above=0)
        found = self.get(task, penalty, lam)
        if found is not None:
            return found
        with self._lock:
            start = self._start({s.lam: s for s in self._path(task, penalty)}, penalty, lam)
        solution = _solve(task, penalty, float(lam), start, None, watch=watch)
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
