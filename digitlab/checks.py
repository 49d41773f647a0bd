"""Feedback for coursework: check a student's function and say, in plain words, what is wrong.

Each ``check_*`` function calls the student's code on small problems drawn from a seed, compares it with
digitlab's own kernels (the references) and either returns a one-line "passes" message or raises
``CheckFailed`` (an ``AssertionError``, so a failed check fails an nbgrader test cell) whose message names
the mistake students really make: summing where the loss is averaged, penalising the bias, a flipped sign,
a softmax that overflows, weights transposed, a step that climbs, early stopping that keeps the last
weights. A part not yet done (``raise NotImplementedError``) is reported as such. The visible checks in
an assignment use the defaults; hidden tests call the same checks with other seeds and shapes, so an
answer that only reproduces the visible numbers fails them.

``working(student, check, reference)`` lets a later part go on with digitlab's own function while an
earlier part is still failing: the kernels, the few small references kept here (``descent_step``,
``proximal_step``, ``fit_l1``, ``choose_lambda``, ``train_softmax``, ``most_confused``) and those re-exported
from the modules that use them (``minibatches``, ``annealed_rate`` from ``descent``; ``confusion_matrix`` from
``stats``). Everything here runs in well under a second except ``check_pair_training`` (it trains on a digit
pair, a few seconds). Introduced with the coursework (``coursework/README.md``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from .descent import annealed_rate, minibatches
from .kernels import (
    logistic_curvature,
    logistic_loss,
    logistic_predict,
    penalty_term,
    soft_threshold,
    softmax,
    softmax_loss,
    softmax_predict,
)
from .stats import accuracy, best_on_holdout, confusion_matrix

__all__ = [
    "CheckFailed",
    "annealed_rate",
    "check_accuracy",
    "check_annealed_rate",
    "check_confusion_matrix",
    "check_descent_step",
    "check_gradient_descent",
    "check_l1_fit",
    "check_lambda_choice",
    "check_logistic_loss",
    "check_minibatches",
    "check_most_confused",
    "check_numeric_gradient",
    "check_pair_training",
    "check_penalty",
    "check_proximal_step",
    "check_regularised_loss",
    "check_safe_learning_rate",
    "check_soft_threshold",
    "check_softmax",
    "check_softmax_jacobian",
    "check_softmax_loop",
    "check_softmax_loss",
    "check_ten_digit_training",
    "choose_lambda",
    "confusion_matrix",
    "descent_step",
    "fit_l1",
    "minibatches",
    "most_confused",
    "proximal_step",
    "soft_threshold",
    "train_softmax",
    "working",
]


class CheckFailed(AssertionError):
    """A student's function does not do what the part asks; the message says what is wrong."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows: the message alone, not the checks' own frames."""
        return [f"\x1b[0;31mCheckFailed\x1b[0m: {self}"]


# ---------------------------------------------------------------------------------------------- plumbing


def _call(part: str, fn: Callable, *args):
    """Call the student's function; 'not done yet' and crashes become a ``CheckFailed`` naming the part."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # overflow in exp and friends: reported, not printed
            return fn(*args)
    except NotImplementedError:
        raise CheckFailed(f"{part}: not done yet (replace `raise NotImplementedError` with your code)") from None
    except CheckFailed:  # raised by a probe the check handed the student's function: its message says it all
        raise
    except RuntimeWarning as warning:
        raise CheckFailed(
            f"{part}: NumPy warned {str(warning)!r}: an intermediate overflowed or divided by zero; "
            "compute it the stable way (subtract the row maximum before exp, use np.logaddexp)"
        ) from None
    except Exception as error:  # noqa: BLE001 - any crash of the student's code is feedback, not a check bug
        raise CheckFailed(f"{part}: your function raised {type(error).__name__}: {error}") from None


def _pair(part: str, result, names: str = "(loss, grad)") -> tuple:
    """The student's pair of results, else a message saying what the function must return."""
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise CheckFailed(f"{part}: the function must return two things, {names}; got {type(result).__name__}")
    return tuple(result)


def _as_array(part: str, what: str, value, shape: tuple) -> np.ndarray:
    """The student's array, of the expected shape, else a message about its shape."""
    value = np.asarray(value)
    if value.shape == shape:
        return value.astype(np.float64)
    if value.shape == shape[::-1] and len(shape) == 2:
        raise CheckFailed(f"{part}: {what} has shape {value.shape}, expected {shape}: it is transposed")
    raise CheckFailed(f"{part}: {what} has shape {value.shape}, expected {shape}")


def _scalar(part: str, what: str, value) -> float:
    """The student's number as a float, else a message saying it is not one number."""
    if np.size(value) != 1:
        raise CheckFailed(f"{part}: {what} must be one number; got an array of shape {np.shape(value)}")
    return float(np.asarray(value).ravel()[0])


def _close(a, b, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    return bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _scaled(student: np.ndarray, reference: np.ndarray, factor: float) -> bool:
    """``student == factor * reference`` (and the reference is not zero, so the test means something)."""
    return bool(np.any(np.abs(reference) > 1e-8)) and _close(student, factor * reference)


def _passes(part: str, detail: str = "") -> str:
    return f"{part}: passes" + (f" ({detail})" if detail else "")


def _problem(seed: int, n: int, d: int, k: int | None = None):
    """Random ``X (n, d)`` with the bias column of ones, labels and weights of a size that matters."""
    rng = np.random.default_rng(seed)
    X = np.hstack([np.ones((n, 1)), rng.random((n, d - 1))])
    if k is None:
        return X, rng.integers(0, 2, n), rng.normal(0, 0.5, d)
    y = rng.permutation(np.arange(n) % k)  # every class present
    return X, y, rng.normal(0, 0.5, (d, k))


# ------------------------------------------------------------------------------------------- the losses


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

    ``w (d,)``, ``X (n, d)``, ``y (n,)`` in {0, 1}; also tries weights that make every score 800 or more,
    where exp overflows (its limit is about 709), so an unstable sigmoid, log or ``log(1 + exp(z))`` fails.
    """
    part = "logistic loss"
    X, y, w = _problem(seed, n, d)
    loss, grad = _pair(part, _call(part, logistic_loss_fn, w.copy(), X, y))
    ref_loss, ref_grad = logistic_loss(w, X, y)
    _diagnose_loss(part, _scalar(part, "the loss", loss), grad, ref_loss, ref_grad, n, w.shape)
    big = np.full(d, 800.0 / X.sum(axis=1).min())  # X >= 0, so every score is at least 800: past exp's 709
    loss = _scalar(part, "the loss", _pair(part, _call(part, logistic_loss_fn, big, X, y))[0])
    ref_loss, _ = logistic_loss(big, X, y)
    if not np.isfinite(loss) or not _close(loss, ref_loss, rtol=1e-6):
        raise CheckFailed(
            f"{part}: at scores of 800 and more the loss is {loss}, expected {ref_loss:.6g}: exp(z) overflows "
            "there (log(sigmoid(z)) and log(1 + exp(z)) both do); use np.logaddexp(0, z) - y * z"
        )
    return _passes(part, f"n={n}, d={d}, and stable at scores of 800")


def check_softmax(softmax_fn: Callable, *, seed: int = 0, n: int = 6, k: int = 4) -> str:
    """Check ``softmax_fn(a) -> p`` row-wise for ``a (n, k)``: rows sum to 1, no overflow at 1000 (eq. 10)."""
    part = "softmax"
    a = np.random.default_rng(seed).normal(0, 2, (n, k))
    p = _as_array(part, "the result", _call(part, softmax_fn, a.copy()), (n, k))
    if not _close(p, softmax(a)):
        if _close(p.sum(axis=0), 1):
            raise CheckFailed(f"{part}: the columns sum to 1, not the rows: normalise along axis=1 (keepdims=True)")
        if not _close(p.sum(axis=1), 1):
            raise CheckFailed(f"{part}: the rows do not sum to 1: divide each exp by its row's sum")
        raise CheckFailed(f"{part}: the probabilities differ from exp(a) / sum exp(a) per row")
    huge = a + 1000.0
    p = np.asarray(_call(part, softmax_fn, huge.copy()), dtype=np.float64)
    if not np.all(np.isfinite(p)) or not _close(p, softmax(huge)):
        raise CheckFailed(f"{part}: scores of 1000 give nan: exp overflows; subtract each row's maximum first")
    return _passes(part, f"({n}, {k}), rows sum to 1, stable at scores of 1000")


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

    ``W (d, k)``, ``X (n, d)``, ``y (n,)`` integer labels; also tries scores of 1000.
    """
    part = "softmax loss"
    X, y, W = _problem(seed, n, d, k)
    loss, grad = _pair(part, _call(part, softmax_loss_fn, W.copy(), X, y))
    ref_loss, ref_grad = softmax_loss(W, X, y)
    _diagnose_loss(part, _scalar(part, "the loss", loss), grad, ref_loss, ref_grad, n, W.shape)
    big = W * 1000.0
    loss = _scalar(part, "the loss", _pair(part, _call(part, softmax_loss_fn, big, X, y))[0])
    ref_loss, _ = softmax_loss(big, X, y)
    if not np.isfinite(loss) or not _close(loss, ref_loss):
        raise CheckFailed(
            f"{part}: with scores near 1000 the loss is {loss}, expected {ref_loss:.6g}: the softmax overflows; "
            "subtract each row's maximum score (log-sum-exp) before exp"
        )
    return _passes(part, f"n={n}, d={d}, k={k}, and stable at scores of 1000")


def check_penalty(penalty_fn: Callable, penalty: str, *, seed: int = 0, d: int = 6, lam: float = 0.3) -> str:
    """Check ``penalty_fn(w, lam) -> (value, grad)`` for ``lam * C(w)``, C the L2 or L1 term, bias row 0 free.

    Tried on ``w (d,)`` and on ``W (d, 3)``; the gradient is ``2 lam w`` (L2) or ``lam sign w`` (L1) off the bias.
    """
    part = f"{penalty.upper()} penalty"
    rng = np.random.default_rng(seed)
    for shape in ((d,), (d, 3)):
        w = rng.normal(0, 1, shape)
        w[0] = 1.5  # a bias weight (row) large enough that penalising it shows
        _diagnose_penalty(part, penalty, penalty_fn, w, lam)
    return _passes(part, f"d={d}, lam={lam}, w of shape (d,) and (d, k), bias not penalised")


def _diagnose_penalty(part: str, penalty: str, penalty_fn: Callable, w: np.ndarray, lam: float) -> None:
    value, grad = _pair(part, _call(part, penalty_fn, w.copy(), lam), "(value, grad)")
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
        return _passes(part, f"d={d}, central differences")
    if _scaled(g, exact, 2) or _close(g, 2 * exact, rtol=1e-4, atol=1e-4):
        raise CheckFailed(f"{part}: twice the gradient: divide by 2h (the two points are 2h apart)")
    if _close(g, exact, rtol=1e-3, atol=1e-3):
        raise CheckFailed(f"{part}: close but not central: use (f(w + h e_i) - f(w - h e_i)) / 2h, error O(h^2)")
    raise CheckFailed(f"{part}: differs from the true gradient by up to {np.max(np.abs(g - exact)):.3g}")


# --------------------------------------------------------------------------------------------- descent


def check_descent_step(step_fn: Callable, *, seed: int = 0, d: int = 5, lr: float = 0.1) -> str:
    """Check ``step_fn(w, grad, lr) -> new w``: one gradient-descent step, ``w - lr * grad``."""
    part = "descent step"
    rng = np.random.default_rng(seed)
    w, grad = rng.normal(0, 1, d), rng.normal(0, 1, d)
    new = _as_array(part, "the new weights", _call(part, step_fn, w.copy(), grad.copy(), lr), w.shape)
    if _close(new, w - lr * grad):
        return _passes(part, f"d={d}, lr={lr}")
    if _close(new, w + lr * grad):
        raise CheckFailed(f"{part}: the step goes uphill (w + lr * grad): descend, w - lr * grad")
    if _close(new, -lr * grad):
        raise CheckFailed(f"{part}: it returns -lr * grad alone: the new weights are w - lr * grad")
    raise CheckFailed(f"{part}: expected w - lr * grad")


def check_annealed_rate(rate_fn: Callable, *, seed: int = 0, eta0: float | None = None, T: float | None = None) -> str:
    """Check ``rate_fn(t, eta0, T) -> eta0 / (1 + t / T)`` for epochs t = 0, 1, ... (the report's schedule).

    ``eta0`` and ``T`` are drawn from ``seed`` unless given.
    """
    part = "annealed learning rate"
    rng = np.random.default_rng(seed)
    eta0 = float(np.round(rng.uniform(0.1, 30), 3)) if eta0 is None else eta0
    T = float(rng.integers(2, 8)) if T is None else T
    ts = np.arange(12)
    got = np.array([float(_call(part, rate_fn, int(t), eta0, T)) for t in ts])
    expected = annealed_rate(ts, eta0, T)
    if _close(got, expected):
        return _passes(part, f"eta0={eta0}, T={T}")
    if _close(got, annealed_rate(ts + 1, eta0, T)):
        raise CheckFailed(f"{part}: off by one epoch: the first epoch is t = 0, which gives eta0 itself")
    if _close(got, eta0 * (1 + ts / T)):
        raise CheckFailed(f"{part}: the rate grows: it is eta0 / (1 + t / T), a division")
    if _close(got, eta0 / (1 + ts * T)):
        raise CheckFailed(f"{part}: t and T are swapped: t / T, so the rate halves after T epochs")
    raise CheckFailed(f"{part}: at t = {ts[np.argmax(~np.isclose(got, expected))]} expected eta0 / (1 + t / T)")


def check_gradient_descent(descend_fn: Callable, *, seed: int = 0, patience: int = 3) -> str:
    """Check a descent loop with early stopping on the hold-out accuracy.

    ``descend_fn(loss_fn, w0, lr, epochs, holdout_acc, patience) -> (w, best_epoch)``: starting from
    ``w0 (d,)``, evaluate ``holdout_acc(w)`` at the start (epoch 0) and after every epoch's step
    ``w - lr * grad`` (``loss_fn(w) -> (loss, grad)``); stop after ``patience`` evaluations in a row
    below the best; return a copy of the best weights (the latest of equals) and their epoch. The check
    runs it on a bowl whose hold-out accuracy peaks at a known epoch and counts the steps as the distinct
    weights handed to ``loss_fn`` (calling it twice on the same weights is one step): exactly
    ``peak + patience`` of them.
    """
    part = "gradient descent with early stopping"
    rng = np.random.default_rng(seed)
    d, lr, epochs, peak = 3, 0.5, 40, int(rng.integers(3, 8))
    target, w0 = rng.normal(0, 1, d), rng.normal(0, 1, d) + 4.0
    path = [target + (1 - lr) ** t * (w0 - target) for t in range(epochs + 1)]  # the right iterates
    seen = []  # the distinct weights loss_fn was called on, in order: one per step

    def loss_fn(w):
        w = np.array(w, dtype=np.float64)
        if not (seen and np.array_equal(seen[-1], w)):
            seen.append(w.copy())
        return 0.5 * float(np.sum((w - target) ** 2)), w - target

    def holdout_acc(w):
        return 1.0 - float(np.sum((np.asarray(w, dtype=np.float64) - path[peak]) ** 2))

    kept, epoch = _pair(
        part, _call(part, descend_fn, loss_fn, w0.copy(), lr, epochs, holdout_acc, patience), "(w, best_epoch)"
    )
    kept = _as_array(part, "the kept weights", kept, (d,))
    if len(seen) >= 2 and _close(seen[1], w0 + lr * (w0 - target)):
        raise CheckFailed(f"{part}: the step goes uphill (w + lr * grad): descend, w - lr * grad")
    steps, stop = len(seen), peak + patience
    if steps < peak:
        raise CheckFailed(
            f"{part}: it stopped early, after {steps} steps, before the best hold-out accuracy (epoch {peak}); "
            f"stop only after {patience} evaluations in a row below the best"
        )
    if int(epoch) == peak and _close(kept, path[peak]):
        if steps > stop:
            raise CheckFailed(
                f"{part}: it kept the right weights but stopped late, after {steps} steps: after {patience} "
                f"evaluations in a row below the best (epoch {stop}) the loop must end"
            )
        if steps < stop:
            raise CheckFailed(
                f"{part}: it kept the right weights but stopped early, after {steps} steps: the loop ends after "
                f"{patience} evaluations in a row below the best, at epoch {stop}"
            )
        return _passes(part, f"best at epoch {peak}, stopped {steps - peak} epochs later, patience {patience}")
    later = [t for t in range(peak + 1, epochs + 1) if _close(kept, path[t])]
    if later:
        raise CheckFailed(
            f"{part}: it returns the weights of epoch {later[0]}, not of the best hold-out accuracy (epoch {peak}); "
            "keep a copy of the best weights (w.copy(): an in-place update changes a kept reference too)"
        )
    raise CheckFailed(f"{part}: returned epoch {epoch}; the best hold-out accuracy is at epoch {peak}")


def check_soft_threshold(soft_threshold_fn: Callable, *, seed: int = 0, d: int = 8, t: float = 0.3) -> str:
    """Check ``soft_threshold_fn(w, t) -> w'``: the proximal L1 step ``sign(w) max(|w| - t, 0)``, bias free."""
    part = "soft-thresholding"
    w = np.random.default_rng(seed).normal(0, 0.5, d)
    w[0], w[1] = 1.0 + t, t / 3  # a bias past the threshold (shrinking it shows); a weight inside it (must be 0)
    got = _as_array(part, "the result", _call(part, soft_threshold_fn, w.copy(), t), w.shape)
    expected = soft_threshold(w, t)
    if _close(got, expected, atol=0):
        return _passes(part, f"d={d}, t={t}, exact zeros, bias untouched")
    if not _close(got[0], w[0]):
        raise CheckFailed(f"{part}: the bias w[0] was shrunk; leave it out of the L1 step")
    if _close(got[1:], w[1:] - t * np.sign(w[1:])):
        raise CheckFailed(f"{part}: small weights cross zero: clamp, max(|w| - t, 0), so they land on exactly 0")
    raise CheckFailed(f"{part}: expected sign(w) * max(|w| - t, 0) off the bias")


def check_confusion_matrix(confusion_fn: Callable, *, seed: int = 0, n: int = 50, k: int = 4) -> str:
    """Check ``confusion_fn(y_true, y_pred, k) -> C (k, k)``: ``C[i, j]`` counts true i predicted j."""
    part = "confusion matrix"
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, n))
    C = _as_array(part, "the matrix", _call(part, confusion_fn, y_true.copy(), y_pred.copy(), k), (k, k))
    expected = confusion_matrix(y_true, y_pred, k)
    if _close(C, expected):
        return _passes(part, f"n={n}, k={k}")
    if _close(C, expected.T):
        raise CheckFailed(f"{part}: transposed: rows are the true labels, columns the predictions")
    if _close(C, expected / n) or _close(C, expected / expected.sum(axis=1, keepdims=True)):
        raise CheckFailed(f"{part}: the entries are fractions; count images (integers)")
    raise CheckFailed(f"{part}: C[i, j] must count the images of true label i predicted as j")


def check_minibatches(batches_fn: Callable, *, seed: int = 0, n: int = 23, batch_size: int = 5) -> str:
    """Check ``batches_fn(n, batch_size, rng) -> list of index arrays``: one epoch's shuffled mini-batches.

    Every index 0..n-1 exactly once, batches of ``batch_size`` (the last may be smaller, never dropped), in
    a new random order each epoch.
    """
    part = "mini-batches"
    rng = np.random.default_rng(seed)
    epochs = [[np.asarray(b) for b in _call(part, batches_fn, n, batch_size, rng)] for _ in range(2)]
    for batches in epochs:
        if not batches or any(b.ndim != 1 for b in batches):
            raise CheckFailed(f"{part}: return a list of 1-D index arrays, one per batch")
        everything = np.concatenate(batches)
        if len(everything) < n and sorted(set(everything.tolist())) == sorted(everything.tolist()):
            raise CheckFailed(f"{part}: {n - len(everything)} image(s) left out: keep the last, smaller batch")
        if sorted(everything.tolist()) != list(range(n)):
            raise CheckFailed(f"{part}: every image must appear exactly once per epoch (a permutation of 0..n-1)")
        sizes = [len(b) for b in batches]
        if any(size != batch_size for size in sizes[:-1]) or sizes[-1] > batch_size:
            raise CheckFailed(f"{part}: batch sizes {sizes}; expected {batch_size} each, the last one possibly fewer")
    if all(np.array_equal(np.concatenate(e), np.arange(n)) for e in epochs):
        raise CheckFailed(f"{part}: the images come in their stored order: shuffle them (rng.permutation(n))")
    if np.array_equal(np.concatenate(epochs[0]), np.concatenate(epochs[1])):
        raise CheckFailed(f"{part}: two epochs see the same order: draw a new permutation every epoch from rng")
    return _passes(part, f"n={n}, batch_size={batch_size}, reshuffled each epoch")


def check_lambda_choice(choose_fn: Callable[[np.ndarray, np.ndarray, np.ndarray], float], *, seed: int = 0) -> str:
    """Check ``choose_fn(lams, holdout_acc, test_acc) -> lam``: the best hold-out accuracy (ties: the larger lam).

    ``lams``, ``holdout_acc``, ``test_acc`` : ndarray, shape (k,), in a shuffled order. The test accuracy is
    passed too, as a temptation: choosing by it makes the test score optimistic.

    Introduced in ``03_regularization.ipynb``.
    """
    part = "choosing lambda"
    rng = np.random.default_rng(seed)
    lams = np.array([0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001])
    holdout = np.round(rng.uniform(0.90, 0.96, len(lams)), 4)
    test = np.round(rng.uniform(0.90, 0.96, len(lams)), 4)
    tie = int(rng.integers(0, len(lams) - 1))
    holdout[[tie, tie + 1]] = holdout.max() + 0.001  # two lams tie on the best hold-out accuracy
    test[[tie, tie + 1]] = holdout.min() - 0.01  # where the test set disagrees
    larger, smaller = lams[tie], lams[tie + 1]
    order = rng.permutation(len(lams))  # listed in any order: the first of the best is not the rule
    i, j = np.flatnonzero(order == tie)[0], np.flatnonzero(order == tie + 1)[0]
    if (i < j) == (seed % 2 == 0):  # the smaller of the two listed first on even seeds, the larger on odd
        order[[i, j]] = order[[j, i]]
    lams, holdout, test = lams[order], holdout[order], test[order]
    chosen = _scalar(part, "the chosen lambda", _call(part, choose_fn, lams.copy(), holdout.copy(), test.copy()))
    if np.isclose(chosen, larger):
        return _passes(part, f"lam={larger:g}: best hold-out accuracy, the larger of two equals")
    if np.isclose(chosen, lams[np.argmax(test)]):
        raise CheckFailed(f"{part}: chosen by the test accuracy; the test set must not choose anything: use hold-out")
    if np.isclose(chosen, smaller):
        raise CheckFailed(f"{part}: of two equal hold-out accuracies, take the larger lambda (the simpler model)")
    raise CheckFailed(f"{part}: expected the lambda of the best hold-out accuracy, {larger:g}; got {chosen:g}")


def check_accuracy(predict_fn: Callable, X: np.ndarray, y: np.ndarray, target: float, what: str = "test") -> str:
    """Check that ``predict_fn(X) -> labels (n,)`` reaches ``target`` accuracy on ``X (n, d)``, ``y (n,)``."""
    part = f"{what} accuracy"
    labels = np.asarray(_call(part, predict_fn, X))
    if labels.shape != y.shape:
        raise CheckFailed(
            f"{part}: the predictions have shape {labels.shape}, expected {y.shape} (one label per image)"
        )
    correct = int(np.sum(labels == y))
    if correct < target * len(y):
        raise CheckFailed(
            f"{part}: {correct}/{len(y)} = {correct / len(y):.2%}, below the target {target:.0%}; check the learning "
            "rate and the number of epochs, and that training used the training split"
        )
    return _passes(part, f"{correct}/{len(y)} = {correct / len(y):.2%} >= {target:.0%}")


def working(student: Callable, check: Callable[[Callable], str], reference: Callable) -> Callable:
    """The student's function if ``check`` passes it, else ``reference`` (with a printed note).

    Lets a later section of an assignment run on digitlab's kernel while an earlier part is unfinished.
    """
    try:
        check(student)
    except CheckFailed as failure:
        print(f"using digitlab's {getattr(reference, '__name__', 'reference')} for now: {failure}")
        return reference
    return student


# ------------------------------------------------------------------ the descent, built by hand (assignment 02)


def descent_step(w: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    """One gradient-descent step, ``w - lr * grad`` for ``w (d,)``: what ``working`` falls back on.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    return w - lr * grad


def check_safe_learning_rate(rate_fn: Callable, X: np.ndarray) -> str:
    """Check ``rate_fn(X) -> lr``: a constant learning rate for the mean logistic loss on ``X (n, d)``.

    Passes for ``2 / (20 L) <= lr < 2 / L``, L the largest eigenvalue of ``X^T X / (4 n)`` (the steepest
    curvature of the mean loss, ``kernels.logistic_curvature``): below 2 / L the steps cannot overshoot, and
    not so small that descent crawls. A number fixed for one data set fails on another (the hidden tests use
    other data).

    Introduced in ``02_logistic_regression.ipynb``.
    """
    part = "safe learning rate"
    lr = _scalar(part, "the learning rate", _call(part, rate_fn, X))
    n, d = X.shape
    limit = 2 / logistic_curvature(X)
    if not lr > 0:
        raise CheckFailed(f"{part}: {lr!r} is not a positive number")
    if lr >= limit:
        raise CheckFailed(
            f"{part}: lr={lr:.4g} is not below 2 / L = {limit:.4g} for this X ({n} x {d}): the steps overshoot "
            "and the loss can grow; compute L from X (the largest eigenvalue of X^T X / (4 n)), do not fix a number"
        )
    if lr < limit / 20:
        raise CheckFailed(
            f"{part}: lr={lr:.4g} is {limit / lr:.0f} times below 2 / L = {limit:.4g}: descent would crawl; "
            "L is the largest eigenvalue of X^T X / (4 n), the MEAN over the n images, not the sum"
        )
    return _passes(part, f"lr={lr:.4g} < 2 / L = {limit:.4g} for X of {n} x {d}")


class _Withheld:
    """Stands in for the test split while a check trains: any use of it fails, naming the mistake."""

    def __init__(self, part: str) -> None:
        self._part = part

    def _refuse(self, *args, **kwargs):
        raise CheckFailed(
            f"{self._part}: training looked at the test set (pair.test); the check withholds it: train on "
            "pair.train and stop early on pair.holdout, so the test score stays an honest estimate"
        )

    __getattr__ = __iter__ = __getitem__ = __len__ = _refuse


class _Watched(np.ndarray):
    """The hold-out images, recording every weight vector they are scored with (``X @ w``, ``np.dot(X, w)``)."""

    def __array_finalize__(self, obj) -> None:
        self.scored = getattr(obj, "scored", [])  # a slice or copy records into the same list

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(np.asarray(x) if isinstance(x, _Watched) else x for x in inputs)
        if ufunc is np.matmul and method == "__call__" and len(inputs) == 2:
            self._record(inputs[1])
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        args = tuple(np.asarray(x) if isinstance(x, _Watched) else x for x in args)
        if func is np.dot and len(args) == 2:
            self._record(args[1])
        return func(*args, **kwargs)

    def _record(self, w) -> None:
        w = np.array(w, dtype=np.float64)
        if w.ndim == 1 and not (self.scored and np.array_equal(self.scored[-1], w)):
            self.scored.append(w)  # scoring the same weights twice in a row is one evaluation


def check_pair_training(train_fn: Callable, splits, target: float, what: str = "", **settings) -> str:
    """Check ``train_fn(splits, **settings) -> (w, best_epoch)`` reaches ``target`` accuracy on ``splits.test``.

    ``splits`` is a digit pair (``digit_pair``: labels 0 / 1, ``X (n, d)``); training gets it with the test
    split withheld (touching it fails) and must score the hold-out images once per epoch, from epoch 0 (the
    start), as ``dl.logistic_predict(w, pair.holdout.X)``: the check records those weights, so it can tell
    whether the weights returned are those of the best hold-out accuracy (the latest of equals), whether
    ``best_epoch`` is their epoch and, given ``patience``, whether the loop stopped after ``patience``
    evaluations in a row below the best. The weights ``w (d,)`` are then judged on the test images; the
    message gives the count and its 95% interval.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    part = f"training{' on ' + what if what else ''}"
    holdout_X = np.array(splits.holdout.X).view(_Watched)
    seen = splits._replace(holdout=splits.holdout._replace(X=holdout_X), test=_Withheld(part))
    result = _pair(part, _call(part, lambda: train_fn(seen, **settings)), "(w, best_epoch)")
    w = _as_array(part, "the weights", result[0], (splits.train.X.shape[1],))
    if not np.all(np.isfinite(w)):
        raise CheckFailed(
            f"{part}: the weights are not finite (nan or inf): the steps diverged; lower the learning rate"
        )
    scored = holdout_X.scored
    if not scored:
        raise CheckFailed(
            f"{part}: the hold-out images were never scored, so nothing stopped early: after every epoch compute "
            "np.mean(dl.logistic_predict(w, pair.holdout.X) == pair.holdout.y)"
        )
    holdout = [accuracy(splits.holdout.y, logistic_predict(v, splits.holdout.X)).correct for v in scored]
    best = len(holdout) - 1 - int(np.argmax(holdout[::-1]))  # the latest of the best
    if not _close(w, scored[best]):
        kept = "the last weights scored" if _close(w, scored[-1]) else "weights"
        raise CheckFailed(
            f"{part}: it returns {kept}, not those of the best hold-out accuracy ({holdout[best]}/"
            f"{len(splits.holdout.y)}, epoch {best}); keep a copy of the best weights (the latest of equals)"
        )
    if int(result[1]) != best:
        raise CheckFailed(
            f"{part}: best_epoch is {result[1]}, but the weights returned were scored at epoch {best} (epoch 0 is "
            "the zero start; one hold-out evaluation per epoch)"
        )
    if settings.get("patience") is not None:
        stop = min(best + settings["patience"], settings.get("epochs", len(scored)))
        if len(scored) - 1 != stop:
            late = "late" if len(scored) - 1 > stop else "early"
            raise CheckFailed(
                f"{part}: it stopped {late}, after {len(scored) - 1} epochs: the best hold-out accuracy was at epoch "
                f"{best}, so with patience {settings['patience']} the loop ends at epoch {stop}"
            )
    test = accuracy(splits.test.y, logistic_predict(w, splits.test.X))
    if test.value >= target:
        return _passes(part, f"test {test} >= {target:.0%}, weights of epoch {result[1]}")
    train = accuracy(splits.train.y, logistic_predict(w, splits.train.X))
    hint = (
        "the training images are not fitted either: check the step's sign, the learning rate and the epochs"
        if train.value < target
        else "the training images are fitted: check the learning rate, the batches and the early stopping"
    )
    raise CheckFailed(f"{part}: test {test}, below the target {target:.0%} (training {train}); {hint}")


# ------------------------------------------------------------- regularisation (03_regularization)
#
# References the checks below compare with; ``working`` falls back on them while a part is unfinished.


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


def check_regularised_loss(loss_fn: Callable, *, seed: int = 0, n: int = 9, d: int = 6, lam: float = 0.2) -> str:
    """Check ``loss_fn(w, X, t, lam) -> (loss, grad)``: mean cross-entropy + ``lam * sum w[1:]**2`` (eq. 6, 7).

    ``w (d,)``, ``X (n, d)``, ``t (n,)`` in {0, 1}; the bias weight ``w[0]`` is not penalised.
    """
    part = "regularised loss"
    X, y, w = _problem(seed, n, d)
    w[0] = 1.5  # a bias weight large enough that penalising it shows
    loss, grad = _pair(part, _call(part, loss_fn, w.copy(), X, y, lam))
    loss = _scalar(part, "the loss", loss)
    grad = _as_array(part, "the gradient", grad, w.shape)
    ce, ce_grad = logistic_loss(w, X, y)
    reg, reg_grad = penalty_term(w, lam, "l2")
    if _close(loss, ce + reg) and _close(grad, ce_grad + reg_grad):
        return _passes(part, f"n={n}, d={d}, lam={lam}, bias not penalised")
    bias = lam * w[0] ** 2
    if not np.isfinite(loss):
        raise CheckFailed(f"{part}: the loss is {loss}; compute it the stable way (np.logaddexp)")
    if _close(loss, ce + reg + bias) or (
        _close(grad[1:], (ce_grad + reg_grad)[1:]) and _close(grad[0], ce_grad[0] + 2 * lam * w[0])
    ):
        raise CheckFailed(f"{part}: the bias weight w[0] is penalised; leave w[0] out of the L2 term and its gradient")
    if _close(loss, n * ce + reg) or _close(loss, n * ce + reg + bias):
        raise CheckFailed(
            f"{part}: the cross-entropy is {n} times too large: it sums over the images; average it (mean)"
        )
    if _close(loss, ce):
        raise CheckFailed(f"{part}: the loss has no penalty: add lam * sum of w[1:]**2")
    if _close(loss, ce - reg):
        raise CheckFailed(f"{part}: the penalty is subtracted; the regularised loss adds lam * sum of w[1:]**2")
    if not _close(loss, ce + reg):
        raise CheckFailed(f"{part}: the loss is {loss:.6g}, expected {ce + reg:.6g}")
    if _close(grad, n * ce_grad + reg_grad):
        raise CheckFailed(f"{part}: the gradient is {n} times too large: it sums over the images; divide by n")
    if _close(grad, -(ce_grad + reg_grad)) or _close(grad, -ce_grad + reg_grad):
        raise CheckFailed(f"{part}: the gradient has the wrong sign: it is X^T (p - t) / n + 2 lam w (bias row 0)")
    if _close(grad, ce_grad + reg_grad / 2):
        raise CheckFailed(f"{part}: the gradient of lam * sum w^2 is 2 lam w, not lam w")
    if _close(grad, ce_grad):
        raise CheckFailed(f"{part}: the loss is right but the gradient leaves out the penalty's 2 lam w")
    raise CheckFailed(
        f"{part}: the loss is right but the gradient is not (largest difference "
        f"{np.max(np.abs(grad - ce_grad - reg_grad)):.3g}); check it against finite differences"
    )


def check_proximal_step(
    step_fn: Callable, *, seed: int = 0, n: int = 12, d: int = 10, lr: float = 0.5, lam: float = 0.2
) -> str:
    """Check ``step_fn(w, X, t, lr, lam) -> new w``: a gradient step on the mean cross-entropy, then
    soft-thresholding off the bias with ``t = lr * lam``, which sets small weights to exactly zero.
    """
    part = "proximal step"
    X, y, w = _problem(seed, n, d)
    w[0], w[1] = 1.5, lr * lam / 3  # a bias past the threshold; a weight inside it before the step
    for _ in range(3):  # and one that the gradient step brings inside it: it must land on exactly zero
        w[2] = lr * logistic_loss(w, X, y)[1][2] - lr * lam / 2
    new = _as_array(part, "the new weights", _call(part, step_fn, w.copy(), X, y, lr, lam), w.shape)
    grad = logistic_loss(w, X, y)[1]
    expected = soft_threshold(w - lr * grad, lr * lam)
    zeros = int(np.sum(expected[1:] == 0))
    if _close(new, expected, atol=0) and np.array_equal(new[1:] == 0, expected[1:] == 0):
        return _passes(part, f"n={n}, d={d}, lr={lr}, lam={lam}: {zeros} weight(s) exactly zero, bias untouched")
    shrunk_bias = expected.copy()
    shrunk_bias[0] = soft_threshold(np.r_[0.0, expected[0]], lr * lam)[1]  # the bias moved off row 0
    candidates = [
        (
            soft_threshold(w + lr * grad, lr * lam),
            "the gradient step goes uphill (w + lr * grad): descend, w - lr * grad",
        ),
        (shrunk_bias, "the bias w[0] was soft-thresholded too; leave it out of the L1 step"),
        (
            w - lr * (grad + lam * np.r_[0, np.sign(w[1:])]),
            "this is the subgradient step (w - lr * (grad + lam * sign w)): it never lands on zero; take the plain "
            "gradient step, then soft-threshold",
        ),
        (
            soft_threshold(w - lr * (grad + lam * np.r_[0, np.sign(w[1:])]), lr * lam),
            "the L1 term is counted twice: the gradient step is on the cross-entropy alone, soft-thresholding "
            "takes the penalty",
        ),
        (soft_threshold(w - lr * grad, lam), "the threshold is lam; it is lr * lam (the step's length times lambda)"),
        (
            soft_threshold(w, lr * lam) - lr * grad,
            "soft-thresholding comes after the gradient step, not before (else the weights never land on zero)",
        ),
        (w - lr * grad, "the gradient step is right but nothing was soft-thresholded"),
    ]
    for candidate, message in candidates:
        if _close(new, candidate):
            raise CheckFailed(f"{part}: {message}")
    if _close(new, expected):
        raise CheckFailed(f"{part}: the weights that belong at zero are near zero, not exactly 0: clamp with max(., 0)")
    raise CheckFailed(
        f"{part}: expected soft_threshold(w - lr * grad, lr * lam) (largest difference "
        f"{np.max(np.abs(new - expected)):.3g})"
    )


def check_l1_fit(
    fit_fn: Callable, *, seed: int = 0, n: int = 40, d: int = 8, lam: float = 0.02, lr: float = 0.5, epochs: int = 30
) -> str:
    """Check ``fit_fn(X, t, lam, lr, epochs) -> w (d,)``: ``epochs`` full-batch proximal steps from ``w = 0``."""
    part = "L1 by proximal steps"
    X, y, _ = _problem(seed, n, d)
    w = _as_array(part, "the weights", _call(part, fit_fn, X, y, lam, lr, epochs), (d,))
    expected = fit_l1(X, y, lam, lr, epochs)
    zeros = int(np.sum(expected[1:] == 0))
    if _close(w, expected) and np.array_equal(w[1:] == 0, expected[1:] == 0):
        return _passes(part, f"n={n}, d={d}, lam={lam}, {epochs} epochs: {zeros} weight(s) exactly zero")
    for other in (epochs - 1, epochs + 1):
        if _close(w, fit_l1(X, y, lam, lr, other)):
            raise CheckFailed(f"{part}: these are the weights after {other} steps; take exactly epochs = {epochs}")
    uphill = np.zeros(d)
    for _ in range(epochs):
        uphill = soft_threshold(uphill + lr * logistic_loss(uphill, X, y)[1], lr * lam)
    if _close(w, uphill):
        raise CheckFailed(f"{part}: the steps go uphill (w + lr * grad): descend, w - lr * grad")
    if zeros and not np.any(w[1:] == 0):
        raise CheckFailed(
            f"{part}: no weight is exactly zero, where {zeros} should be: use the proximal step (soft-thresholding), "
            "not the subgradient step"
        )
    raise CheckFailed(
        f"{part}: expected {epochs} proximal steps from w = 0 (largest difference {np.max(np.abs(w - expected)):.3g}); "
        "start from zeros and pass lr and lam through"
    )


# ------------------------------------------------------------------ softmax regression, trained (notebook 04)


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


def check_softmax_loop(
    train_fn: Callable, *, seed: int = 0, n: int = 50, d: int = 4, k: int = 3, epochs: int = 3, batch_size: int = 16
) -> str:
    """Check ``train_fn(loss_fn, rate_fn, X, y, k, epochs=, eta0=, T=, batch_size=, rng=) -> W (d, k)``.

    The loop ``train_softmax`` describes: zero start, every image once per epoch in a new random order,
    batches of ``batch_size`` (the last one smaller, not dropped), each step ``W - rate_fn(t, eta0, T) * grad``
    with ``t`` the epoch. The check hands the student's loop a ``loss_fn`` that records every call, so it can
    say which step went wrong: a flipped sign, a rate that is not annealed or counts steps, a random start.
    It counts the steps by those calls: the loop must call ``loss_fn`` exactly once per batch.

    Introduced in ``04_softmax_regression.ipynb``.
    """
    part = "softmax training loop"
    X, y, _ = _problem(seed, n, d, k)
    rng = np.random.default_rng(seed + 1)
    eta0, T = float(np.round(rng.uniform(0.5, 2.0), 2)), float(rng.integers(2, 4))
    row = {X[i].tobytes(): i for i in range(n)}
    calls = []

    def loss_fn(W, Xb, yb):
        W, Xb, yb = np.array(W, dtype=np.float64), np.asarray(Xb, dtype=np.float64), np.asarray(yb)
        if W.shape != (d, k) or Xb.ndim != 2 or Xb.shape[1] != d:
            raise CheckFailed(
                f"{part}: loss_fn was called with W of shape {W.shape} and X of shape {Xb.shape}; "
                f"expected W ({d}, {k}) and a batch of rows of X, shape (batch, {d})"
            )
        ids = np.array([row.get(x.tobytes(), -1) for x in Xb])
        if np.any(ids < 0):
            raise CheckFailed(f"{part}: loss_fn was given rows that are not rows of X: pass X[batch], y[batch]")
        if yb.shape != ids.shape or not np.array_equal(yb, y[ids]):
            raise CheckFailed(f"{part}: the labels passed do not belong to the images: index X and y with one batch")
        loss, grad = softmax_loss(W, Xb, yb)
        calls.append((W, ids, grad.copy()))
        return loss, grad

    try:
        settings = {"epochs": epochs, "eta0": eta0, "T": T, "batch_size": batch_size}
        W = _call(
            part,
            lambda: train_fn(
                loss_fn, annealed_rate, X.copy(), y.copy(), k, **settings, rng=np.random.default_rng(seed + 2)
            ),
        )
    except CheckFailed as failure:
        inner = str(failure).split("raised CheckFailed: ", 1)
        raise CheckFailed(inner[-1]) from None
    W = _as_array(part, "the weights returned", W, (d, k))
    if not calls:
        raise CheckFailed(f"{part}: loss_fn was never called: each step needs (loss, grad) = loss_fn(W, X[b], y[b])")
    if not np.all(calls[0][0] == 0):
        raise CheckFailed(f"{part}: the first step starts from nonzero weights: start from np.zeros((d, k))")
    per_epoch = -(-n // batch_size)
    if len(calls) != epochs * per_epoch:
        sizes = [len(ids) for _, ids, _ in calls]
        if len(calls) == epochs * (n // batch_size):
            raise CheckFailed(f"{part}: the last, smaller batch of each epoch is dropped: range(0, n, batch_size)")
        if len(calls) == epochs and all(size == n for size in sizes):
            raise CheckFailed(f"{part}: one full-batch step per epoch; take mini-batches of batch_size")
        raise CheckFailed(
            f"{part}: loss_fn was called {len(calls)} times for {epochs} epochs of {n} images in batches of "
            f"{batch_size}; expected {epochs * per_epoch} ({per_epoch} per epoch): the check counts the steps by "
            "the calls, so call loss_fn exactly once per batch and step with the gradient it returns"
        )
    orders = []
    for t in range(epochs):
        epoch = calls[t * per_epoch : (t + 1) * per_epoch]
        order = np.concatenate([ids for _, ids, _ in epoch])
        if sorted(order.tolist()) != list(range(n)):
            raise CheckFailed(f"{part}: epoch {t} does not visit every image exactly once: batch a permutation of n")
        if any(len(ids) != batch_size for _, ids, _ in epoch[:-1]):
            raise CheckFailed(f"{part}: batches of {[len(ids) for _, ids, _ in epoch]}; expected {batch_size} each")
        orders.append(order)
    if all(np.array_equal(order, np.arange(n)) for order in orders):
        raise CheckFailed(f"{part}: the images come in their stored order: shuffle them, rng.permutation(n)")
    if all(np.array_equal(order, orders[0]) for order in orders):
        raise CheckFailed(f"{part}: every epoch sees the same order: draw a new rng.permutation(n) each epoch")
    after = [W_ for W_, _, _ in calls[1:]] + [W]
    for step, ((before, _, grad), new) in enumerate(zip(calls, after)):
        t = step // per_epoch
        if _close(new, before - annealed_rate(t, eta0, T) * grad):
            continue
        where = f"step {step + 1} (epoch t = {t})"
        if _close(new, before + annealed_rate(t, eta0, T) * grad):
            raise CheckFailed(
                f"{part}: {where} goes uphill, W + rate * grad: the sign is wrong; descend, W - rate * grad"
            )
        if _close(new, before - eta0 * grad):
            raise CheckFailed(f"{part}: {where} uses eta0 itself: the rate is not annealed; use rate_fn(t, eta0, T)")
        if _close(new, before - annealed_rate(step, eta0, T) * grad):
            raise CheckFailed(
                f"{part}: {where} anneals by the step count; t is the epoch, so the rate is fixed within one"
            )
        if _close(new, before - annealed_rate(t + 1, eta0, T) * grad):
            raise CheckFailed(f"{part}: {where} uses the rate of epoch t + 1: epochs count from t = 0")
        if _close(new, before):
            raise CheckFailed(f"{part}: {where} does not change the weights: W = W - rate * grad (and return W)")
        raise CheckFailed(f"{part}: {where} is not W - rate_fn(t, eta0, T) * grad")
    return _passes(part, f"n={n}, d={d}, k={k}, {epochs} epochs of batches of {batch_size}, annealed")


def check_ten_digit_training(
    train_fn: Callable, train, test, *, target: float = 0.92, seed: int = 0, what: str = "test"
) -> str:
    """Check ``train_fn(X, y, rng) -> W (d, 10)``: trained on ``train``, it reaches ``target`` on ``test``.

    ``train`` and ``test`` are each ``(X (n, d), y (n,))`` (a ``Data``), ``y`` the labels 0..9; ``rng`` is
    ``np.random.default_rng(seed)``. Says so when the training loss ends above ``ln 10`` (worse than the zero
    start: the learning rate diverges) or the weights are not finite; the pass message gives the count and its
    95% Wilson interval.

    Introduced in ``04_softmax_regression.ipynb``.
    """
    part = f"ten-digit training ({what} set)"
    (X, y), (X_test, y_test) = train, test
    with warnings.catch_warnings():  # a diverging rate overflows on the way; the outcome below says so
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            W = train_fn(X, y, np.random.default_rng(seed))
        except NotImplementedError:
            raise CheckFailed(f"{part}: not done yet (replace `raise NotImplementedError` with your code)") from None
        except Exception as error:  # noqa: BLE001 - any crash of the student's code is feedback
            raise CheckFailed(f"{part}: your function raised {type(error).__name__}: {error}") from None
    W = _as_array(part, "the weights returned", W, (X.shape[1], 10))
    if not np.all(np.isfinite(W)):
        raise CheckFailed(f"{part}: the weights are inf or nan: the learning rate diverges; lower eta0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        loss = softmax_loss(W, X, y)[0]
    if not loss <= np.log(10):
        raise CheckFailed(
            f"{part}: the training loss ends at {loss:.3g}, above ln 10 = 2.30, the zero start's: the steps "
            "overshoot and the learning rate diverges; lower eta0"
        )
    score = accuracy(y_test, softmax_predict(W, X_test))
    if score.value < target:
        raise CheckFailed(
            f"{part}: {score}, below the target {target:.0%}; train longer (more epochs) or with a larger eta0"
        )
    return _passes(part, f"{score} >= {target:.0%}")


def check_most_confused(most_confused_fn: Callable, *, seed: int = 0, k: int = 6) -> str:
    """Check ``most_confused_fn(C) -> (true, predicted)``: the largest count off the diagonal of ``C (k, k)``.

    ``C[i, j]`` counts the images of true label i predicted as j; the diagonal (the correct images) is
    left out, ``C`` itself is left as it was, and one direction counts (not ``C[i, j] + C[j, i]``).
    """
    part = "most confused pair"
    rng = np.random.default_rng(seed)
    C = rng.integers(0, 6, (k, k)) + np.diag(rng.integers(150, 250, k))
    i, j, a = rng.choice(k, 3, replace=False)
    C[i, j], C[j, i] = 20, 0  # the largest one-way count
    C[a, i] = C[i, a] = 15  # the largest two-way sum, 30 > 20
    probe = C.copy()
    pair = _pair(part, _call(part, most_confused_fn, probe), "(true, predicted)")
    if not np.array_equal(probe, C):
        raise CheckFailed(f"{part}: C was changed by the call (np.fill_diagonal works in place): work on a copy")
    got = tuple(int(v) for v in pair)
    if got == (i, j):
        return _passes(part, f"k={k}: true {i} predicted as {j}, {C[i, j]} images")
    if got == (j, i):
        raise CheckFailed(f"{part}: returned (predicted, true): rows are the true digits, so return (row, column)")
    if got[0] == got[1]:
        raise CheckFailed(f"{part}: ({got[0]}, {got[1]}) is on the diagonal, the correct images: leave it out")
    if set(got) == {i, a}:
        raise CheckFailed(
            f"{part}: that pair has the most confusions both ways, C[i, j] + C[j, i]; find the largest C[i, j]"
        )
    raise CheckFailed(f"{part}: expected the (true, predicted) of the largest off-diagonal count")


def most_confused(C: np.ndarray) -> tuple[int, int]:
    """The ``(true, predicted)`` pair of the largest count off the diagonal of ``C (k, k)``.

    The reference for ``check_most_confused``. Introduced in ``04_softmax_regression.ipynb``.
    """
    mistakes = np.array(C, copy=True)
    np.fill_diagonal(mistakes, 0)
    i, j = np.unravel_index(np.argmax(mistakes), mistakes.shape)
    return int(i), int(j)
