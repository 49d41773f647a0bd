"""Checks on what callers pass in, made before any work, in one place per kind of input.

Each public function of the package calls one of these first, so a bad call
fails at once with an error that names the argument and says what to do,
instead of deep inside NumPy, after an epoch, or not at all (a model quietly
trained on the wrong labels):

* ``fit_call``: the splits and settings of ``fit_logistic`` / ``fit_softmax``;
* ``loss_call``: the weights, data and lambda of ``logistic_loss`` / ``softmax_loss``;
* ``task`` and ``digits``: a digit pair like ``(2, 3)``, or ``"all"``;
* ``real``, ``whole``, ``choice``, ``tolerance`` and ``weights``: one number, one option, one array of weights
  (the solve pipeline ``optimum.solve`` and the explorer's ``fit_for_lambda`` use these);
* ``idx_read_call``, ``data_folder`` and ``mirror_url``: files, folders and mirrors.

Wrong kinds of thing (a string for a number, a float for a count) raise
``TypeError``; wrong values, shapes and array contents raise ``ValueError``.
"""

from __future__ import annotations

import math
import numbers
import os
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

__all__ = [
    "data_folder",
    "digits",
    "fit_call",
    "idx_read_call",
    "loss_call",
    "mirror_url",
    "mnist",
    "real",
    "settings",
    "splits",
    "task",
    "tolerance",
    "weights",
    "whole",
]

ALL_DIGITS = "all"  # the task "all ten digits" (softmax regression); a digit pair is a tuple like (2, 3)
PENALTIES = ("l2", "l1")  # sum of squares, sum of absolute values (``kernels.penalty_term``)
_CHOICES = {
    "schedule": ("constant", "anneal"),
    "penalty": PENALTIES,
    "l1_step": ("subgradient", "proximal"),
    "init": ("zeros", "normal"),
}


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def whole(name: str, value, minimum: int, none: str | None = None) -> None:
    """``value`` is an int >= minimum (or None, when ``none`` says what None means)."""
    if value is None and none is not None:
        return
    also = f", or None for {none}" if none is not None else ""
    if not _is_int(value):
        hint = f", e.g. {name}={int(value)}" if _is_real(value) and float(value).is_integer() else ""
        raise TypeError(f"{name}={value!r} must be a whole number (an int) >= {minimum}{also}{hint}")
    if value < minimum:
        raise ValueError(f"{name}={value!r} must be >= {minimum}{also}")


def real(name: str, value, minimum: float | None = None, above: float | None = None) -> None:
    """``value`` is a finite real number, >= minimum or > above."""
    if not _is_real(value):
        hint = " (a number, not a string: drop the quotes)" if isinstance(value, str) else ""
        raise TypeError(f"{name}={value!r} must be a real number{hint}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int too large for a float
        finite = False
    if not finite:
        raise ValueError(f"{name}={value!r} must be a finite number")
    if minimum is not None and not value >= minimum:
        raise ValueError(f"{name}={value!r} must be >= {minimum:g}")
    if above is not None and not value > above:
        raise ValueError(f"{name}={value!r} must be > {above:g}")


def choice(name: str, value, options: tuple[str, ...]) -> None:
    """``value`` is one of ``options`` (strings)."""
    if not isinstance(value, str) or value not in options:
        listed = " or ".join(repr(o) for o in options)
        raise ValueError(f"{name} {value!r} is unknown; use {listed}")


def settings(given: dict, defaults: dict) -> None:
    """The training settings of ``fit_logistic`` / ``fit_softmax`` (see ``descent.DEFAULTS``)."""
    unknown = set(given) - set(defaults)
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)}; the settings are {sorted(defaults)}")
    s = {**defaults, **given}
    real("lr", s["lr"], above=0)
    real("lam", s["lam"], minimum=0)
    real("T", s["T"], above=0)
    whole("epochs", s["epochs"], 0)
    whole("batch_size", s["batch_size"], 1, none="full batches")
    whole("patience", s["patience"], 1, none="no early stopping")
    whole("eval_every", s["eval_every"], 1)
    for name, options in _CHOICES.items():
        choice(name, s[name], options)
    seed = s["seed"]
    if not (seed is None or _is_int(seed) or isinstance(seed, (np.random.SeedSequence, np.random.Generator))):
        raise TypeError(f"seed={seed!r} must be a whole number (an int) >= 0, or None")
    if _is_int(seed) and seed < 0:
        raise ValueError(f"seed={seed!r} must be >= 0")
    try:
        floating = np.dtype(s["dtype"]) in (np.dtype(np.float32), np.dtype(np.float64))
    except TypeError:  # not a dtype at all
        floating = False
    if not floating:
        raise ValueError(
            f"dtype={s['dtype']!r}: training runs in floating point; use np.float32 (default) or np.float64"
        )


def tolerance(name: str, value) -> float:
    """A solver's tolerance: a finite number strictly between 0 and 1."""
    if not _is_real(value):
        raise TypeError(f"{name}={value!r} must be a number between 0 and 1, e.g. {name}=1e-9")
    if not (math.isfinite(value) and 0 < value < 1):
        raise ValueError(f"{name}={value!r} must be a finite number between 0 and 1, e.g. {name}=1e-9")
    return float(value)


def weights(name: str, value, shape: tuple) -> np.ndarray:
    """Weights to start from: finite numbers of the task's ``shape``; returned as a float64 copy."""
    try:
        w = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers with shape {shape}") from None
    if w.shape != shape:
        raise ValueError(f"{name} has shape {w.shape}; this task needs {shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} holds {w.size - np.isfinite(w).sum()} NaN or infinite values; start from finite ones")
    return w


def _array(name: str, value, what: str) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} is a {type(value).__name__}; pass {what} as a NumPy array (np.asarray)")
    return value


def features(name: str, X, finite: bool = True) -> np.ndarray:
    """A design matrix: a 2-D array of real numbers (all finite, when ``finite``)."""
    X = _array(name, X, "the features")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} has dtype {X.dtype}; features must be real numbers (int or float)")
    if X.ndim != 2:
        raise ValueError(
            f"{name} has shape {X.shape}; features must be 2-D, (n images, d features): "
            "one row per image (X.reshape(len(X), -1)), with the bias 1 in column 0"
        )
    if finite and X.dtype.kind == "f":
        bad = ~np.isfinite(X)
        if bad.any():
            rows, cols = np.nonzero(bad)
            n_nan = int(np.isnan(X[rows, cols]).sum())
            raise ValueError(
                f"{name} holds {n_nan} NaN and {len(rows) - n_nan} infinite values (the first at row {rows[0]}, "
                f"column {cols[0]}); features must be finite: drop or repair those rows before training"
            )
    return X


def labels(name: str, y, n: int, classes: int | None, integer: bool = True) -> np.ndarray:
    """Labels: a 1-D array of n class numbers in 0 .. classes - 1 (0 / 1 when ``classes`` is None)."""
    y = _array(name, y, "the labels")
    if y.ndim != 1:
        fix = f" (y.ravel() turns {y.shape} into ({y.size},))" if y.size == max(y.shape, default=0) else ""
        raise ValueError(f"{name} has shape {y.shape}; labels must be 1-D, one per image{fix}")
    if len(y) != n:
        raise ValueError(f"{name} has {len(y)} labels for {n} rows of features; give one label per row")
    kinds = "iu" if integer else "iuf"
    if y.dtype.kind not in kinds:
        hint = " (y.astype(np.int64), if they are whole numbers)" if y.dtype.kind == "f" else ""
        raise ValueError(f"{name} has dtype {y.dtype}; labels must be integers{hint}")
    if len(y) == 0:
        return y
    if classes is None:
        values = np.unique(y)
        if not np.isin(values, (0, 1)).all():
            shown = ", ".join(str(v) for v in values[:12]) + (", ..." if len(values) > 12 else "")
            raise ValueError(
                f"{name} holds the labels {shown}; logistic regression needs labels 0 and 1: "
                "pick two digits with digit_pair(splits, a, b), or use fit_softmax for more classes"
            )
        return y
    low, high = y.min(), y.max()
    if low < 0 or high >= classes:
        raise ValueError(
            f"{name} holds labels from {low} to {high}, outside 0..{classes - 1}; labels must be class numbers "
            f"0..{classes - 1} (set n_classes if there are more classes)"
        )
    return y


def splits(given, classes: int | None) -> None:
    """Splits for training: three ``Data(X, y)`` with finite 2-D X of one width and 1-D integer labels."""
    fields = getattr(given, "_fields", None)
    if fields is None or len(given) != 3:
        raise TypeError(
            f"splits is a {type(given).__name__}; pass the Splits(train, holdout, test) of seed_splits() "
            "or digit_pair()"
        )
    width = None
    for field, data in zip(fields, given):
        if not hasattr(data, "X") or not hasattr(data, "y"):
            raise TypeError(f"splits.{field} is a {type(data).__name__}; each split must be a Data(X, y)")
        X = features(f"splits.{field}.X", data.X)
        if len(X) == 0:
            raise ValueError(f"the {field} split is empty; check the digits chosen or the data")
        if width is None:
            width = X.shape[1]
        elif X.shape[1] != width:
            raise ValueError(
                f"splits.{field}.X has {X.shape[1]} columns, splits.{fields[0]}.X has {width}; "
                "every split needs the same features"
            )
        labels(f"splits.{field}.y", data.y, len(X), classes)


def fit_call(given_splits, given_settings: dict, defaults: dict, n_classes=None) -> None:
    """Everything ``fit_logistic`` (``n_classes`` None) or ``fit_softmax`` is given, before any work."""
    settings(given_settings, defaults)
    if n_classes is not None:
        whole("n_classes", n_classes, 2)
    splits(given_splits, n_classes)


def loss_call(w, X, y, lam, penalty, model: str) -> None:
    """The arguments of ``logistic_loss`` (``model="logistic"``) and ``softmax_loss``."""
    real("lam", lam, minimum=0)
    choice("penalty", penalty, _CHOICES["penalty"])
    X = features("X", X, finite=False)
    w = _array("w" if model == "logistic" else "W", w, "the weights")
    wanted = 1 if model == "logistic" else 2
    if w.ndim != wanted or w.shape[0] != X.shape[1]:
        shape = "(d,)" if model == "logistic" else "(d, k)"
        raise ValueError(
            f"{'w' if wanted == 1 else 'W'} has shape {w.shape} for X of shape {X.shape}; it must be {shape} "
            f"with d = {X.shape[1]}"
        )
    labels("y", y, len(X), None if model == "logistic" else w.shape[1], integer=model != "logistic")


def digits(a, b, name: str = "digit_pair") -> tuple[int, int]:
    """Two different digits 0-9, as ints (not bools, strings or floats)."""
    for digit in (a, b):
        if not _is_int(digit) or not 0 <= digit <= 9:
            raise ValueError(
                f"{name}: {digit!r} is not a digit; a digit pair is two whole numbers 0-9, different, e.g. (2, 3)"
            )
    if a == b:
        raise ValueError(f"{name}: both digits are {a}; choose two different digits 0-9")
    return int(a), int(b)


def task(given):
    """A task: ``"all"`` (all ten digits) or a pair of two different digits like ``(2, 3)``, normalised.

    For the solve pipeline (``optimum.solve``) and the explorer: refuses ``"23"`` (a string, not a pair) and
    ``(2.7, 3.2)`` (not whole digits) instead of quietly reading them as (2, 3).
    """
    if isinstance(given, str):
        if given == ALL_DIGITS:
            return ALL_DIGITS
        raise ValueError(
            f"task {given!r} is neither a digit pair like (2, 3) nor {ALL_DIGITS!r}; write the pair as a tuple of ints"
        )
    if not isinstance(given, (tuple, list)) or len(given) != 2:
        raise ValueError(f"task {given!r} is neither a digit pair like (2, 3) nor {ALL_DIGITS!r}")
    return digits(*given, name=f"task {given!r}")


def mnist(given) -> None:
    """What ``seed_splits`` is given: an ``MNIST`` of four arrays, images ``(n, 28, 28)``, labels ``(n,)``."""
    fields = getattr(given, "_fields", None)
    if fields is None or len(given) != 4:
        raise TypeError(f"mnist is a {type(given).__name__}; pass the MNIST of load_mnist(), or None to load it")
    for (field, array), least in zip(zip(fields, given), (20_000, 20_000, 2_000, 2_000)):
        array = _array(f"mnist.{field}", array, field.replace("_", " "))
        images = field.endswith("images")
        if (array.ndim, array.shape[1:]) != ((3, (28, 28)) if images else (1, ())):
            want = "(n, 28, 28)" if images else "(n,)"
            raise ValueError(f"mnist.{field} has shape {array.shape}; it must be {want}")
        if array.dtype.kind not in "iu":
            raise ValueError(f"mnist.{field} has dtype {array.dtype}; it must be integers (uint8, as load_mnist gives)")
        if len(array) < least:
            raise ValueError(f"mnist.{field} has {len(array)} entries; the report's protocol needs at least {least}")


def idx_read_call(path, max_bytes) -> tuple[Path, int | None]:
    """``read_idx``'s arguments: a path, and a cap in bytes (an int >= 0, or None)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path={path!r} must be a file name (str or Path)")
    whole("max_bytes", max_bytes, 0, none="no cap")
    return Path(path), max_bytes


def data_folder(folder: Path, source: str) -> Path:
    """A data folder is a folder, or nothing yet (``fetch`` makes it); ``source`` says where it came from."""
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(
            f"{folder}: {source} names this, but it is a file, not a folder; point it at the folder that holds "
            "(or is to hold) the four MNIST .gz files"
        )
    return folder


def mirror_url(url, source: str) -> str:
    """A mirror base URL: ``http://``, ``https://`` or ``file://`` with a host (or a path, for file)."""
    if not isinstance(url, str):
        raise TypeError(f"mirror {url!r} must be a URL string (from {source})")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        raise ValueError(f"mirror {url!r} is not a valid URL ({exc}); check {source}") from None
    if parts.scheme not in ("http", "https", "file") or (parts.scheme != "file" and not parts.hostname):
        raise ValueError(f"mirror {url!r} is not an http://, https:// or file:// URL; check {source}")
    return url
