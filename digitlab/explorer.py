"""The lambda explorer: solve a task at any lambda fast, and the widget around it.

Compute and wiring are apart. ``fit_for_lambda(task, penalty, lam, warm_start)``
solves regularised logistic (a digit pair) or softmax (all ten digits)
regression to its optimum with SciPy's L-BFGS-B on digitlab's own loss and
gradient, warm-started from a neighbouring lambda; L1 is made smooth by
splitting ``w = u - v`` with ``u, v >= 0``, so the solver lands on exact zeros.
SciPy's BLAS pool and NumPy's are held to one thread around the solver: two
pools of two threads each fight over two cores and run about 20 times slower.
``Explorer`` only wires controls to these functions and draws the answer.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import threading
import traceback
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from .kernels import logistic_labels, logistic_scores_loss, penalty_term, softmax_labels, softmax_scores_loss
from .splits import Splits, digit_pair, seed_splits

__all__ = ["ALL_DIGITS", "Explorer", "Solution", "fit_for_lambda", "lambda_curve", "task_splits"]

ALL_DIGITS = "all"
LAM_MIN, LAM_MAX = 1e-5, 1.0
ZERO = 1e-4  # a weight this small counts as zero in the sparsity figure


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
    iterations: int


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


def _objective(task, penalty: str, lam: float, X: np.ndarray, y: np.ndarray, shape: tuple):
    """The smooth objective L-BFGS-B minimises, over float64 x; returns (f, bounds, to_w, from_w)."""
    core = softmax_scores_loss if task == ALL_DIGITS else logistic_scores_loss
    size = int(np.prod(shape))

    if penalty == "l2":

        def f(x):
            w = x.astype(np.float32).reshape(shape)
            loss, grad, _ = core(w, X, y)
            reg, reg_grad = penalty_term(w, lam, "l2")
            return loss + reg, (grad + reg_grad).astype(np.float64).ravel()

        return f, None, lambda x: x.reshape(shape), lambda w: w.ravel()

    # L1: w = u - v with u, v >= 0, so lam * sum|w| becomes the smooth lam * sum(u + v)
    # (the bias row is free: it sits in u, and v's bias row is held at 0)
    cost = np.full(shape, lam)
    cost[0] = 0.0
    cost = cost.ravel()
    bounds = [(None, None) if i < (shape[1] if len(shape) > 1 else 1) else (0, None) for i in range(size)]
    bounds += [(0, 0) if i < (shape[1] if len(shape) > 1 else 1) else (0, None) for i in range(size)]

    def f(x):
        u, v = x[:size], x[size:]
        w = (u - v).astype(np.float32).reshape(shape)
        loss, grad, _ = core(w, X, y)
        g = grad.astype(np.float64).ravel()
        return loss + float(cost @ (u + v)), np.concatenate([g + cost, -g + cost])

    return (
        f,
        bounds,
        lambda x: (x[:size] - x[size:]).reshape(shape),
        lambda w: np.concatenate([np.maximum(w.ravel(), 0), np.maximum(-w.ravel(), 0)]),
    )


def fit_for_lambda(task, penalty: str, lam: float, warm_start: np.ndarray | None = None, tol: float = 1e-4):
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
    tol : float
        The solver's relative tolerance on the objective.

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
    X, y = splits.train
    shape = (X.shape[1], 10) if task == ALL_DIGITS else (X.shape[1],)
    w0 = np.zeros(shape) if warm_start is None else np.asarray(warm_start, dtype=np.float64)
    if w0.shape != shape:
        raise ValueError(f"warm_start has shape {w0.shape}; this task needs {shape}")
    f, bounds, to_w, from_w = _objective(task, penalty, float(lam), X, y, shape)
    with threadpool_limits(limits=1, user_api="blas"):
        result = minimize(f, from_w(w0), jac=True, method="L-BFGS-B", bounds=bounds,
                          options={"maxiter": 2000, "ftol": tol, "gtol": 1e-6})
        w = to_w(result.x)
        labels = softmax_labels if task == ALL_DIGITS else logistic_labels
        accs = [float(np.mean(labels(d.X @ w.astype(np.float32)) == d.y)) for d in splits]
    body = w[1:]
    return Solution(task, penalty, float(lam), w, *accs, float(np.linalg.norm(body)),
                    float(np.mean(np.abs(body) < ZERO)), int(result.nit))
