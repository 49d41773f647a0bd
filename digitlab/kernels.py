"""Loss-and-gradient kernels for logistic and softmax regression.

One contract, as in CS231n: ``loss, grad = f(w, X, y, lam, penalty)``. The
loss is the MEAN cross-entropy over the n rows of X plus ``lam * C(w)``, with
C the L2 term ``sum w**2`` or the L1 term ``sum |w|``. Column 0 of X is the
bias feature, and its weight (row 0 of w) is not penalised: shifting every
score by a constant is not a sign of overfitting. Everything is vectorised
and numerically stable (log-sum-exp, ``np.logaddexp``); the plain-loop twins
live in ``01_gradient_derivation.ipynb``, which checks them against these.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import validate

__all__ = [
    "check_gradient",
    "cross_entropy_hessian",
    "logistic_curvature",
    "logistic_labels",
    "logistic_loss",
    "logistic_predict",
    "logistic_scores_loss",
    "penalty_term",
    "sigmoid",
    "soft_threshold",
    "softmax",
    "softmax_labels",
    "softmax_loss",
    "softmax_predict",
    "softmax_scores_loss",
]

FLOOR = -80.0  # scores more than 80 below the top one: probabilities under e^-80 count as e^-80


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function ``g(z) = 1 / (1 + exp(-z))``, stable for any finite z (eq. 3, 4).

    Introduced in ``01_gradient_derivation.ipynb``.
    """
    z = np.asarray(z)
    return np.exp(-np.logaddexp(0, -z))


def softmax(a: np.ndarray) -> np.ndarray:
    """Softmax along the last axis, ``a (..., k) -> (..., k)``, rows summing to 1 (eq. 10).

    Subtracts each row's maximum first, so no input overflows.

    Introduced in ``01_gradient_derivation.ipynb``.
    """
    a = np.asarray(a)
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def penalty_term(w: np.ndarray, lam: float, penalty: str) -> tuple[float, np.ndarray]:
    """``lam * C(w)`` and its (sub)gradient, leaving the bias (row 0 of w) out.

    Parameters
    ----------
    w : ndarray, shape (d,) or (d, k)
    lam : float, >= 0
    penalty : {"l2", "l1"}
        ``C = sum w**2`` (gradient ``2 w``) or ``C = sum |w|`` (subgradient ``sign w``).

    Introduced in ``01_gradient_derivation.ipynb``.
    """
    validate.choice("penalty", penalty, validate.PENALTIES)
    grad = np.zeros_like(w)
    if lam == 0:
        return 0.0, grad
    v = w[1:]
    if penalty == "l2":
        grad[1:] = 2 * lam * v
        return float(lam * np.vdot(v, v)), grad
    grad[1:] = lam * np.sign(v)
    return float(lam * np.abs(v).sum()), grad


def soft_threshold(w: np.ndarray, threshold) -> np.ndarray:
    """The proximal step of ``threshold * sum |w[1:]|``: ``sign(w) max(|w| - threshold, 0)`` off the bias row.

    ``w (d,)`` or ``(d, k)``; ``threshold`` a number or an array broadcasting against ``w[1:]`` -> a new array
    like ``w``, the bias row kept. Weights within ``threshold`` of zero land on exactly zero.
    Introduced in ``03_regularization.ipynb``.
    """
    out = np.array(w, dtype=np.result_type(w, np.float32), copy=True)
    body = out[1:]
    out[1:] = np.sign(body) * np.maximum(np.abs(body) - threshold, 0)
    return out


def logistic_curvature(X: np.ndarray) -> float:
    """The steepest curvature L of the mean logistic loss on ``X (n, d)``: the largest eigenvalue of ``X^T X / (4 n)``.

    The sigmoid's slope is at most 1/4, so no direction of the loss curves more than this; a constant
    learning rate below ``2 / L`` cannot overshoot. Introduced in ``02_logistic_regression.ipynb``.
    """
    X = np.asarray(X, dtype=np.float64)
    return float(np.linalg.eigvalsh(X.T @ X / (4 * len(X)))[-1])


def logistic_loss(w: np.ndarray, X: np.ndarray, y: np.ndarray, lam: float = 0.0, penalty: str = "l2"):
    """Mean binary cross-entropy plus ``lam * C(w)`` and its gradient (eq. 1, 5, 6-8).

    Parameters
    ----------
    w : ndarray, shape (d,)
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,), values 0 or 1

    Returns
    -------
    loss : float
    grad : ndarray, shape (d,)

    Introduced in ``01_gradient_derivation.ipynb``.
    """
    validate.loss_call(w, X, y, lam, penalty, "logistic")
    loss, grad, _ = logistic_scores_loss(w, X, y)
    reg, reg_grad = penalty_term(w, lam, penalty)
    return loss + reg, grad + reg_grad


def logistic_scores_loss(w: np.ndarray, X: np.ndarray, y: np.ndarray, *, gradient: bool = True):
    """Mean binary cross-entropy, its gradient and the scores ``X @ w``, from one forward pass.

    ``w (d,)``, ``X (n, d)``, ``y (n,)`` -> ``loss``, ``grad (d,)``, ``scores (n,)``.
    The unregularised core of ``logistic_loss``. Several models at once: ``w (d, R)``
    (one column each) gives ``loss (R,)``, ``grad (d, R)``, ``scores (n, R)``, from one
    matrix product. ``gradient=False`` skips the gradient (``grad`` is None): half the work.
    """
    z = X @ w
    t = y if z.ndim == 1 else y[:, None]
    # -y log s(z) - (1 - y) log(1 - s(z)) = log(1 + e^z) - y z  (eq. 1)
    loss = np.mean(np.logaddexp(0, z) - t * z, axis=0)
    loss = float(loss) if z.ndim == 1 else loss
    if not gradient:
        return loss, None, z
    error = sigmoid(np.maximum(z, FLOOR))  # no subnormal floats (see softmax_scores_loss)
    error -= t  # in place: keeps the dtype of X, so X.T @ error stays one BLAS call
    return loss, X.T @ error / len(y), z


def softmax_scores_loss(W: np.ndarray, X: np.ndarray, y: np.ndarray, *, gradient: bool = True, XT=None):
    """Mean cross-entropy, its gradient and the class scores, from one forward pass.

    ``W (d, k)``, ``X (n, d)``, ``y (n,)`` integer labels -> ``loss``, ``grad (d, k)``,
    ``scores (n, k)``. The unregularised core of ``softmax_loss``; the descent
    loop uses the scores for the training accuracy without a second pass. Several
    models at once: ``W (d, R, k)`` gives ``loss (R,)``, ``grad (d, R, k)``,
    ``scores (n, R, k)`` from one matrix product; their scores are held class-major,
    ``(R, k, n)`` (every sum and maximum over the k classes then runs along rows of n
    numbers; over a last axis of 10 it is slow), and the scores returned are a
    transposed view. ``XT``, optional, is ``X.T`` stored C-contiguous: with it the
    forward product for several models runs faster (OpenBLAS). ``gradient=False``
    skips the gradient (``grad`` is None).
    """
    n = len(y)
    if W.ndim == 2:  # one model, scores (n, k): the products the solvers are tuned for
        scores = X @ W
        loss, P = _cross_entropy(scores, y, gradient)
        return float(loss), None if P is None else X.T @ P / n, scores
    d, R, k = W.shape
    scores = (W.reshape(d, R * k).T @ (X.T if XT is None else XT)).reshape(R, k, n)
    loss, P = _cross_entropy(scores, y, gradient)
    if P is None:
        return loss, None, scores.transpose(2, 0, 1)
    grad = (P.reshape(R * k, n) @ X).T.reshape(W.shape)  # this order runs fastest in OpenBLAS for small R * k
    grad /= n
    return loss, grad, scores.transpose(2, 0, 1)


def _cross_entropy(scores: np.ndarray, y: np.ndarray, gradient: bool):
    """The mean of eq. 9 and ``P - one_hot(y)`` (eq. 10, 15) from scores whose axis 1 is the class.

    ``scores (n, k)`` -> loss, ``P (n, k)``; class-major ``(R, k, n)`` -> ``loss (R,)``, ``P (R, k, n)``.
    ``P`` is None without ``gradient``.
    """
    rows = np.arange(len(y))
    true = (rows, y) if scores.ndim == 2 else (slice(None), y, rows)
    shifted = scores - scores.max(axis=1, keepdims=True)
    picked = shifted[true]  # the true class's shifted score, (n,) or (R, n)
    # exp below e^-87 gives subnormal floats, which slow every later product several-fold; a probability
    # under e^-80 counts as e^-80 (the loss and gradient move by less than 1e-33)
    exp = np.exp(np.maximum(shifted, FLOOR, out=shifted))
    total = exp.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(total).squeeze(1) - picked, axis=-1 if scores.ndim == 3 else 0)  # eq. 9, averaged
    if not gradient:
        return loss, None
    P = np.divide(exp, total, out=exp)  # softmax probabilities, eq. 10
    P[true] -= 1  # P - one_hot(y), eq. 15
    return loss, P


def softmax_loss(W: np.ndarray, X: np.ndarray, y: np.ndarray, lam: float = 0.0, penalty: str = "l2"):
    """Mean multi-class cross-entropy plus ``lam * C(W)`` and its gradient (eq. 9, 15, 16-20).

    Parameters
    ----------
    W : ndarray, shape (d, k)
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,), integer labels 0 .. k-1

    Returns
    -------
    loss : float
    grad : ndarray, shape (d, k)

    Introduced in ``01_gradient_derivation.ipynb``.
    """
    validate.loss_call(W, X, y, lam, penalty, "softmax")
    loss, grad, _ = softmax_scores_loss(W, X, y)
    reg, reg_grad = penalty_term(W, lam, penalty)
    return loss + reg, grad + reg_grad


def cross_entropy_hessian(X: np.ndarray, P: np.ndarray, a: tuple, b: tuple | None = None, chunk: int = 2048):
    """Hessian of the mean cross-entropy on chosen weights, for logistic and softmax alike.

    Weights are named by ``(rows, classes)`` index arrays: weight ``i`` of ``a`` is
    ``w[a_rows[i], a_classes[i]]``. With ``p`` the model's probabilities,
    ``H[i, j] = mean_n x_n,r * x_n,r' * (p_nk [k == l] - p_nk p_nl)`` for weights
    ``(r, k)`` of ``a`` and ``(r', l)`` of ``b`` (the derivative of eq. 15).
    Logistic regression is the case of one column, ``P = sigmoid(X @ w)[:, None]``
    and every class 0: the entry is then ``mean x x' p (1 - p)``.

    Parameters
    ----------
    X : ndarray, shape (n, d)
        Fortran order reads fastest.
    P : ndarray, shape (n, k)
    a, b : tuple of two int arrays, shapes (s,) and (t,)
        ``b`` defaults to ``a`` (the square block).
    chunk : int
        Images per block: the temporaries stay ``(s, chunk)``.

    Returns
    -------
    ndarray, shape (s, t), float64

    Introduced in ``05_lambda_explorer.ipynb``.
    """
    b = a if b is None else b
    by_class = [np.argsort(classes, kind="stable") for _, classes in (a, b)]  # a class's weights side by side
    (rows_a, classes_a), (rows_b, classes_b) = ((rows[o], classes[o]) for (rows, classes), o in zip((a, b), by_class))
    edges_a, edges_b = (np.searchsorted(c, np.arange(P.shape[1] + 1)) for c in (classes_a, classes_b))
    H = np.zeros((len(rows_a), len(rows_b)))
    XT, PT = X.T, np.ascontiguousarray(P.T)
    for start in range(0, len(X), chunk):
        part = slice(start, start + chunk)
        xa = XT[rows_a, part]  # (s, chunk)
        xpa = xa * PT[classes_a, part]
        if b is a:
            xb, xpb = xa, xpa
        else:
            xb = XT[rows_b, part]
            xpb = xb * PT[classes_b, part]
        H -= xpa @ xpb.T  # for the square block one BLAS syrk: half the work
        for k in range(P.shape[1]):
            ia, ib = slice(edges_a[k], edges_a[k + 1]), slice(edges_b[k], edges_b[k + 1])
            H[ia, ib] += xpa[ia] @ xb[ib].T
    H /= len(X)
    back_a, back_b = (np.argsort(o) for o in by_class)
    return H[np.ix_(back_a, back_b)]


def logistic_predict(w: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Labels 0 / 1 for ``X (n, d)`` under weights ``w (d,)``: 1 where ``X @ w > 0``.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    return logistic_labels(X @ w)


def logistic_labels(scores: np.ndarray) -> np.ndarray:
    """Scores ``(n,)`` -> labels: 1 where the score is positive (sigmoid above 1/2)."""
    return (scores > 0).astype(np.int64)


def softmax_labels(scores: np.ndarray) -> np.ndarray:
    """Scores ``(n, k)`` (or ``(n, R, k)`` for R models) -> labels: the class of the highest score."""
    return np.argmax(scores, axis=-1)


def softmax_predict(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Labels ``(n,)`` for ``X (n, d)`` under weights ``W (d, k)``: the highest score.

    Introduced in ``04_softmax_regression.ipynb``.
    """
    return softmax_labels(X @ W)


def check_gradient(
    f: Callable[[np.ndarray], tuple[float, np.ndarray]],
    w: np.ndarray,
    h: float = 1e-5,
    n_checks: int | None = None,
    seed: int = 0,
) -> float:
    """Largest relative error between ``f``'s analytic gradient and central differences.

    Parameters
    ----------
    f : callable
        ``f(w) -> (loss, grad)`` with ``grad`` shaped like ``w``.
    w : ndarray
        The point to check at (not modified).
    h : float
        Step of the central difference ``(f(w + h e_i) - f(w - h e_i)) / 2h``.
    n_checks : int, optional
        Check this many coordinates drawn at random (with ``seed``); default all.

    Returns
    -------
    float
        ``max_i |a_i - n_i| / max(|a_i| + |n_i|, 1e-8)``: about 1e-8 or less when
        the gradient is right, order 1 when it is wrong.

    Introduced in ``01_gradient_derivation.ipynb``.
    """
    w = np.array(w, dtype=np.float64)
    _, analytic = f(w.copy())
    analytic = np.asarray(analytic).ravel()
    flat = w.ravel()
    coords = np.arange(flat.size)
    if n_checks is not None and n_checks < flat.size:
        coords = np.random.default_rng(seed).choice(flat.size, size=n_checks, replace=False)
    worst = 0.0
    for i in coords:
        old = flat[i]
        flat[i] = old + h
        up = f(w.copy())[0]
        flat[i] = old - h
        down = f(w.copy())[0]
        flat[i] = old
        numeric = (up - down) / (2 * h)
        worst = max(worst, abs(analytic[i] - numeric) / max(abs(analytic[i]) + abs(numeric), 1e-8))
    return worst
