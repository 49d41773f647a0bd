"""Checks for assignment 02 (logistic regression): the descent step, a safe learning rate, mini-batches,
early stopping, and a digit-pair classifier trained on the training split and stopped on the hold-out set."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np

from .. import descent
from ..kernels import logistic_curvature, logistic_predict
from ..loop import descent_step, early_stopping
from ..stats import accuracy
from .feedback import EARLIER, CheckFailed, _as_array, _call, _close, _pair, _passes, _scalar, alone, refuse_own

FITS = (descent.descend, descent.descend_many, descent.fit_logistic, descent.fit_logistic_many)  # whole trainings


def check_descent_step(step_fn: Callable, *, seed: int = 0, d: int = 5, lr: float = 0.1) -> str:
    """Check ``step_fn(w, grad, lr) -> new w``: one gradient-descent step, ``w - lr * grad``."""
    part = "descent step"
    rng = np.random.default_rng(seed)
    w, grad = rng.normal(0, 1, d), rng.normal(0, 1, d)
    new = _as_array(
        part, "the new weights", _call(part, step_fn, w.copy(), grad.copy(), lr, forbidden=(descent_step,)), w.shape
    )
    if _close(new, w - lr * grad):
        return _passes(part, f"d={d}, lr={lr}")
    if _close(new, w + lr * grad):
        raise CheckFailed(f"{part}: the step goes uphill (w + lr * grad): descend, w - lr * grad")
    if _close(new, -lr * grad):
        raise CheckFailed(f"{part}: it returns -lr * grad alone: the new weights are w - lr * grad")
    raise CheckFailed(f"{part}: expected w - lr * grad")


def check_safe_learning_rate(rate_fn: Callable, X: np.ndarray) -> str:
    """Check ``rate_fn(X) -> lr``: a constant learning rate for the mean logistic loss on ``X (n, d)``.

    Passes for ``2 / (20 L) <= lr < 2 / L``, L the largest eigenvalue of ``X^T X / (4 n)`` (the steepest
    curvature of the mean loss, ``kernels.logistic_curvature``): below 2 / L the steps cannot overshoot, and
    not so small that descent crawls. A number fixed for one data set fails on another (the hidden tests use
    other data); images off zero (5 + U(0, 1)) catch a rate from the pixels' variance.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    part = "safe learning rate"
    shifted = 5.0 + np.random.default_rng(0).uniform(0, 1, (500, 30))  # far from zero: small variance, large L
    for scale, probe in ((1.0, X), (10.0, X), (0.1, X), (None, shifted)):  # the curvature moves by 100 each way
        probe = np.asarray(probe, dtype=np.float64) * (1.0 if scale is None else scale)
        lr = _scalar(part, "the learning rate", _call(part, rate_fn, probe, forbidden=(logistic_curvature,)))
        n, d = probe.shape
        limit = 2 / logistic_curvature(probe)
        shown = "5 + U(0, 1) images, off zero" if scale is None else f"X{'' if scale == 1 else f' times {scale:g}'}"
        what = f"{shown} ({n} x {d})"
        if not lr > 0:
            raise CheckFailed(f"{part}: {lr!r} is not a positive number")
        if lr >= limit and scale is None:
            raise CheckFailed(
                f"{part}: lr={lr:.4g} is not below 2 / L = {limit:.4g} for {what}: the spread of the pixel values "
                "(their variance) is not the curvature; the mean pixel counts too: L is the largest eigenvalue of "
                "X^T X / (4 n), computed from X itself"
            )
        if lr >= limit:
            raise CheckFailed(
                f"{part}: lr={lr:.4g} is not below 2 / L = {limit:.4g} for {what}: the steps overshoot and the "
                "loss can grow; compute L from X (the largest eigenvalue of X^T X / (4 n)), do not fix a number"
            )
        if lr < limit / 20:
            raise CheckFailed(
                f"{part}: lr={lr:.4g} is {limit / lr:.0f} times below 2 / L = {limit:.4g} for {what}: descent would "
                "crawl; L is the largest eigenvalue of X^T X / (4 n), the MEAN over the n images, not the sum"
            )
    n, d = np.shape(X)
    return _passes(part, f"lr below 2 / L for X ({n} x {d}), and for X times 10 and times 0.1")


def check_minibatches(batches_fn: Callable, *, seed: int = 0, n: int = 23, batch_size: int = 5) -> str:
    """Check ``batches_fn(n, batch_size, rng) -> list of index arrays``: one epoch's shuffled mini-batches.

    Every index 0..n-1 exactly once, batches of ``batch_size`` (the last may be smaller, never dropped), in
    a new random order each epoch.
    """
    part = "mini-batches"
    rng = np.random.default_rng(seed)
    own = (descent.minibatches,)
    even = max(batch_size, n - n % batch_size)  # a size batch_size divides: no smaller last batch
    for size in (n, even):
        epochs = [[np.asarray(b) for b in _call(part, batches_fn, size, batch_size, rng, forbidden=own)] for _ in "ab"]
        for batches in epochs:
            _one_epoch(part, batches, size, batch_size)
        if all(np.array_equal(np.concatenate(e), np.arange(size)) for e in epochs):
            raise CheckFailed(f"{part}: the images come in their stored order: shuffle them (rng.permutation(n))")
        if np.array_equal(np.concatenate(epochs[0]), np.concatenate(epochs[1])):
            raise CheckFailed(f"{part}: two epochs see the same order: draw a new permutation every epoch from rng")
    return _passes(part, f"n={n}, batch_size={batch_size}, reshuffled each epoch")


def _one_epoch(part: str, batches: list, n: int, batch_size: int) -> None:
    """One epoch's batches: every index once, full batches but the last, none empty."""
    if not batches or any(b.ndim != 1 for b in batches):
        raise CheckFailed(f"{part}: return a list of 1-D index arrays, one per batch")
    everything = np.concatenate(batches)
    if len(everything) < n and sorted(set(everything.tolist())) == sorted(everything.tolist()):
        raise CheckFailed(f"{part}: {n - len(everything)} image(s) left out: keep the last, smaller batch")
    if sorted(everything.tolist()) != list(range(n)):
        raise CheckFailed(f"{part}: every image must appear exactly once per epoch (a permutation of 0..n-1)")
    sizes = [len(b) for b in batches]
    if 0 in sizes:
        raise CheckFailed(
            f"{part}: an empty batch for n={n}, batch_size={batch_size} (sizes {sizes}): when batch_size divides n "
            "there are n / batch_size batches, none empty"
        )
    if any(size != batch_size for size in sizes[:-1]) or sizes[-1] > batch_size:
        raise CheckFailed(f"{part}: batch sizes {sizes}; expected {batch_size} each, the last one possibly fewer")


def check_gradient_descent(descend_fn: Callable, *, seed: int = 0, patience: int = 3) -> str:
    """Check a descent loop with early stopping on the hold-out accuracy.

    ``descend_fn(loss_fn, w0, lr, epochs, holdout_acc, patience) -> (w, best_epoch)``: starting from
    ``w0 (d,)``, evaluate ``holdout_acc(w)`` at the start (epoch 0) and after every epoch's step
    ``w - lr * grad`` (``loss_fn(w) -> (loss, grad)``); stop after ``patience`` evaluations in a row
    below the best (the count restarts at each new best); return a copy of the best weights (the latest of
    equals) and their epoch. The check runs it on a bowl whose hold-out accuracy dips for ``patience - 1``
    epochs, climbs to its best at a known epoch and falls, and counts the steps as the distinct weights
    handed to ``loss_fn`` (calling it twice on the same weights is one step): exactly ``peak + patience``.
    The reference is ``loop.early_stopping``.
    """
    _descent_probe(descend_fn, seed=seed, patience=patience)
    return _descent_probe(descend_fn, seed=seed, patience=patience, zigzag=True)


def _descent_probe(descend_fn: Callable, *, seed: int, patience: int, zigzag: bool = False) -> str:
    """Run ``check_gradient_descent``'s bowl once; ``zigzag``: after the best the hold-out accuracy zig-zags
    below it (down 0.02, up 0.01, ...), never back to the best, so the loop still ends ``patience`` later."""
    part = "gradient descent with early stopping"
    rng = np.random.default_rng(seed)
    d, lr, epochs, rise = 3, 0.2, 40, 2
    peak = rise + patience - 1 + int(rng.integers(2, 5))
    target, w0 = rng.normal(0, 1, d), rng.normal(0, 1, d) + 4.0
    path = np.array([target + (1 - lr) ** t * (w0 - target) for t in range(epochs + 1)])  # the right iterates
    curve = np.array([0.5 + 0.01 * min(t, rise) for t in range(epochs + 1)])
    curve[rise + 1 : rise + patience] -= 0.005  # a dip of patience - 1 evaluations below the best ...
    for t in range(rise + patience, epochs + 1):  # ... then a climb to the best at `peak`, then a fall
        curve[t] = curve[rise] + 0.01 * (min(t, peak) - rise - patience + 1) - 0.01 * max(t - peak, 0)
    if zigzag:
        curve[peak + 1 :] = curve[peak] - 0.02 + 0.01 * ((np.arange(peak + 1, epochs + 1) - peak - 1) % 2)
    seen = []  # the distinct weights loss_fn was called on, in order: one per step

    def loss_fn(w):
        w = np.array(w, dtype=np.float64)
        if not (seen and np.array_equal(seen[-1], w)):
            seen.append(w.copy())
        return 0.5 * float(np.sum((w - target) ** 2)), w - target

    def holdout_acc(w):
        return float(curve[np.argmin(np.sum((path - np.asarray(w, dtype=np.float64)) ** 2, axis=1))])

    own = (early_stopping, *FITS)
    with alone(descend_fn, ("descent_step", "logistic_loss")):
        result = _call(part, descend_fn, loss_fn, w0.copy(), lr, epochs, holdout_acc, patience, forbidden=own)
    kept, epoch = _pair(part, result, "(w, best_epoch)")
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
        if steps > stop and zigzag:
            raise CheckFailed(
                f"{part}: it stopped late, after {steps} steps, on a hold-out accuracy that zig-zags below the best "
                f"after epoch {peak}: the count restarted whenever the accuracy rose over the previous epoch's; "
                f"count the evaluations below the BEST, restart only at a new best, and stop after {patience}"
            )
        if steps > stop:
            raise CheckFailed(
                f"{part}: it kept the right weights but stopped late, after {steps} steps: after {patience} "
                f"evaluations in a row below the best (epoch {stop}) the loop must end"
            )
        if steps < stop and patience > 1 and steps == peak + 1:
            raise CheckFailed(
                f"{part}: it stopped one epoch after the best (epoch {peak}), counting the {patience - 1} "
                f"evaluations below the best of an earlier dip: restart the count at 0 at every new best"
            )
        if steps < stop:
            raise CheckFailed(
                f"{part}: it kept the right weights but stopped early, after {steps} steps: the loop ends after "
                f"{patience} evaluations in a row below the best, at epoch {stop}"
            )
        return _passes(
            part, f"a dip, the best at epoch {peak}, stopped {steps - peak} epochs later, patience {patience}"
        )
    later = [t for t in range(peak + 1, epochs + 1) if _close(kept, path[t])]
    if later:
        raise CheckFailed(
            f"{part}: it returns the weights of epoch {later[0]}, not of the best hold-out accuracy (epoch {peak}); "
            "keep a copy of the best weights (w.copy(): an in-place update changes a kept reference too)"
        )
    raise CheckFailed(f"{part}: returned epoch {epoch}; the best hold-out accuracy is at epoch {peak}")


class _Withheld:
    """Stands in for a split while a check trains: any use of it fails, naming the mistake (``why``)."""

    def __init__(self, part: str, why: str = "") -> None:
        self._part = part
        self._why = why or (
            "training looked at the test set (pair.test); the check withholds it: train on pair.train and stop "
            "early on pair.holdout, so the test score stays an honest estimate"
        )

    def _refuse(self, *args, **kwargs):
        raise CheckFailed(f"{self._part}: {self._why}")

    __getattr__ = __iter__ = __getitem__ = __len__ = _refuse


@contextmanager
def not_loading(part: str, fn: Callable):
    """While the block runs, digitlab's loaders (``seed_splits``, ``load_mnist``), in digitlab and among ``fn``'s
    globals, refuse: training that loads MNIST itself could read the hold-out and test images it was not given."""
    from .. import data, splits

    loaders = (splits.seed_splits, data.load_mnist)

    def refuse(*args, **kwargs):
        raise CheckFailed(
            f"{part}: training loaded MNIST itself (seed_splits or load_mnist), where the hold-out and test images "
            "are; train on the split the function is given"
        )

    places = [vars(module) for module in (sys.modules["digitlab"], data, splits)]
    places.append(getattr(fn, "__globals__", {}))
    swapped = [(place, key, value) for place in places for key, value in list(place.items())]
    swapped = [(place, key, value) for place, key, value in swapped if any(value is f for f in loaders)]
    for place, key, _ in swapped:
        place[key] = refuse
    try:
        yield
    finally:
        for place, key, value in swapped:
            place[key] = value


@contextmanager
def withholding(part: str, fn: Callable, held: dict):
    """While the block runs, every global of ``fn``'s module holding a split of ``held`` (name -> ``Data``,
    e.g. ``{"test": splits.test}``), itself or as a field of a ``Splits``, reads as ``_Withheld``."""

    def stand_in(name: str) -> _Withheld:
        why = (
            f"training looked at the {name} set ({name} images read from a global such as splits.{name}); "
            "the check withholds it: train on X, y alone"
        )
        return _Withheld(part, why)

    def matches(value, data) -> bool:
        return value is data or getattr(value, "X", None) is getattr(data, "X", 0)

    space = getattr(fn, "__globals__", None)
    swapped = {}
    for key, value in list((space or {}).items()):
        if key.startswith("__") or isinstance(value, type):
            continue
        direct = [name for name, data in held.items() if matches(value, data)]
        fields = getattr(value, "_fields", ())
        inner = {f: stand_in(n) for f in fields for n, d in held.items() if matches(getattr(value, f), d)}
        if inner and {"holdout", "test"} <= set(fields):  # a Splits: both its scoring sets, whichever was passed
            inner = {"holdout": stand_in("hold-out"), "test": stand_in("test"), **inner}
        if direct:
            swapped[key], space[key] = value, stand_in(direct[0])
        elif inner:
            swapped[key], space[key] = value, value._replace(**inner)
    try:
        with not_loading(part, fn):
            yield
    finally:
        space.update(swapped) if swapped else None


class _Watched(np.ndarray):
    """The hold-out images or labels, recording how training uses them.

    Images: each weight vector they are scored with (``X @ w``, ``np.dot``, ``X.dot(w)``, ``einsum``), and
    any use as training data (``X.T @ r``, rows picked by index arrays). Labels: each prediction compared
    with them (``==``, ``!=``), and any arithmetic on them (``p - t``: a gradient on the hold-out set).
    """

    def __array_finalize__(self, obj) -> None:
        self.log = getattr(obj, "log", None)  # a slice or copy records into the same log

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = tuple(x.view(np.ndarray) if isinstance(x, _Watched) else x for x in inputs)
        if method == "__call__" and self.log is not None:
            self._note(ufunc, inputs, plain)
        return getattr(ufunc, method)(*plain, **kwargs)

    def _note(self, ufunc, inputs, plain) -> None:
        mine = [isinstance(x, _Watched) and x.log is self.log for x in inputs]
        if ufunc is np.matmul and len(plain) == 2:
            self._product(plain, mine)
        elif self.log["kind"] == "labels" and ufunc in (np.equal, np.not_equal) and len(plain) == 2:
            other = plain[1] if mine[0] else plain[0]
            self.log["predicted"].append(np.array(other).ravel())
        elif self.log["kind"] == "labels" and ufunc in (np.subtract, np.multiply, np.add, np.logaddexp):
            self.log["misuse"].append(f"the hold-out labels in arithmetic ({ufunc.__name__})")

    def _product(self, plain, mine) -> None:
        a, b = plain
        if self.log["kind"] == "images" and mine[0] and np.ndim(b) == 1 and a.shape[0] == self.log["n"]:
            w = np.array(b, dtype=np.float64)
            scored = self.log["scored"]
            if not (scored and np.array_equal(scored[-1], w)):
                scored.append(w)  # scoring the same weights twice in a row is one evaluation
        elif self.log["kind"] == "images":
            self.log["misuse"].append("the hold-out images in a product other than X @ w (X.T @ r: a gradient)")

    def __array_function__(self, func, types, args, kwargs):
        plain = tuple(x.view(np.ndarray) if isinstance(x, _Watched) else x for x in args)
        if self.log is not None and func in (np.dot, np.inner) and len(plain) == 2:
            self._product(plain, [isinstance(x, _Watched) for x in args])
        if self.log is not None and func is np.einsum:
            operands = [x for x in args[1:]]
            if len(operands) == 2 and isinstance(operands[0], _Watched) and np.ndim(operands[1]) == 1:
                self._product((operands[0].view(np.ndarray), operands[1]), [True, False])
        return func(*plain, **kwargs)

    def dot(self, other, out=None):
        if self.log is not None:
            self._product((self.view(np.ndarray), other), [True, False])
        return self.view(np.ndarray).dot(other, out) if out is not None else self.view(np.ndarray).dot(other)

    def __getitem__(self, index):
        if self.log is not None and isinstance(index, (np.ndarray, list)) and np.size(index) < len(self):
            self.log["misuse"].append("rows of the hold-out set picked by an index array (a mini-batch)")
        return super().__getitem__(index)


def _watched(data, log: dict) -> np.ndarray:
    out = np.array(data).view(_Watched)
    out.log = log
    return out


def check_pair_training(train_fn: Callable, splits, target: float, what: str = "", **settings) -> str:
    """Check ``train_fn(splits, **settings) -> (w, best_epoch)`` reaches ``target`` accuracy on ``splits.test``.

    ``splits`` is a digit pair (``digit_pair``: labels 0 / 1, ``X (n, d)``); training gets it with the test
    split withheld (touching it fails) and the hold-out set watched: it may only score it, once per epoch
    from epoch 0 (the start), e.g. ``np.mean(dl.logistic_predict(w, pair.holdout.X) == pair.holdout.y)``
    (``X @ w``, ``X.dot(w)``, ``np.dot``, ``einsum`` or a copy compared with the labels all count); a
    gradient or a batch drawn from it fails. From those evaluations the check tells whether the weights
    returned are those of the best hold-out accuracy (the latest of equals), whether ``best_epoch`` is their
    epoch and, given ``patience``, whether the loop stopped after ``patience`` evaluations in a row below the
    best. The weights ``w (d,)`` are then judged on the test images; the message gives the count and its 95%
    interval.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    part = f"training{' on ' + what if what else ''}"
    X_h, y_h = np.asarray(splits.holdout.X), np.asarray(splits.holdout.y)
    images = {"kind": "images", "n": len(y_h), "scored": [], "misuse": []}
    labels = {"kind": "labels", "predicted": [], "misuse": []}
    holdout = splits.holdout._replace(X=_watched(X_h, images), y=_watched(y_h, labels))
    seen = splits._replace(holdout=holdout, test=_Withheld(part))
    refuse_own(part, train_fn, FITS)
    with alone(train_fn, ("logistic_loss", "descent_step", "minibatches")), not_loading(part, train_fn):
        result = _pair(part, _call(part, lambda: train_fn(seen, **settings), forbidden=FITS), "(w, best_epoch)")
    misuse = images["misuse"] + labels["misuse"]
    if misuse:
        raise CheckFailed(
            f"{part}: training used the hold-out set ({misuse[0]}): train on pair.train only; the hold-out set "
            "only scores each epoch's weights, to choose when to stop"
        )
    w = _as_array(part, "the weights", result[0], (splits.train.X.shape[1],))
    if not np.all(np.isfinite(w)):
        raise CheckFailed(
            f"{part}: the weights are not finite (nan or inf): the steps diverged; lower the learning rate"
        )
    predicted = [logistic_predict(v, X_h) for v in images["scored"]] or labels["predicted"]
    if not predicted:
        raise CheckFailed(
            f"{part}: the hold-out images were never scored, so nothing stopped early: after every epoch compute "
            "np.mean(dl.logistic_predict(w, pair.holdout.X) == pair.holdout.y)"
        )
    counts = [int(np.sum(p == y_h)) if p.shape == y_h.shape else -1 for p in predicted]
    best = len(counts) - 1 - int(np.argmax(counts[::-1]))  # the latest of the best
    mine = logistic_predict(w, X_h)
    if not np.array_equal(mine, predicted[best]):
        kept = "the last weights scored" if np.array_equal(mine, predicted[-1]) else "weights"
        raise CheckFailed(
            f"{part}: it returns {kept}, not those of the best hold-out accuracy ({counts[best]}/"
            f"{len(y_h)}, epoch {best}); keep a copy of the best weights (the latest of equals)"
        )
    if int(result[1]) != best:
        raise CheckFailed(
            f"{part}: best_epoch is {result[1]}, but the weights returned were scored at epoch {best} (epoch 0 is "
            "the zero start; one hold-out evaluation per epoch)"
        )
    if settings.get("patience") is not None:
        stop = min(best + settings["patience"], settings.get("epochs", len(counts)))
        if len(counts) - 1 != stop:
            late = "late" if len(counts) - 1 > stop else "early"
            raise CheckFailed(
                f"{part}: it stopped {late}, after {len(counts) - 1} epochs: the best hold-out accuracy was at epoch "
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


EARLIER["descent_step"] = (check_descent_step, descent_step)
EARLIER["minibatches"] = (check_minibatches, descent.minibatches)
