"""The ten-digit regularisation path, solved once and shipped with the package: looked up, and checked.

Ten-digit softmax at small lambda is slow to solve from scratch (L1 below
lambda = 1e-4 takes L-BFGS-B tens of seconds per position), so the explorer's
51 slider positions (``SLIDER_LAMS``) are solved ahead for both penalties, as
glmnet computes a whole path, and kept in ``ten_digit_path.npz`` beside this
module: float32 weights ``(51, 785, 10)`` per penalty and the numbers the
explorer shows, about 1.6 MB. The explorer calls ``load_into(cache)`` to put them in
its ``PathCache``, so a switch to ten digits and every ten-digit slider move is
a look-up.

The file is pinned by its SHA-256 (``SHA256``): other bytes are refused, so
weights changed at any position are never served. It carries its key
(``path_key``): the data's SHA-256 pins, the lambda
grid and the accuracy asked of every answer (``GAP``: objective within 1e-4,
relative, of the optimum). The key cannot see the objective itself (the splits,
the scaling, the penalty's definition, mean or summed loss), so ``load`` also
recomputes one position per penalty (``RECOMPUTED_POSITION``) with ``describe`` and
compares it with the numbers stored. When anything differs, or the file cannot
be read, the file is ignored (``load`` returns None, ``load_into`` False) and the
explorer solves ten digits live; it says so on the page.

Made by ``python -m digitlab path`` (``explorer.build``).
``tests/test_explorer.py`` keeps the file honest: the pin, the key, the
optimality conditions at every position, and a position solved again.
"""

from __future__ import annotations

import functools
import hashlib
import io
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .. import validate
from ..optimum import ALL_DIGITS, Solution, describe, task_splits
from .path import GAP, SLIDER_LAMS, PathCache, pins_digest
from .store import PathStore

__all__ = ["RECOMPUTED_POSITION", "FILE", "PENALTIES", "SHA256", "load", "load_into", "path_key"]

FILE = Path(__file__).resolve().parent.parent / "ten_digit_path.npz"  # package data, beside the package's modules
# FILE's pin: a file of other bytes is refused (tests/test_explorer.py keeps it current)
SHA256 = "498c75d102eb6f1cf58c997ba31a747c1b2b600876bf769dd33f6eaa331b7566"
PENALTIES = validate.PENALTIES  # the file's order: l2 first
NUMBERS = PathStore.FIELDS
SHAPE = (len(SLIDER_LAMS), 785, 10)
RECOMPUTED_POSITION = int(np.flatnonzero(np.isclose(SLIDER_LAMS, 1e-3))[0])  # recomputed at load: lambda 1e-3
EXACT = (
    "train_acc",
    "holdout_acc",
    "test_acc",
    "test_correct",
    "holdout_correct",
    "zero_count",
)  # ... must match these exactly
OBJECTIVE_RTOL = 1e-6  # ... and the objective to this, relative: float32 sums differ by ~1e-7 across NumPy versions


#: Not in the file: counted from the accuracies and the splits' sizes (checked against a recount in ``matches``).
COUNTED = ("test_correct", "test_total", "holdout_correct", "holdout_total")


def _counts(numbers: dict) -> dict:
    """The test and hold-out counts of a path, from its accuracies ``numbers[split + "_acc"] (51,)``."""
    counts = {}
    for split in ("test", "holdout"):
        total = len(getattr(task_splits(ALL_DIGITS), split).y)
        accuracy = numbers[f"{split}_acc"]
        counts |= {
            f"{split}_correct": np.rint(accuracy * total).astype(int),
            f"{split}_total": np.full(len(accuracy), total),
        }
    return counts


def path_key() -> str:
    """The data's SHA-256 pins, the slider's lambdas and ``GAP``, as 16 hex digits."""
    digest = pins_digest()
    digest.update(" ".join(f"{np.log10(lam):.1f}" for lam in SLIDER_LAMS).encode())
    digest.update(f" gap {GAP:g}".encode())
    return digest.hexdigest()[:16]


def matches(stored: Solution) -> bool:
    """Whether ``describe`` of the stored weights gives the stored numbers: the same objective, data and model."""
    now = describe(stored.task, stored.penalty, stored.lam, stored.w)
    if abs(now.objective - stored.objective) > OBJECTIVE_RTOL * abs(now.objective):
        return False
    return all(getattr(now, field) == getattr(stored, field) for field in EXACT)


def on_the_grid(lams: np.ndarray) -> bool:
    """``lams`` are the slider's 51 positions, to rounding: NumPy versions differ in the last bit of ``10.0 ** x``."""
    return lams.shape == SLIDER_LAMS.shape and bool(np.allclose(lams, SLIDER_LAMS, rtol=1e-13, atol=0))


@functools.lru_cache(maxsize=2)
def load(file: Path = FILE, sha256: str | None = SHA256) -> dict | None:
    """``{penalty: [Solution at each of SLIDER_LAMS]}`` from ``file``; None when it is missing, unreadable,
    not the bytes pinned by ``sha256`` (None: no pin, for a file just built), not of the expected shape, made
    for another key, or when a position recomputed now differs (``matches``)."""
    try:
        raw = Path(file).read_bytes()
        if sha256 is not None and hashlib.sha256(raw).hexdigest() != sha256:
            return None
        with np.load(io.BytesIO(raw), allow_pickle=False) as saved:
            if str(saved["key"]) != path_key() or not on_the_grid(saved["lams"]):
                return None
            paths = {}
            for penalty in PENALTIES:
                w = saved[f"{penalty}_w"]
                if w.shape != SHAPE or not np.all(np.isfinite(w)):
                    return None
                w = w.astype(np.float64)
                numbers = {field: saved[f"{penalty}_{field}"] for field in NUMBERS if field not in COUNTED}
                numbers.update(_counts(numbers))
                if any(v.shape != SLIDER_LAMS.shape for v in numbers.values()):
                    return None
                paths[penalty] = [
                    Solution(ALL_DIGITS, penalty, float(lam), w[i], **{f: v[i].item() for f, v in numbers.items()})
                    for i, lam in enumerate(SLIDER_LAMS)
                ]
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error):
        return None
    if not all(matches(path[RECOMPUTED_POSITION]) for path in paths.values()):
        return None
    return paths


def load_into(cache: PathCache, file: Path = FILE, sha256: str | None = SHA256) -> bool:
    """Put the shipped path into ``cache`` (memory only); False when there is none fit for this data and code."""
    paths = load(file, sha256)
    if paths is None:
        return False
    for path in paths.values():
        for solution in path:
            cache.keep(solution)
    return True
