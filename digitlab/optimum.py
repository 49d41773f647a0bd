"""The one solve pipeline: a task, a penalty, lambda, a warm start and a tolerance -> one ``Solution``.

For a task (a digit pair: logistic regression; all ten digits: softmax
regression) and a penalty, the mean cross-entropy on the training images plus
``lam * C(w)`` (C = sum of squares or of absolute values, bias not penalised)
is minimised to convergence: L2 by L-BFGS-B, L1 by proximal Newton steps
(``digitlab.solvers``). Pixels that no training image lights keep weight 0
under either penalty and are left out of the solve (``splits.lit_pixels``);
the model follows from the labels (two classes: logistic, more: softmax); the
solve runs on one BLAS thread (``threads``). Both the results table
(``reproduce``: ``solve_grid`` and ``choose_on_holdout``, the *optimum* column)
and the explorer (``explorer.path``: ``fit_for_lambda`` and its cache) call
``solve``; ``describe`` gives the numbers of any weights (an iterate too).

The results table keeps the lambda of a fixed grid (``GRID``) whose solution
classifies the hold-out set best: the best of what this objective gives on
that grid, not the best test accuracy attainable; the test set chooses nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import validate
from .kernels import logistic_labels, logistic_scores_loss, penalty_term, softmax_labels, softmax_scores_loss
from .solvers import minimize_l1, minimize_lbfgs, watch_rows
from .splits import Splits, digit_pair, lit_pixels, seed_splits
from .stats import Accuracy, best_on_holdout
from .threads import blas_on_one_thread
from .validate import ALL_DIGITS

__all__ = [
    "ALL_DIGITS",
    "GRID",
    "TOL",
    "ZERO",
    "Solution",
    "Solved",
    "choose_on_holdout",
    "describe",
    "optimality_residual",
    "solution_shape",
    "solve",
    "solve_grid",
    "task_splits",
]

#: The lambda grids (on the mean loss), largest first: the path is solved from strong to weak.
GRID = {
    "pair": (1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4),
    "all": (3e-3, 1e-3, 3e-4, 1e-4, 3e-5),
}
#: Convergence: L-BFGS-B stops when a step lowers the objective by less than this (it is below 1 here);
#: L1's Newton steps when one promises less than this fraction of the objective.
TOL = 1e-10
ZERO = 1e-4  # |w| below this counts as "near zero" (L2 shrinks weights but never zeroes one)


@dataclass
class Solution:
    """One task solved at one lambda: the weights and the numbers the results table and the explorer show.

    ``w`` is ``(785,)`` for a digit pair, ``(785, 10)`` for all ten digits. Accuracies are scored in
    float32, as the solver sees the images.
    """

    task: object  # (a, b), "all", or None for splits given as such
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
    holdout_correct: int  # hold-out images classified right, of ``holdout_total``
    holdout_total: int
    #: The largest violation of the optimality condition (``optimality_residual``), in float64; NaN when not
    #: measured (``solve(..., measure=False)``, and solutions read back from a store).
    optimality: float = float("nan")

    @property
    def test(self) -> Accuracy:
        """The test accuracy as a count, with its 95% Wilson interval (``Accuracy.interval``)."""
        return Accuracy(self.test_correct, self.test_total)

    @property
    def holdout(self) -> Accuracy:
        """The hold-out accuracy as a count."""
        return Accuracy(self.holdout_correct, self.holdout_total)

    @property
    def zero_fraction(self) -> float:
        """Fraction of the weights (bias left out) that are exactly 0."""
        return self.zero_count / self.size


Solved = Solution  # the results table's earlier name for the same result


# -- the problem a task poses ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    """A task's training problem, ready for the solvers: float32 splits, the model, the lit pixels."""

    task: object
    splits: Splits  # float32
    softmax: bool
    rows: np.ndarray  # the lit pixels (``lit_pixels``), bias row first: the rows of w the solve moves
    X: np.ndarray  # the training images on those rows, float32 (n, m), Fortran order (X.T @ error reads in order)

    @property
    def shape(self) -> tuple:
        d = self.splits.train.X.shape[1]
        return (d, 10) if self.softmax else (d,)

    @property
    def core(self) -> Callable:
        return softmax_scores_loss if self.softmax else logistic_scores_loss

    @property
    def labels(self) -> Callable:
        return softmax_labels if self.softmax else logistic_labels


def _pose(task, splits: Splits) -> _Problem:
    splits = Splits(*(type(d)(d.X.astype(np.float32), d.y) for d in splits))
    rows = lit_pixels(splits.train.X)
    softmax = bool(np.max(splits.train.y) > 1)  # the model rule: two classes (0 / 1) logistic, more softmax
    return _Problem(task, splits, softmax, rows, np.asfortranarray(splits.train.X[:, rows]))


@functools.lru_cache(maxsize=1)
def _all_splits() -> Splits:
    return seed_splits()


@functools.lru_cache(maxsize=8)
def _task_problem(task) -> _Problem:
    splits = _all_splits() if task == ALL_DIGITS else digit_pair(_all_splits(), *task)
    return _pose(task, splits)


def _problem(task) -> _Problem:
    """A task ``(a, b)`` or ``"all"`` (checked by ``validate.task``; cached), or any ``Splits`` as they are."""
    if isinstance(task, Splits):
        validate.splits(task, None if np.max(task.train.y) <= 1 else int(np.max(task.train.y)) + 1)
        return _pose(None, task)
    return _task_problem(validate.task(task))


def task_splits(task) -> Splits:
    """The report's splits for a task, as float32 (cached): a digit pair ``(a, b)``, or ``"all"``."""
    return _problem(task).splits


def solution_shape(task) -> tuple:
    """The weights' shape for a task: ``(785,)`` for a digit pair, ``(785, 10)`` for all ten digits."""
    return _problem(task).shape


# -- solving ---------------------------------------------------------------------------------------


def solve(
    task,
    penalty: str,
    lam: float,
    warm_start: np.ndarray | None = None,
    tol: float = TOL,
    *,
    newton_tol: float | None = None,
    watch: Callable | None = None,
    measure: bool = True,
) -> Solution:
    """Minimise the mean cross-entropy plus ``lam * C(w)`` on the training images to convergence.

    Parameters
    ----------
    task : tuple of two ints, "all", or Splits
        A digit pair ``(a, b)`` (logistic regression, y = 1 for b), all ten digits (softmax), or any
        splits (labels 0 / 1: logistic regression; more classes: softmax).
    penalty : {"l2", "l1"}
    lam : float, > 0
        Without a penalty a separable pair has no optimum (its weights grow without end).
    warm_start : ndarray, shape (785,) or (785, 10), optional
        Finite weights to start from (the solution at a neighbouring lambda); default zeros.
    tol : float in (0, 1)
        L-BFGS-B stops when a step lowers the objective by less than this (``ftol``; the objective is
        below 1 here, so the test is absolute).
    newton_tol : float in (0, 1), optional
        L1's Newton steps stop when one promises to lower the objective by less than this fraction;
        default ``tol``.
    watch : callable, optional
        ``watch(w)`` sees each iterate (full shape) and ``watch(None)`` between evaluations; it may raise
        to drop the solve (see ``solvers``).
    measure : bool
        Measure ``optimality`` on the float64 images (one more gradient: the explorer skips it).

    Introduced in ``03_regularization.ipynb``.
    """
    problem = _problem(task)
    validate.choice("penalty", penalty, validate.PENALTIES)
    validate.real("lam", lam, above=0)
    tol = validate.tolerance("tol", tol)
    newton_tol = tol if newton_tol is None else validate.tolerance("newton_tol", newton_tol)
    w0 = np.zeros(problem.shape) if warm_start is None else validate.weights("warm_start", warm_start, problem.shape)
    rows, X, y = problem.rows, problem.X, problem.splits.train.y
    on_rows = watch_rows(watch, rows, np.zeros(problem.shape))
    with blas_on_one_thread():
        if penalty == "l2":
            solved, iterations = minimize_lbfgs(problem.core, "l2", lam, X, y, w0[rows], tol, on_rows)
        else:
            solved, iterations = minimize_l1(problem.core, lam, X, y, w0[rows], tol, newton_tol, on_rows)
        w = np.zeros(problem.shape)
        w[rows] = solved
        solution = _describe(problem, penalty, float(lam), w, int(iterations))
        if measure:
            solution.optimality = _optimality(task, problem, solution)
    return solution


def describe(task, penalty: str, lam: float, w: np.ndarray, iterations: int = 0) -> Solution:
    """The numbers of weights ``w (785,) or (785, 10)`` at ``lam`` (any weights: an iterate too)."""
    with blas_on_one_thread():
        return _describe(_problem(task), penalty, float(lam), w, iterations)


def _describe(problem: _Problem, penalty: str, lam: float, w: np.ndarray, iterations: int) -> Solution:
    splits, labels = problem.splits, problem.labels
    w = np.array(w, dtype=np.float64)
    if problem.softmax:
        w[0] -= w[0].mean()  # softmax ignores a shift common to all ten biases: centre them, for one answer
    w32 = w.astype(np.float32)
    loss, _, train_scores = problem.core(w32[problem.rows], problem.X, splits.train.y)
    train_acc = float(np.mean(labels(train_scores) == splits.train.y))
    holdout_correct, test_correct = (int(np.sum(labels(d.X @ w32) == d.y)) for d in splits[1:])
    body = w[1:]
    unseen = np.ones(len(w), dtype=bool)
    unseen[problem.rows] = False
    n_holdout, n_test = len(splits.holdout.y), len(splits.test.y)
    return Solution(
        problem.task,
        penalty,
        lam,
        w,
        train_acc,
        holdout_correct / n_holdout,
        test_correct / n_test,
        norm=float(np.linalg.norm(body)),
        zero_count=int(np.count_nonzero(body == 0)),
        unseen_count=int(unseen[1:].sum() * (body.size // len(body))),
        near_zero_count=int(np.count_nonzero(np.abs(body) < ZERO)),
        size=int(body.size),
        objective=float(loss + penalty_term(w, lam, penalty)[0]),
        iterations=iterations,
        test_correct=test_correct,
        test_total=n_test,
        holdout_correct=holdout_correct,
        holdout_total=n_holdout,
    )


def _optimality(task, problem: _Problem, solution: Solution) -> float:
    """``optimality_residual``'s largest entry, on the float64 training images."""
    if isinstance(task, Splits):
        train = task.train
    else:
        train = _all_splits().train if problem.softmax else digit_pair(_all_splits(), *problem.task).train
    _, grad, _ = problem.core(solution.w, np.asarray(train.X, dtype=np.float64), train.y)
    return float(optimality_residual(solution.w, grad, solution.lam, solution.penalty).max())


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


# -- the results table's path ------------------------------------------------------------------------


def solve_grid(
    task, penalty: str, lams: Sequence[float], progress: Callable[[int], None] | None = None, tol: float = TOL
) -> list[Solution]:
    """``solve`` at each lambda, largest first, each started from the previous solution.

    ``task`` as for ``solve``; ``progress(done)`` is called after each lambda. Introduced in
    ``03_regularization.ipynb``.
    """
    solutions, warm = [], None
    for done, lam in enumerate(sorted(lams, reverse=True), start=1):
        solution = solve(task, penalty, lam, warm, tol)
        solutions.append(solution)
        warm = solution.w
        if progress is not None:
            progress(done)
    return solutions


def choose_on_holdout(solutions: Sequence[Solution]) -> Solution:
    """The solution with the best hold-out accuracy (ties: the larger lambda, the simpler model)."""
    lam = best_on_holdout([s.lam for s in solutions], [s.holdout.correct for s in solutions])
    return next(s for s in solutions if s.lam == lam)
