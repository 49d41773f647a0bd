"""Checks for assignment 04 (softmax regression): the annealed rate, the training loop, ten digits trained
to a target, the confusion matrix and its most confused pair."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from .. import descent
from ..kernels import softmax_loss, softmax_predict
from ..loop import annealed_rate, most_confused, train_softmax
from ..stats import accuracy, confusion_matrix
from .feedback import (
    EARLIER,
    CheckFailed,
    _as_array,
    _call,
    _close,
    _pair,
    _passes,
    _problem,
    _watching,
    alone,
    refuse_own,
)
from .gradients import check_softmax_loss
from .logistic import withholding

FITS = (descent.fit_softmax, descent.fit_softmax_many, descent.descend, descent.descend_many)  # whole trainings


def check_annealed_rate(rate_fn: Callable, *, seed: int = 0, eta0: float | None = None, T: float | None = None) -> str:
    """Check ``rate_fn(t, eta0, T) -> eta0 / (1 + t / T)`` for epochs t = 0, 1, ... (the report's schedule).

    ``eta0`` and ``T`` are drawn from ``seed`` unless given.
    """
    part = "annealed learning rate"
    rng = np.random.default_rng(seed)
    eta0 = float(np.round(rng.uniform(0.1, 30), 3)) if eta0 is None else eta0
    T = float(rng.integers(2, 8)) if T is None else T
    ts = np.arange(12)
    got = np.array([float(_call(part, rate_fn, int(t), eta0, T, forbidden=(annealed_rate,))) for t in ts])
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

    def run():
        settings = {"epochs": epochs, "eta0": eta0, "T": T, "batch_size": batch_size}
        try:
            refuse_own(part, train_fn, (train_softmax, *FITS))
            with alone(train_fn, ("annealed_rate",)):
                return _call(
                    part,
                    lambda: train_fn(
                        loss_fn, annealed_rate, X.copy(), y.copy(), k, **settings, rng=np.random.default_rng(seed + 2)
                    ),
                    forbidden=(train_softmax, *FITS),
                )
        except CheckFailed as failure:
            inner = str(failure).split("raised CheckFailed: ", 1)
            raise CheckFailed(inner[-1]) from None

    W = run()
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
    first = [ids for _, ids, _ in calls]
    calls.clear()
    run()  # again, with a generator of the same seed: the same batches, if every order comes from rng
    if len(calls) != len(first) or any(not np.array_equal(a, b) for a, (_, b, _) in zip(first, calls)):
        raise CheckFailed(
            f"{part}: two runs given generators of the same seed shuffle differently: draw every order from the "
            "rng passed in (rng.permutation(n)), not from np.random or a generator kept from an earlier call"
        )
    return _passes(part, f"n={n}, d={d}, k={k}, {epochs} epochs of batches of {batch_size}, annealed")


def check_ten_digit_training(
    train_fn: Callable, train, scored, *, target: float = 0.92, seed: int = 0, what: str = "hold-out", report=None
) -> str:
    """Check ``train_fn(X, y, rng) -> W (d, 10)``: trained on ``train``, it reaches ``target`` on ``scored``.

    ``train``, ``scored`` (the hold-out set: it judges the settings) and ``report`` (the test set, optional:
    its accuracy is reported, never graded) are each ``(X (n, d), y (n,))`` (a ``Data``), ``y`` the labels
    0..9; ``rng`` is
    ``np.random.default_rng(seed)``. Says so when the training loss ends above ``ln 10`` (worse than the zero
    start: the learning rate diverges) or the weights are not finite; the pass message gives the count and its
    95% Wilson interval.

    Introduced in ``04_softmax_regression.ipynb``.
    """
    part = f"ten-digit training ({what} set)"
    (X, y), (X_test, y_test) = train, scored
    earlier = ("softmax_loss_vectorised", "annealed_rate", "train_softmax", "stable_softmax")
    refuse_own(part, train_fn, FITS)
    held = {"hold-out": scored, **({"test": report} if report is not None else {})}
    with warnings.catch_warnings(), alone(train_fn, earlier), _watching(part, FITS), withholding(part, train_fn, held):
        warnings.simplefilter("ignore", RuntimeWarning)  # a diverging rate overflows; the outcome below says so
        try:
            W = train_fn(X, y, np.random.default_rng(seed))
        except CheckFailed:
            raise
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
    if report is not None:
        return _passes(
            part,
            f"{score} >= {target:.0%}; test set, reported only: {accuracy(report.y, softmax_predict(W, report.X))}",
        )
    return _passes(part, f"{score} >= {target:.0%}")


def check_confusion_matrix(confusion_fn: Callable, *, seed: int = 0, n: int = 50, k: int = 4) -> str:
    """Check ``confusion_fn(y_true, y_pred, k) -> C (k, k)``: ``C[i, j]`` counts true i predicted j."""
    part = "confusion matrix"
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, n))
    own = (confusion_matrix,)
    C = _as_array(part, "the matrix", _call(part, confusion_fn, y_true.copy(), y_pred.copy(), k, forbidden=own), (k, k))
    expected = confusion_matrix(y_true, y_pred, k)
    if _close(C, expected):
        lacking = y_true % (k - 1), y_pred % (k - 1)  # no image of class k - 1, none predicted as it
        try:
            C = _as_array(part, "the matrix", _call(part, confusion_fn, *lacking, k), (k, k))
        except CheckFailed:
            C = None
        if C is None or not _close(C, confusion_matrix(*lacking, k)):
            raise CheckFailed(
                f"{part}: when no image is of class {k - 1} it fails: the matrix is k x k with k given, not "
                "sized by the labels (y.max() + 1)"
            )
        return _passes(part, f"n={n}, k={k}, also with a class absent")
    if _close(C, expected.T):
        raise CheckFailed(f"{part}: transposed: rows are the true labels, columns the predictions")
    if _close(C, expected / n) or _close(C, expected / expected.sum(axis=1, keepdims=True)):
        raise CheckFailed(f"{part}: the entries are fractions; count images (integers)")
    raise CheckFailed(f"{part}: C[i, j] must count the images of true label i predicted as j")


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
    pair = _pair(part, _call(part, most_confused_fn, probe, forbidden=(most_confused,)), "(true, predicted)")
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


EARLIER["softmax_loss_vectorised"] = (check_softmax_loss, softmax_loss)
EARLIER["annealed_rate"] = (check_annealed_rate, annealed_rate)
EARLIER["train_softmax"] = (check_softmax_loop, train_softmax)
