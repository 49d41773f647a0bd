"""The regularised training objective solved to convergence, lambda chosen on the hold-out set.

This is the results table's *optimum* column, and exactly that: for a task (a
digit pair, logistic regression; or all ten digits, softmax regression) and a
penalty, the mean cross-entropy on the 18,000 (or ~3,600) training images plus
``lam * C(w)`` (C = sum of squares or of absolute values, bias not penalised) is
minimised to convergence at each lambda of a fixed grid, and the lambda whose
solution classifies the hold-out set best is kept. It is the best of what this
objective gives on that grid, not the best test accuracy attainable: a lambda
off the grid, another model or another split can do better, and the test set
chooses nothing. L2 is solved by L-BFGS-B, L1 by proximal Newton steps
(``digitlab.solvers``); pixels that no training image lights keep weight 0
under either penalty and are left out of the solve.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from .kernels import (
    logistic_labels,
    logistic_scores_loss,
    penalty_term,
    softmax_labels,
    softmax_scores_loss,
)
from .solvers import minimize_l1, minimize_lbfgs
from .splits import Splits
from .stats import Accuracy, best_on_holdout

__all__ = ["GRID", "TOL", "Solved", "choose_on_holdout", "optimality_residual", "solve", "solve_grid"]

#: The lambda grids (on the mean loss), largest first: the path is solved from strong to weak.
GRID = {
    "pair": (1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4),
    "all": (3e-3, 1e-3, 3e-4, 1e-4, 3e-5),
}
#: Convergence: L-BFGS-B stops when a step lowers the objective by less than this (it is below 1 here);
#: L1's Newton steps when one promises less than this fraction of the objective.
TOL = 1e-10


@dataclass
class Solved:
    """One lambda solved: weights ``w (d,)`` or ``(d, 10)``, accuracies on the three splits, how well it converged.

    ``optimality`` is the largest violation of the optimality condition at ``w`` over every weight: the
    gradient of the objective (L2), or for L1 the loss gradient's excess over ``lam`` at a zero weight and
    its imbalance against ``lam * sign(w)`` elsewhere; 0 at the exact optimum.
    """

    penalty: str
    lam: float
    w: np.ndarray
    train: Accuracy
    holdout: Accuracy
    test: Accuracy
    objective: float
    optimality: float
    iterations: int


def optimality_residual(w: np.ndarray, grad: np.ndarray, lam: float, penalty: str) -> np.ndarray:
    """How far each weight is from the optimality condition of the loss plus ``lam * C(w)``; 0 at the optimum.

    Parameters
    ----------
    w, grad : ndarray, shape (d,) or (d, k)
        Weights and the gradient of the (unpenalised) loss at them; row 0 is the bias.
    lam : float
    penalty : {"l2", "l1"}

    Returns
    -------
    ndarray like ``w``, >= 0: L2, ``|grad + 2 lam w|`` (the penalty's gradient from ``kernels.penalty_term``;
    the bias: ``|grad|``); L1, on a non-zero weight ``|grad + lam sign(w)|``, on a zero one how far ``|grad|``
    exceeds ``lam``, on the bias ``|grad|``. Introduced in ``03_regularization.ipynb``.
    """
    _, reg_grad = penalty_term(w, lam, penalty)
    residual = np.abs(grad + reg_grad)
    if penalty == "l1":
        zero = w[1:] == 0
        residual[1:][zero] = np.maximum(np.abs(grad[1:][zero]) - lam, 0)
    return residual


def _model(splits: Splits) -> tuple[Callable, Callable, tuple]:
    d = splits.train.X.shape[1]
    if np.max(splits.train.y) > 1:
        return softmax_scores_loss, softmax_labels, (d, 10)
    return logistic_scores_loss, logistic_labels, (d,)


def solve(splits: Splits, penalty: str, lam: float, warm: np.ndarray | None = None, tol: float = TOL) -> Solved:
    """Minimise the mean cross-entropy plus ``lam * C(w)`` on ``splits.train`` to convergence.

    Parameters
    ----------
    splits : Splits
        A digit pair (labels 0 / 1: logistic regression) or all ten digits (softmax regression).
    penalty : {"l2", "l1"}
    lam : float, > 0
    warm : ndarray, shape (d,) or (d, 10), optional
        Weights to start from (the solution at a neighbouring lambda).

    Introduced in ``03_regularization.ipynb``.
    """
    if penalty not in ("l1", "l2"):
        raise ValueError(f"penalty {penalty!r} is unknown; use 'l2' or 'l1'")
    if not lam > 0:
        raise ValueError(f"lam={lam!r} must be > 0: without a penalty a separable pair has no optimum")
    core, labels, shape = _model(splits)
    X = splits.train.X.astype(np.float32)
    rows = np.flatnonzero(X.any(axis=0))  # the bias column is all ones: rows[0] == 0
    Xs, y = np.asfortranarray(X[:, rows]), splits.train.y
    w0 = np.zeros(shape) if warm is None else np.asarray(warm, dtype=np.float64)
    with threadpool_limits(1, user_api="blas"):  # NumPy's and SciPy's BLAS on one thread each (see descent)
        if penalty == "l2":
            solved, iterations = minimize_lbfgs(core, "l2", lam, Xs, y, w0[rows], tol)
        else:
            solved, iterations = minimize_l1(core, lam, Xs, y, w0[rows], tol, tol)
    w = np.zeros(shape)
    w[rows] = solved
    X64 = splits.train.X
    loss, grad, _ = core(w, X64, y)
    reg, _ = penalty_term(w, lam, penalty)
    optimality = float(optimality_residual(w, grad, lam, penalty).max())
    accuracies = [Accuracy(int(np.sum(labels(d.X @ w) == d.y)), len(d.y)) for d in splits]
    return Solved(penalty, float(lam), w, *accuracies, float(loss + reg), optimality, int(iterations))


def solve_grid(
    splits: Splits, penalty: str, lams: Sequence[float], progress: Callable[[int], None] | None = None
) -> list[Solved]:
    """``solve`` at each lambda, largest first, each started from the previous solution.

    ``progress(done)`` is called after each lambda. Introduced in ``03_regularization.ipynb``.
    """
    solutions, warm = [], None
    for done, lam in enumerate(sorted(lams, reverse=True), start=1):
        solution = solve(splits, penalty, lam, warm)
        solutions.append(solution)
        warm = solution.w
        if progress is not None:
            progress(done)
    return solutions


def choose_on_holdout(solutions: Sequence[Solved]) -> Solved:
    """The solution with the best hold-out accuracy (ties: the larger lambda, the simpler model)."""
    lam = best_on_holdout([s.lam for s in solutions], [s.holdout.correct for s in solutions])
    return next(s for s in solutions if s.lam == lam)
