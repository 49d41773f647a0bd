"""The ten-digit regularisation path, solved once and shipped with the package.

Ten-digit softmax at small lambda is slow to solve from scratch (L1 below
lambda = 1e-4 takes L-BFGS-B tens of seconds per position), so the explorer's
51 slider positions (``SLIDER_LAMS``) are solved ahead for both penalties, as
glmnet computes a whole path, and kept in ``ten_digit_path.npz`` beside this
module: float32 weights ``(51, 785, 10)`` per penalty and the numbers the
explorer shows, about 3 MB. ``PathCache`` seeds itself from it (``seed``), so a
switch to ten digits and every ten-digit slider move is a lookup.

The file carries its key (``path_key``): the data's SHA-256 pins, the lambda
grid and the accuracy asked of every answer (``GAP``: objective within 1e-4,
relative, of the optimum). When the key does not match (other data, another
grid), the file is ignored and the explorer solves as before.
``tests/test_explorer.py`` keeps the file honest: the key, the optimality
conditions at every position, and a position solved again.

Made by ``python -m digitlab path`` (resumable: each position solved is kept in
a work folder until the file is written).
"""

from __future__ import annotations

import functools
import hashlib
import time
from pathlib import Path

import numpy as np

from .lambda_path import ALL_DIGITS, GAP, SLIDER_LAMS, PathCache, PathStore, Solution, fit_for_lambda

__all__ = ["FILE", "build", "complete", "load", "path_key", "seed", "write"]

FILE = Path(__file__).with_name("ten_digit_path.npz")
PENALTIES = ("l2", "l1")
NUMBERS = PathStore.FIELDS


def path_key() -> str:
    """The data's SHA-256 pins, the slider's lambdas and ``GAP``, as 16 hex digits."""
    from . import data

    digest = hashlib.sha256()
    for name, pin in sorted(data.PINS.items()):
        digest.update(f"{name} {pin}\n".encode())
    digest.update(" ".join(f"{np.log10(lam):.1f}" for lam in SLIDER_LAMS).encode())
    digest.update(f" gap {GAP:g}".encode())
    return digest.hexdigest()[:16]


# the path's second pass: each position solved again from the first, to this tolerance (L1: Newton's and
# L-BFGS-B's; tighter than 1e-9 only spends minutes against float32's rounding)
POLISH_TOL = {"l2": 1e-12, "l1": 1e-9}


def build(penalty: str, work: Path, progress=print) -> list[Solution]:
    """Solve ten digits at every slider position, lambda = 1 down to 1e-5, each from the previous ones,
    then polish each position (solved again from there to ``POLISH_TOL``): the objective ends well inside
    ``GAP`` of the optimum, where the explorer's own tolerances only just keep it.

    Solutions are kept in ``work`` as they come (``PathStore``s), so a second run resumes.
    """
    folder = Path(work) / path_key()
    cache = PathCache(store=PathStore(folder))
    polished = PathStore(folder / "polished")
    path = []
    for i, lam in enumerate(SLIDER_LAMS[::-1]):
        start = time.perf_counter()
        solution = polished.load(ALL_DIGITS, penalty, float(lam))
        if solution is None:
            first = cache.solve(ALL_DIGITS, penalty, float(lam))
            solution = fit_for_lambda(ALL_DIGITS, penalty, float(lam), warm_start=first.w, tol=POLISH_TOL[penalty])
            if solution.objective > first.objective:
                solution = first
            polished.save(solution)
        path.append(solution)
        progress(
            f"{penalty} {i + 1:2d}/{len(SLIDER_LAMS)} lambda {lam:.1e}: objective {solution.objective:.8f}, "
            f"test {solution.test_acc:.2%}, {solution.iterations} steps, {time.perf_counter() - start:.1f} s"
        )
    return path[::-1]


def complete(penalty: str, work: Path) -> bool:
    """Whether ``work`` holds a solution at every slider position for this penalty."""
    store = PathStore(Path(work) / path_key() / "polished")
    return all(store._file(ALL_DIGITS, penalty, float(lam)).is_file() for lam in SLIDER_LAMS)


def write(paths: dict, file: Path = FILE) -> Path:
    """Write ``{penalty: [Solution at each of SLIDER_LAMS]}`` (both penalties) to ``file``."""
    arrays = {"key": np.array(path_key()), "lams": SLIDER_LAMS}
    for penalty in PENALTIES:
        path = paths[penalty]
        assert [round(np.log10(s.lam), 1) for s in path] == [round(np.log10(lam), 1) for lam in SLIDER_LAMS]
        arrays[f"{penalty}_w"] = np.stack([s.w for s in path]).astype(np.float32)
        for field in NUMBERS:
            arrays[f"{penalty}_{field}"] = np.array([getattr(s, field) for s in path])
    np.savez_compressed(file, **arrays)
    return Path(file)


@functools.lru_cache(maxsize=2)
def load(file: Path = FILE) -> dict | None:
    """``{penalty: [Solution at each of SLIDER_LAMS]}`` from ``file``, or None when missing or its key differs."""
    try:
        with np.load(file, allow_pickle=False) as saved:
            if str(saved["key"]) != path_key() or not np.allclose(saved["lams"], SLIDER_LAMS):
                return None
            paths = {}
            for penalty in PENALTIES:
                w = saved[f"{penalty}_w"].astype(np.float64)
                numbers = {field: saved[f"{penalty}_{field}"] for field in NUMBERS}
                paths[penalty] = [
                    Solution(ALL_DIGITS, penalty, float(lam), w[i], **{f: v[i].item() for f, v in numbers.items()})
                    for i, lam in enumerate(SLIDER_LAMS)
                ]
    except (OSError, KeyError, ValueError, EOFError):
        return None
    return paths


def seed(cache: PathCache, file: Path = FILE) -> bool:
    """Put the shipped path into ``cache`` (memory only); False when there is none for this data and grid."""
    paths = load(file)
    if paths is None:
        return False
    for path in paths.values():
        for solution in path:
            cache.keep(solution)
    return True
