"""The training code of the coursework, written to be read: what the checks compare a student's answer with,
and what a later part falls back on while an earlier one is wrong (``checks.working``, ``checks.alone``).

One gradient-descent step, batch descent with early stopping on the hold-out accuracy, the proximal step and
L1 by proximal steps, choosing lambda on the hold-out set, annealed mini-batch training of softmax regression,
and the most confused pair of a confusion matrix. The mini-batches and the annealed rate are ``descent``'s own
(``minibatches``, ``annealed_rate``), re-exported here; the losses are ``kernels``'.

Introduced with the coursework (``coursework/README.md``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .descent import annealed_rate, minibatches
from .kernels import logistic_loss, soft_threshold
from .stats import best_on_holdout

__all__ = [
    "annealed_rate",
    "choose_lambda",
    "descent_step",
    "early_stopping",
    "fit_l1",
    "minibatches",
    "most_confused",
    "proximal_step",
    "train_softmax",
]


def descent_step(w: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    """One gradient-descent step, ``w - lr * grad`` for ``w (d,)``: what ``working`` falls back on.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    return w - lr * grad


def proximal_step(w: np.ndarray, X: np.ndarray, y: np.ndarray, lr: float, lam: float) -> np.ndarray:
    """One proximal-gradient step for the mean logistic loss + ``lam * sum |w[1:]|``.

    The gradient step on the smooth part (the mean cross-entropy), then soft-thresholding with ``t = lr * lam``.
    ``w (d,)``, ``X (n, d)``, ``y (n,)`` -> new ``w (d,)``. Introduced in ``03_regularization.ipynb``.
    """
    return soft_threshold(w - lr * logistic_loss(w, X, y)[1], lr * lam)


def fit_l1(X: np.ndarray, y: np.ndarray, lam: float, lr: float, epochs: int) -> np.ndarray:
    """``epochs`` full-batch proximal steps from ``w = 0``: ``X (n, d)``, ``y (n,)`` -> ``w (d,)``.

    Introduced in ``03_regularization.ipynb``.
    """
    w = np.zeros(X.shape[1])
    for _ in range(epochs):
        w = proximal_step(w, X, y, lr, lam)
    return w


def choose_lambda(lams: np.ndarray, holdout_acc: np.ndarray, test_acc: np.ndarray) -> float:
    """The lambda of the best hold-out accuracy, the larger of equals (``stats.best_on_holdout``).

    ``lams``, ``holdout_acc``, ``test_acc`` : shape (k,); ``test_acc`` is not looked at.

    Introduced in ``03_regularization.ipynb``.
    """
    return best_on_holdout(lams, holdout_acc)


def train_softmax(
    loss_fn: Callable,
    rate_fn: Callable,
    X: np.ndarray,
    y: np.ndarray,
    k: int,
    *,
    epochs: int,
    eta0: float,
    T: float,
    batch_size: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Softmax regression by annealed mini-batch gradient descent from zero weights; returns ``W (d, k)``.

    ``loss_fn(W, Xb, yb) -> (loss, grad (d, k))``; ``rate_fn(t, eta0, T)`` the rate of epoch ``t``; each
    epoch visits ``X (n, d)``, ``y (n,)`` in a new order ``rng.permutation(n)``, in batches of ``batch_size``
    (the last one smaller). The reference for ``check_softmax_loop``.

    Introduced in ``04_softmax_regression.ipynb``.
    """
    W = np.zeros((X.shape[1], k))
    for t in range(epochs):
        rate = rate_fn(t, eta0, T)
        for batch in minibatches(len(y), batch_size, rng):
            W = W - rate * loss_fn(W, X[batch], y[batch])[1]
    return W


def most_confused(C: np.ndarray) -> tuple[int, int]:
    """The ``(true, predicted)`` pair of the largest count off the diagonal of ``C (k, k)``.

    The reference for ``check_most_confused``. Introduced in ``04_softmax_regression.ipynb``.
    """
    mistakes = np.array(C, copy=True)
    np.fill_diagonal(mistakes, 0)
    i, j = np.unravel_index(np.argmax(mistakes), mistakes.shape)
    return int(i), int(j)


def early_stopping(
    loss_fn: Callable, w0: np.ndarray, lr: float, epochs: int, holdout_acc: Callable, patience: int
) -> tuple[np.ndarray, int]:
    """Batch descent from ``w0 (d,)`` stopped on the hold-out accuracy; returns ``(best w (d,), its epoch)``.

    ``loss_fn(w) -> (loss, grad (d,))``, ``holdout_acc(w) -> float`` scored at the start (epoch 0) and after
    each step; the loop ends after ``patience`` evaluations in a row below the best (the counter restarts at
    every new best); of equal accuracies the latest is kept. The reference for ``check_gradient_descent``.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    w = np.array(w0, dtype=np.float64)
    best_acc, best_w, best_epoch, below = holdout_acc(w), w.copy(), 0, 0
    for epoch in range(1, epochs + 1):
        w = descent_step(w, loss_fn(w)[1], lr)
        acc = holdout_acc(w)
        if acc >= best_acc:
            best_acc, best_w, best_epoch, below = acc, w.copy(), epoch, 0
        else:
            below += 1
            if below == patience:
                break
    return best_w, best_epoch
