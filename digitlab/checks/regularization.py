"""Checks for assignment 03 (regularisation): the regularised loss, soft-thresholding, the proximal step,
L1 by proximal steps, and choosing lambda on the hold-out set."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import solvers
from ..kernels import logistic_loss, logistic_scores_loss, penalty_term, soft_threshold
from ..loop import choose_lambda, fit_l1, proximal_step
from ..stats import accuracy, best_on_holdout
from .feedback import EARLIER, CheckFailed, _as_array, _call, _close, _pair, _passes, _problem, _scalar, alone

L1_FITS = (fit_l1, solvers.minimize_l1, solvers.screened_lbfgs_l1)  # digitlab's own L1 fits


def check_regularised_loss(loss_fn: Callable, *, seed: int = 0, n: int = 9, d: int = 6, lam: float = 0.2) -> str:
    """Check ``loss_fn(w, X, t, lam) -> (loss, grad)``: mean cross-entropy + ``lam * sum w[1:]**2`` (eq. 6, 7).

    ``w (d,)``, ``X (n, d)``, ``t (n,)`` in {0, 1}; the bias weight ``w[0]`` is not penalised.
    """
    part = "regularised loss"
    X, y, w = _problem(seed, n, d)
    w[0] = 1.5  # a bias weight large enough that penalising it shows
    own = (logistic_loss, logistic_scores_loss, penalty_term)
    loss, grad = _pair(part, _call(part, loss_fn, w.copy(), X, y, lam, forbidden=own))
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


def check_soft_threshold(soft_threshold_fn: Callable, *, seed: int = 0, d: int = 8, t: float = 0.3) -> str:
    """Check ``soft_threshold_fn(w, t) -> w'``: the proximal L1 step ``sign(w) max(|w| - t, 0)``, bias free."""
    part = "soft-thresholding"
    w = np.random.default_rng(seed).normal(0, 0.5, d)
    w[0], w[1] = 1.0 + t, t / 3  # a bias past the threshold (shrinking it shows); a weight inside it (must be 0)
    w[2], w[3] = 0.0, -t  # exactly zero, and exactly on the threshold: both give exactly 0
    got = _as_array(
        part, "the result", _call(part, soft_threshold_fn, w.copy(), t, forbidden=(soft_threshold,)), w.shape
    )
    expected = soft_threshold(w, t)
    if _close(got, expected, atol=0):
        return _passes(part, f"d={d}, t={t}, exact zeros, bias untouched")
    if not _close(got[0], w[0]):
        raise CheckFailed(f"{part}: the bias w[0] was shrunk; leave it out of the L1 step")
    if _close(got[1:], w[1:] - t * np.sign(w[1:])):
        raise CheckFailed(f"{part}: small weights cross zero: clamp, max(|w| - t, 0), so they land on exactly 0")
    raise CheckFailed(f"{part}: expected sign(w) * max(|w| - t, 0) off the bias")


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
    with alone(step_fn, ("soft_threshold",)):
        new = _call(part, step_fn, w.copy(), X, y, lr, lam, forbidden=(proximal_step,))
    new = _as_array(part, "the new weights", new, w.shape)
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
    with alone(fit_fn, ("proximal_step", "soft_threshold")):
        w = _call(part, fit_fn, X, y, lam, lr, epochs, forbidden=L1_FITS)
    w = _as_array(part, "the weights", w, (d,))
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
    gap = np.abs(w - expected)
    off = np.flatnonzero(gap > 1e-6)
    shift = gap[[i for i in off if i > 0 and w[i] != 0 and expected[i] != 0]]  # pixel weights, neither zero
    if not gap[0] > 1e-6 and shift.size and np.allclose(shift, shift[0], rtol=0.05):
        raise CheckFailed(
            f"{part}: the nonzero pixel weights differ from {epochs} proximal steps from w = 0, each by "
            f"{shift[0]:.3g} = {shift[0] / (lr * lam):.2g} x lr * lam, the bias not: a step soft-thresholded by "
            f"another amount; every step thresholds the pixel weights by lr * lam = {lr * lam:.3g}"
        )
    raise CheckFailed(
        f"{part}: expected {epochs} proximal steps from w = 0; {off.size} of {d} weights differ (largest difference "
        f"{np.max(gap):.3g}, at w[{int(np.argmax(gap))}]): start from zeros and pass lr and lam through"
    )


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
    test[[tie, tie + 1]] = holdout.min() - 0.01, holdout.min() - 0.005  # the test set favours the smaller
    larger, smaller = lams[tie], lams[tie + 1]
    order = rng.permutation(len(lams))  # listed in any order: the first of the best is not the rule
    i, j = np.flatnonzero(order == tie)[0], np.flatnonzero(order == tie + 1)[0]
    if (i < j) == (seed % 2 == 0):  # the smaller of the two listed first on even seeds, the larger on odd
        order[[i, j]] = order[[j, i]]
    lams, holdout, test = lams[order], holdout[order], test[order]
    own = (best_on_holdout, choose_lambda)
    chosen = _call(part, choose_fn, lams.copy(), holdout.copy(), test.copy(), forbidden=own)
    chosen = _scalar(part, "the chosen lambda", chosen)
    if np.isclose(chosen, larger):
        _no_rounding(part, choose_fn, rng)
        return _passes(part, f"lam={larger:g}: best hold-out accuracy, the larger of two equals")
    if np.isclose(chosen, lams[np.argmax(test)]):
        raise CheckFailed(f"{part}: chosen by the test accuracy; the test set must not choose anything: use hold-out")
    if np.isclose(chosen, smaller):
        favoured = test.copy()  # the test set now favours the larger of the two: a tie broken by it follows
        favoured[lams == larger] = test[lams == smaller] + 0.005
        again = _scalar(part, "the chosen lambda", _call(part, choose_fn, lams.copy(), holdout.copy(), favoured))
        if np.isclose(again, larger):
            raise CheckFailed(
                f"{part}: the tie of two equal hold-out accuracies was broken by the test accuracy; the test set "
                "chooses nothing: of equal hold-out accuracies take the larger lambda (the simpler model)"
            )
        raise CheckFailed(f"{part}: of two equal hold-out accuracies, take the larger lambda (the simpler model)")
    raise CheckFailed(f"{part}: expected the lambda of the best hold-out accuracy, {larger:g}; got {chosen:g}")


def _no_rounding(part: str, choose_fn: Callable, rng: np.random.Generator) -> None:
    """Fail when ``choose_fn`` takes a larger lambda whose hold-out accuracy is within 0.005 below the best."""
    lams = np.array([0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001])
    holdout = np.round(rng.uniform(0.90, 0.95, len(lams)), 4)
    best = int(rng.integers(1, len(lams)))
    holdout[best], holdout[best - 1] = 0.9638, 0.9612  # both 0.96 to two decimals; the larger lam is below
    test = np.round(rng.uniform(0.90, 0.96, len(lams)), 4)
    chosen = _scalar(part, "the chosen lambda", _call(part, choose_fn, lams.copy(), holdout.copy(), test.copy()))
    if np.isclose(chosen, lams[best]):
        return
    if np.isclose(chosen, lams[best - 1]):
        raise CheckFailed(
            f"{part}: lam={lams[best - 1]:g} has the hold-out accuracy 0.9612, below the best 0.9638 (lam="
            f"{lams[best]:g}): the accuracies were rounded before comparing; compare them as they are"
        )
    raise CheckFailed(f"{part}: expected the lambda of the best hold-out accuracy, {lams[best]:g}; got {chosen:g}")


def check_l1_digits(fit_fn: Callable, pair, *, lam: float, lr: float, epochs: int, zeros: int, target: float) -> str:
    """Check ``fit_fn(X, t, lam, lr, epochs) -> w (d,)`` on a digit pair: more than ``zeros`` pixel weights
    exactly zero, and ``target`` accuracy on ``pair.test``; earlier parts that fail their checks are
    replaced by digitlab's references for the call (``alone``)."""
    part = "L1 by proximal steps on digits"
    with alone(fit_fn, ("proximal_step", "soft_threshold")):
        w = _call(part, fit_fn, *pair.train, lam, lr, epochs, forbidden=L1_FITS)
    w = _as_array(part, "the weights", w, (pair.train.X.shape[1],))
    exact = int(np.sum(w[1:] == 0))
    if exact <= zeros:
        raise CheckFailed(f"{part}: {exact} pixel weights exactly zero, expected more than {zeros}: soft-threshold")
    score = accuracy(pair.test.y, (pair.test.X @ w > 0).astype(int))
    if score.value < target:
        raise CheckFailed(f"{part}: test {score}, below the target {target:.0%}")
    return _passes(part, f"{exact} weights exactly zero, test {score}")


EARLIER["soft_threshold"] = (check_soft_threshold, soft_threshold)
EARLIER["proximal_step"] = (check_proximal_step, proximal_step)
