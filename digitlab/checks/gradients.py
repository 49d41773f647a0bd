"""Checks for assignment 01 (deriving the gradients): the logistic and softmax losses and their gradients,
the stable softmax and its Jacobian, the L2 and L1 penalties, the numeric gradient. Also used by 02-04."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..kernels import logistic_loss, logistic_scores_loss, penalty_term, softmax, softmax_loss, softmax_scores_loss
from .feedback import (
    EARLIER,
    CheckFailed,
    _as_array,
    _call,
    _close,
    _note_precision,
    _pair,
    _passes,
    _problem,
    _scalar,
    _scaled,
    alone,
)


def _diagnose_loss(part, loss, grad, ref_loss, ref_grad, n, w_shape):
    """Compare an unregularised loss and gradient with the reference; raise naming the mistake."""
    if not np.isfinite(loss):
        raise CheckFailed(f"{part}: the loss is {loss}; compute it the stable way (np.logaddexp, log-sum-exp)")
    if not _close(loss, ref_loss):
        if _close(loss, n * ref_loss):
            raise CheckFailed(f"{part}: the loss is {n} times too large: it sums over the images; average it (mean)")
        if _close(loss, -ref_loss):
            raise CheckFailed(f"{part}: the loss has the wrong sign: cross-entropy is -mean(t log p), positive")
        raise CheckFailed(f"{part}: the loss is {loss:.6g}, expected {ref_loss:.6g}")
    grad = _as_array(part, "the gradient", grad, w_shape)
    if _close(grad, ref_grad):
        return
    if _scaled(grad, ref_grad, n):
        raise CheckFailed(f"{part}: the gradient is {n} times too large: it sums over the images; divide by n")
    if _scaled(grad, ref_grad, -1):
        raise CheckFailed(
            f"{part}: the gradient has the wrong sign: it points downhill; the gradient is X^T (p - t) / n "
            "(p the predicted probabilities, t the labels, one-hot for several classes)"
        )
    raise CheckFailed(
        f"{part}: the loss is right but the gradient is not (largest difference "
        f"{np.max(np.abs(grad - ref_grad)):.3g}); check it against finite differences"
    )


def check_logistic_loss(logistic_loss_fn: Callable, *, seed: int = 0, n: int = 7, d: int = 5) -> str:
    """Check ``logistic_loss_fn(w, X, y) -> (loss, grad)``: the mean binary cross-entropy (eq. 1, 5).

    ``w (d,)``, ``X (n, d)``, ``y (n,)`` in {0, 1}; also tries weights that make every score 800 or more, and
    every score -800 or less, where exp overflows (its limit is about 709) on one side or the other, so an
    unstable sigmoid, log, ``log(1 + exp(z))`` or a form stable for one sign only fails.
    """
    part = "logistic loss"
    own = (logistic_loss, logistic_scores_loss)
    X, y, w = _problem(seed, n, d)
    loss, grad = _pair(part, _call(part, logistic_loss_fn, w.copy(), X, y, forbidden=own))
    ref_loss, ref_grad = logistic_loss(w, X, y)
    _diagnose_loss(part, _scalar(part, "the loss", loss), grad, ref_loss, ref_grad, n, w.shape)
    for sign in (1, -1):  # X >= 0, so every score is at least 800 (at most -800): past exp's 709
        big = np.full(d, sign * 800.0 / X.sum(axis=1).min())
        loss = _scalar(part, "the loss", _pair(part, _call(part, logistic_loss_fn, big, X, y, quiet=True))[0])
        ref_loss, _ = logistic_loss(big, X, y)
        if not np.isfinite(loss) or not _close(loss, ref_loss, rtol=1e-6):
            raise CheckFailed(
                f"{part}: at scores of {sign * 800} and {'more' if sign > 0 else 'less'} the loss is {loss}, "
                f"expected {ref_loss:.6g}: exp overflows there (log(sigmoid(z)) and log(1 + exp(z)) overflow for "
                "large z, z + log(1 + exp(-z)) for very negative z); use np.logaddexp(0, z) - y * z"
            )
    return _passes(part, f"n={n}, d={d}, and stable at scores of 800 and -800")


def check_softmax(softmax_fn: Callable, *, seed: int = 0, n: int = 6, k: int = 4) -> str:
    """Check ``softmax_fn(a) -> p`` row-wise for ``a (n, k)``: rows sum to 1, no overflow at 1000 (eq. 10)."""
    part = "softmax"
    a = np.random.default_rng(seed).normal(0, 2, (n, k))
    p = _as_array(part, "the result", _call(part, softmax_fn, a.copy(), forbidden=(softmax,)), (n, k))
    if not _close(p, softmax(a)):
        if _close(p.sum(axis=0), 1):
            raise CheckFailed(f"{part}: the columns sum to 1, not the rows: normalise along axis=1 (keepdims=True)")
        if not _close(p.sum(axis=1), 1):
            raise CheckFailed(f"{part}: the rows do not sum to 1: divide each exp by its row's sum")
        raise CheckFailed(f"{part}: the probabilities differ from exp(a) / sum exp(a) per row")
    huge = a + 1000.0
    p = _in_float64(_call(part, softmax_fn, huge.copy(), quiet=True))
    if not np.all(np.isfinite(p)) or not _close(p, softmax(huge)):
        raise CheckFailed(f"{part}: scores of 1000 give nan: exp overflows; subtract each row's maximum first")
    mixed = (
        a + np.where(np.arange(n) % 2 == 0, 1000.0, -1000.0)[:, None]
    )  # rows 2000 apart, like [[0, 1], [-1000, -999]]
    p = _in_float64(_call(part, softmax_fn, mixed.copy(), quiet=True))
    if not np.all(np.isfinite(p)) or not _close(p, softmax(mixed)):
        raise CheckFailed(
            f"{part}: rows whose scores lie 2000 apart give nan: the shift must be each row's own maximum "
            "(a.max(axis=1, keepdims=True)), not the largest score of all: a row far below it underflows to 0 / 0"
        )
    return _passes(part, f"({n}, {k}), rows sum to 1, stable at scores of 1000 and for rows 2000 apart")


def _in_float64(result) -> np.ndarray:
    """A result, possibly not finite, as float64, its own precision noted (float32 widens the comparison)."""
    _note_precision(result)
    return np.asarray(result, dtype=np.float64)


def check_softmax_jacobian(jacobian_fn: Callable, *, seed: int = 0, k: int = 5) -> str:
    """Check ``jacobian_fn(p) -> J (k, k)``, ``J[i, j] = d p_i / d a_j = p_i ([i == j] - p_j)`` (eq. 13, 14)."""
    part = "softmax Jacobian"
    p = softmax(np.random.default_rng(seed).normal(0, 1, k))
    J = _as_array(part, "the Jacobian", _call(part, jacobian_fn, p.copy()), (k, k))
    reference = np.diag(p) - np.outer(p, p)
    if _close(J, reference):
        return _passes(part, f"k={k}")
    if _close(J, -reference):
        raise CheckFailed(f"{part}: every entry has the wrong sign: d p_i / d a_j = p_i ([i == j] - p_j)")
    if _close(np.diag(J), np.diag(reference)):
        raise CheckFailed(f"{part}: the diagonal is right, the rest is not: off the diagonal it is -p_i p_j")
    if _close(J - np.diag(np.diag(J)), reference - np.diag(np.diag(reference))):
        raise CheckFailed(f"{part}: off the diagonal is right, the diagonal is not: on it, p_i (1 - p_i)")
    raise CheckFailed(f"{part}: the Jacobian differs from diag(p) - p p^T")


def check_softmax_loss(softmax_loss_fn: Callable, *, seed: int = 0, n: int = 8, d: int = 5, k: int = 3) -> str:
    """Check ``softmax_loss_fn(W, X, y) -> (loss, grad)``: the mean cross-entropy over k classes (eq. 9, 15).

    ``W (d, k)``, ``X (n, d)``, ``y (n,)`` integer labels; also a batch lacking the last class (k is
    ``W.shape[1]``), scores of 1000 and rows of scores far apart. A ``stable_softmax`` of the student's that
    fails its own check is replaced by digitlab's for the call (``alone``).
    """
    part = "softmax loss"
    X, y, W = _problem(seed, n, d, k)
    with alone(softmax_loss_fn, ("stable_softmax",)):
        own = (softmax_loss, softmax_scores_loss)
        loss, grad = _pair(part, _call(part, softmax_loss_fn, W.copy(), X, y, forbidden=own))
        ref_loss, ref_grad = softmax_loss(W, X, y)
        _diagnose_loss(part, _scalar(part, "the loss", loss), grad, ref_loss, ref_grad, n, W.shape)
        lacking = y % (k - 1)  # no image of class k - 1 in this batch
        try:
            loss, grad = _pair(part, _call(part, softmax_loss_fn, W.copy(), X, lacking))
            right = _close(_scalar(part, "the loss", loss), softmax_loss(W, X, lacking)[0]) and _close(
                _as_array(part, "the gradient", grad, W.shape), softmax_loss(W, X, lacking)[1]
            )
        except CheckFailed:
            right = False
        if not right:
            raise CheckFailed(
                f"{part}: on a batch with no image of class {k - 1} it fails: the number of classes is "
                "W.shape[1], not y.max() + 1 (a one-hot as wide as W has columns)"
            )
        mixed = X.copy()
        mixed[1::2] *= -1  # every other row's scores negated: rows of scores thousands apart
        for what, probe in (("near 1000", X), ("of rows thousands apart", mixed)):
            loss = _scalar(
                part, "the loss", _pair(part, _call(part, softmax_loss_fn, W * 1000, probe, y, quiet=True))[0]
            )
            ref_loss, _ = softmax_loss(W * 1000, probe, y)
            if not np.isfinite(loss) or not _close(loss, ref_loss):
                raise CheckFailed(
                    f"{part}: with scores {what} the loss is {loss}, expected {ref_loss:.6g}: the softmax overflows "
                    "or underflows; subtract each row's own maximum score (log-sum-exp) before exp"
                )
    return _passes(part, f"n={n}, d={d}, k={k}, a class missing, stable at scores of 1000 and rows far apart")


def check_penalty(penalty_fn: Callable, penalty: str, *, seed: int = 0, d: int = 6, lam: float = 0.3) -> str:
    """Check ``penalty_fn(w, lam) -> (value, grad)`` for ``lam * C(w)``, C the L2 or L1 term, bias row 0 free.

    Tried on ``w (d,)`` and on ``W (d, 3)``; the gradient is ``2 lam w`` (L2) or ``lam sign w`` (L1) off the bias.
    """
    part = f"{penalty.upper()} penalty"
    rng = np.random.default_rng(seed)
    for shape in ((d,), (d, 3)):
        w = rng.normal(0, 1, shape)
        w[0] = 1.5  # a bias weight (row) large enough that penalising it shows
        w[2] = 0.0  # a weight exactly zero: the L1 subgradient there is 0 (np.sign(0) = 0)
        _diagnose_penalty(part, penalty, penalty_fn, w, lam)
    return _passes(part, f"d={d}, lam={lam}, w of shape (d,) and (d, k), bias not penalised, exact zeros")


def _diagnose_penalty(part: str, penalty: str, penalty_fn: Callable, w: np.ndarray, lam: float) -> None:
    value, grad = _pair(part, _call(part, penalty_fn, w.copy(), lam, forbidden=(penalty_term,)), "(value, grad)")
    value = _scalar(part, "the value", value)
    ref_value, ref_grad = penalty_term(w, lam, penalty)
    grad = _as_array(part, "the gradient", grad, w.shape)
    if _close(value, ref_value) and _close(grad, ref_grad):
        return
    bias_value = lam * np.sum(w[0] ** 2 if penalty == "l2" else np.abs(w[0]))
    if _close(value, ref_value + bias_value) or (np.any(np.abs(grad[0]) > 1e-12) and _close(grad[1:], ref_grad[1:])):
        raise CheckFailed(f"{part}: the bias weight w[0] is penalised; leave row 0 out of C(w) and its gradient")
    if not _close(value, ref_value):
        if penalty == "l1" and _close(value, lam * np.sum(w[1:] ** 2)):
            raise CheckFailed(f"{part}: this is the L2 term (sum of squares); L1 is lam * sum |w|")
        if penalty == "l2" and _close(value, lam * np.sqrt(np.sum(w[1:] ** 2))):
            raise CheckFailed(f"{part}: C(w) is the sum of squares, not the Euclidean length (no square root)")
        raise CheckFailed(f"{part}: for w of shape {w.shape} the value is {value:.6g}, expected {ref_value:.6g}")
    zero = w == 0
    if penalty == "l1" and _close(grad[~zero], ref_grad[~zero]):
        raise CheckFailed(
            f"{part}: where a weight is exactly 0 the subgradient must be 0 (np.sign(0) = 0), not +-lam; "
            "use np.sign, which gives 0 there"
        )
    if penalty == "l2" and _scaled(grad, ref_grad, 0.5):
        raise CheckFailed(f"{part}: the gradient of lam * sum w^2 is 2 lam w, not lam w")
    if _scaled(grad, ref_grad, -1):
        raise CheckFailed(f"{part}: the gradient has the wrong sign")
    raise CheckFailed(f"{part}: for w of shape {w.shape} the value is right but the gradient is not")


def check_numeric_gradient(numeric_gradient_fn: Callable, *, seed: int = 0, d: int = 4, h: float = 1e-5) -> str:
    """Check ``numeric_gradient_fn(f, w, h) -> g``: central differences ``(f(w + h e_i) - f(w - h e_i)) / 2h``.

    ``f(w) -> float``; ``w (d,)`` must be left as it was.
    """
    part = "numeric gradient"
    w = np.random.default_rng(seed).normal(0, 1, d)

    def f(v):
        return float(np.sum(v**3) + np.sum(v[:-1] * v[1:]))

    exact = 3 * w**2 + np.r_[w[1:], 0] + np.r_[0, w[:-1]]
    probe = w.copy()
    g = _as_array(part, "the gradient", _call(part, numeric_gradient_fn, f, probe, h), w.shape)
    if not np.array_equal(probe, w):
        raise CheckFailed(f"{part}: w was changed by the call: put each w[i] back after probing it")
    if _close(g, exact, rtol=1e-6, atol=1e-6):
        # with a wide step the central difference of the cube is off by exactly h^2, a one-sided one by 3 w h
        wide = 0.1
        g = _as_array(part, "the gradient", _call(part, numeric_gradient_fn, f, probe, wide), w.shape)
        if _close(g, exact + wide**2, rtol=1e-6, atol=1e-6):
            return _passes(part, f"d={d}, central differences")
        raise CheckFailed(
            f"{part}: close at h={h:g} but not central: at h={wide:g} it is off by up to "
            f"{np.max(np.abs(g - exact)):.3g}, where (f(w + h e_i) - f(w - h e_i)) / 2h is off by h^2 = {wide**2:g}"
        )
    if _scaled(g, exact, 2) or _close(g, 2 * exact, rtol=1e-4, atol=1e-4):
        raise CheckFailed(f"{part}: twice the gradient: divide by 2h (the two points are 2h apart)")
    if _close(g, exact, rtol=1e-3, atol=1e-3):
        raise CheckFailed(f"{part}: close but not central: use (f(w + h e_i) - f(w - h e_i)) / 2h, error O(h^2)")
    raise CheckFailed(f"{part}: differs from the true gradient by up to {np.max(np.abs(g - exact)):.3g}")


EARLIER["stable_softmax"] = (check_softmax, softmax)
EARLIER["logistic_loss"] = (check_logistic_loss, logistic_loss)
