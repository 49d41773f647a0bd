"""The results file: what ``python -m digitlab reproduce`` computes, writes and the notebooks check against.

``results/results.json`` holds counts of correct images, never rounded percentages: the logistic rows, the
softmax recipe (each lambda restarted) and the report's code as it ran (weights carried across lambdas), both
from the same ``SEEDS`` starts, the optimum, and the paired comparisons (McNemar's exact test on the images one
model gets right and the other wrong) that the README and the notebooks quote. ``check`` compares a freshly
computed count with the file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .. import optimum as opt
from ..descent import Fit
from ..kernels import logistic_predict, softmax_predict
from ..splits import Splits, digit_pair, seed_splits
from ..stats import Accuracy, mcnemar
from .experiments import (
    PAIRS,
    SEEDS,
    SOFTMAX_LAMS,
    kept,
    logistic_batch_run,
    logistic_optimum,
    recipe_choice,
    softmax_optimum,
    softmax_recipe,
)
from .report_code import CodeRun, code_choice, report_code_search

__all__ = [
    "CODE_VS_RECIPE",
    "L2_VS_L1",
    "LOGISTIC_VS",
    "OPTIMUM_VS_RECIPE",
    "RESULTS",
    "TOLERANCE",
    "check",
    "check_recipe",
    "code_record",
    "compute",
    "load_results",
    "paired_record",
    "stored_code",
    "stored_recipe",
    "write_results",
]

RESULTS = Path(__file__).resolve().parents[2] / "results" / "results.json"
#: How far a recomputed count may stray from the results file before it counts as stale: 0.5 points
#: (2 of ~400 images, 10 of 2,000), for float rounding that differs between processors and BLAS builds.
TOLERANCE = 0.005
#: The names of the paired comparisons in the file ("A vs B": ``b`` images A gets right and B wrong, ``c`` the
#: reverse); the restarted recipe and the report's code are each seed's L2 choice from the first lambda set.
LOGISTIC_VS = "logistic {a} vs {b}, test: recipe vs optimum"
L2_VS_L1 = "softmax, test: optimum L2 vs optimum L1"
OPTIMUM_VS_RECIPE = "softmax L2 set 1, test, seed {seed}: optimum L2 vs the restarted recipe"
CODE_VS_RECIPE = "softmax L2 set 1, {split}, seed {seed}: the report's code vs the restarted recipe"


def _count(a: Accuracy) -> list[int]:
    return [a.correct, a.total]


def _solved(path: list[opt.Solution], chosen: opt.Solution) -> dict:
    return {
        "penalty": chosen.penalty,
        "lam": chosen.lam,
        "holdout": _count(chosen.holdout),
        "test": _count(chosen.test),
        "path": [
            {
                "lam": s.lam,
                "holdout": _count(s.holdout),
                "test": _count(s.test),
                "zero_weights": float(np.mean(s.w[1:] == 0)),
                "optimality": float(f"{s.optimality:.2g}"),
            }
            for s in path
        ],
    }


def _recipe_record(fits: dict[tuple, Fit], splits: Splits) -> list[dict]:
    return [
        {
            "init": init,
            "penalty": penalty,
            "lam": lam,
            "kept_epoch": fit.best_epoch,
            "last_epoch": int(fit.history["epoch"][-1]),
            "holdout": _count(kept(fit, splits, "holdout")),
            "test": _count(kept(fit, splits, "test")),
        }
        for (init, penalty, lam), fit in fits.items()
    ]


def code_record(runs: Sequence[CodeRun], lam_set: int) -> list[dict]:
    """The results file's records of one carried search (``report_code_search``) on lambda set ``lam_set``."""
    return [
        {"set": lam_set, "penalty": r.penalty, "lam": r.lam, "holdout": _count(r.holdout), "test": _count(r.test)}
        for r in runs
    ]


def paired_record(y: np.ndarray, labels_a: np.ndarray, labels_b: np.ndarray) -> dict:
    """McNemar's exact test of two models' labels ``(n,)`` on the same images with truth ``y (n,)``, as stored."""
    test = mcnemar(labels_a == y, labels_b == y)
    return {"b": test.b, "c": test.c, "p": float(f"{test.p:.4g}")}


def compute(splits: Splits | None = None, progress: bool = True) -> dict:
    """Every experiment of the results table, as the results file holds them (counts, lambdas, epochs).

    ``paired`` names each comparison "A vs B" (``b``: images A gets right and B wrong, ``c``: the reverse).
    """
    splits = seed_splits() if splits is None else splits
    results: dict = {
        "written_by": "python -m digitlab reproduce (digitlab.reproduce.compute); do not edit by hand",
        "seeds": list(SEEDS),
        "grid": {key: list(lams) for key, lams in opt.GRID.items()},
        "logistic": {},
        "softmax": {"recipe": {}, "code": {}, "optimum": {}},
        "paired": {},
    }
    paired = results["paired"]
    for a, b in PAIRS:
        pair = digit_pair(splits, a, b)
        batch = logistic_batch_run(pair, progress, f"logistic {a} vs {b}: the report's batch run")
        path, best = logistic_optimum(pair, "l2", progress, f"logistic {a} vs {b}")
        results["logistic"][f"{a} vs {b}"] = {
            "sizes": [len(d.y) for d in pair],
            "recipe": {"holdout": _count(kept(batch, pair, "holdout")), "test": _count(kept(batch, pair, "test"))},
            "optimum": _solved(path, best),
        }
        labels = [logistic_predict(w, pair.test.X) for w in (batch.w, best.w)]
        paired[LOGISTIC_VS.format(a=a, b=b)] = paired_record(pair.test.y, *labels)
    optimum = {}
    for penalty in ("l2", "l1"):
        path, optimum[penalty] = softmax_optimum(splits, penalty, progress)
        results["softmax"]["optimum"][penalty] = _solved(path, optimum[penalty])
    y = splits.test.y
    best_labels = {p: softmax_predict(s.w, splits.test.X) for p, s in optimum.items()}
    paired[L2_VS_L1] = paired_record(y, best_labels["l2"], best_labels["l1"])
    for seed in SEEDS:
        fits = softmax_recipe(splits, seed, progress)
        results["softmax"]["recipe"][str(seed)] = _recipe_record(fits, splits)
        recipe = recipe_choice(fits, "l2", SOFTMAX_LAMS[0])[1].w
        runs = report_code_search(splits, SOFTMAX_LAMS[0], seed, progress=progress)  # the set its listing runs
        results["softmax"]["code"][str(seed)] = code_record(runs, 1)
        code = code_choice(runs, "l2").w
        for split in ("holdout", "test"):
            d = getattr(splits, split)
            labels = softmax_predict(code, d.X), softmax_predict(recipe, d.X)  # the code's: over 1,000 columns
            paired[CODE_VS_RECIPE.format(split=split, seed=seed)] = paired_record(d.y, *labels)
        labels = best_labels["l2"], softmax_predict(recipe, splits.test.X)
        paired[OPTIMUM_VS_RECIPE.format(seed=seed)] = paired_record(y, *labels)
    return results


def write_results(results: dict, path: Path = RESULTS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n")
    return path


def load_results(path: Path = RESULTS) -> dict:
    """The committed results (``results/results.json``), as ``compute`` wrote them."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path} is missing: run `python -m digitlab reproduce` to compute it")
    return json.loads(Path(path).read_text())


def check(fresh: Accuracy, stored: Sequence[int], what: str = "") -> None:
    """Raise if a freshly computed count strays from the stored one by more than ``TOLERANCE``.

    The notebooks call it on every number of the table they compute, so running them checks the file.
    """
    correct, total = stored
    if fresh.total != total or abs(fresh.correct - correct) > TOLERANCE * total:
        raise AssertionError(
            f"{what}: computed {fresh.correct}/{fresh.total}, results/results.json says {correct}/{total}; "
            "the results file is stale: run `python -m digitlab reproduce`"
        )


def stored_recipe(results: dict, seed: int) -> dict[tuple, dict]:
    """One seed's recipe runs from the results file, keyed like ``softmax_recipe``."""
    return {(r["init"], r["penalty"], r["lam"]): r for r in results["softmax"]["recipe"][str(seed)]}


def stored_code(results: dict, seed: int) -> dict[tuple, dict]:
    """One seed's runs of the report's code from the results file, keyed ``(set, penalty, lam)``, in its order."""
    return {(r["set"], r["penalty"], r["lam"]): r for r in results["softmax"]["code"][str(seed)]}


def check_recipe(fits: dict[tuple, Fit], splits: Splits, results: dict, seed: int) -> None:
    """Check one seed's freshly run recipe against the results file, run by run."""
    stored = stored_recipe(results, seed)
    if set(stored) != set(fits):
        raise AssertionError(f"seed {seed}: the results file holds other runs; run `python -m digitlab reproduce`")
    for key, fit in fits.items():
        for split in ("holdout", "test"):
            check(kept(fit, splits, split), stored[key][split], f"softmax recipe, seed {seed}, {key}, {split}")
