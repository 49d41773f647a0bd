"""Building the shipped ten-digit path (``python -m digitlab path``): offline, once, resumable.

Each of the explorer's 51 slider positions is solved for ten digits, lambda = 1
down to 1e-5, each from the previous ones, then polished (solved again from
there to ``POLISH_TOL``). Every position solved is kept in a work folder
(``PathStore``s named by ``shipped.path_key`` and ``store.store_key``,
so a resumed build never mixes positions solved under other data or other code)
until ``write`` puts both penalties in ``shipped.FILE``. The explorer reads
the file with ``explorer.shipped`` and never imports this module.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from ..optimum import ALL_DIGITS, Solution
from .path import SLIDER_LAMS, PathCache, solve_for_lambda
from .shipped import COUNTED, FILE, NUMBERS, PENALTIES, SHAPE, path_key
from .store import PathStore, store_key

__all__ = ["POLISH_TOL", "build", "complete", "write"]

# the path's second pass: each position solved again from the first, to this tolerance (L1: Newton's and
# L-BFGS-B's; tighter than 1e-9 only spends minutes against float32's rounding)
POLISH_TOL = {"l2": 1e-12, "l1": 1e-9}


def _folder(work: Path) -> Path:
    return Path(work) / f"{path_key()}-{store_key()}"


def build(penalty: str, work: Path, progress=print) -> list[Solution]:
    """Solve ten digits at every slider position, lambda = 1 down to 1e-5, each from the previous ones,
    then polish each position (solved again from there to ``POLISH_TOL``): the objective ends well inside
    ``GAP`` of the optimum, where the explorer's own tolerances only just keep it.

    Solutions are kept in ``work`` as they come (``PathStore``s), so a second run resumes.
    """
    folder = _folder(work)
    cache = PathCache(store=PathStore(folder))
    polished = PathStore(folder / "polished")
    path = []
    for i, lam in enumerate(SLIDER_LAMS[::-1]):
        start = time.perf_counter()
        solution = polished.load(ALL_DIGITS, penalty, float(lam))
        if solution is None:
            first = cache.solve(ALL_DIGITS, penalty, float(lam))
            solution = solve_for_lambda(ALL_DIGITS, penalty, float(lam), warm_start=first.w, tol=POLISH_TOL[penalty])
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
    store = PathStore(_folder(work) / "polished")
    return all(store.load(ALL_DIGITS, penalty, float(lam)) is not None for lam in SLIDER_LAMS)


def write(paths: dict, file: Path = FILE) -> Path:
    """Write ``{penalty: [Solution at each of SLIDER_LAMS]}`` (both penalties) to ``file`` (``.npz`` added when
    missing), whole or not at all: written beside it under another name, then renamed over it."""
    file = Path(file)
    if file.suffix != ".npz":
        file = file.with_name(file.name + ".npz")
    arrays = {"key": np.array(path_key()), "lams": SLIDER_LAMS}
    for penalty in PENALTIES:
        path = paths[penalty]
        assert [round(np.log10(s.lam), 1) for s in path] == [round(np.log10(lam), 1) for lam in SLIDER_LAMS]
        arrays[f"{penalty}_w"] = np.stack([s.w for s in path]).astype(np.float32)
        assert arrays[f"{penalty}_w"].shape == SHAPE and np.all(np.isfinite(arrays[f"{penalty}_w"]))
        for field in (f for f in NUMBERS if f not in COUNTED):  # the file's format as shipped
            arrays[f"{penalty}_{field}"] = np.array([getattr(s, field) for s in path])
    file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=file.parent, suffix=".tmp", delete=False) as out:
        try:
            np.savez_compressed(out, **arrays)
        except BaseException:
            out.close()
            os.unlink(out.name)
            raise
    os.replace(out.name, file)
    return file
