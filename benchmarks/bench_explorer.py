"""Benchmark: the lambda slider moved across its whole range, per task and penalty.

Each move asks ``PathCache.solve`` (warm-started ``solve_for_lambda``) for the
next slider position, 1 down to 1e-5 in the slider's steps of 0.1 decade, and
draws what the page draws (``answer_html``: weight PNGs and numbers). Solver
only, no page and no path computed ahead: ``bench_browser.py`` measures the page. The baseline is a cold
solve (zero start, same tolerance) at the same lambda: printed are the
median and worst latency, the baseline's median and the speed-up. The
optimum's stand-in is a cold solve run far past the explorer's tolerance
(ftol 1e-12): printed is how far each warm answer is from it, as the
relative gap in the regularised loss, the test accuracy, and the relative
distance of the weights.

Run: ``python benchmarks/bench_explorer.py [--stride 10]`` (every 10th slider
position cold-solved for the agreement columns; all positions are moved to).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from digitlab.explorer import ALL_DIGITS, PathCache, answer_html, solve_for_lambda, task_splits
from digitlab.kernels import logistic_loss, softmax_loss
from digitlab.threads import blas_on_one_thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stride", type=int, default=10)
    args = parser.parse_args()
    lams = 10.0 ** np.arange(0, -5.01, -0.1)
    print(f"slider moves: {len(lams)} positions from 1 to 1e-5, in order; cold solve every {args.stride}th")
    print(
        f"{'task':10} {'penalty':7} {'median ms':>9} {'worst ms':>9} {'cold median ms':>14} "
        f"{'ratio':>6} {'max rel gap':>11} {'max |dacc|':>10} {'max rel dw':>10}"
    )
    with blas_on_one_thread():  # as the explorer runs
        run(lams, args.stride)


def run(lams, stride: int) -> None:
    for task in ((2, 3), ALL_DIGITS):
        X, y = task_splits(task).train
        X = X.astype(np.float64)
        loss = softmax_loss if task == ALL_DIGITS else logistic_loss
        for penalty in ("l2", "l1"):
            cache, warm_ms, cold_ms, gap, dacc, dw = PathCache(), [], [], [], [], []
            for i, lam in enumerate(lams):
                start = time.perf_counter()
                solution = cache.solve(task, penalty, float(lam))
                answer_html(solution)
                warm_ms.append(1e3 * (time.perf_counter() - start))
                if i % stride == 0:
                    start = time.perf_counter()
                    solve_for_lambda(task, penalty, float(lam))
                    cold_ms.append(1e3 * (time.perf_counter() - start))
                    optimum = solve_for_lambda(task, penalty, float(lam), tol=1e-12)
                    best, got = (loss(s.w, X, y, lam=lam, penalty=penalty)[0] for s in (optimum, solution))
                    gap.append((got - best) / best)
                    dacc.append(abs(optimum.test_acc - solution.test_acc))
                    dw.append(np.linalg.norm(optimum.w - solution.w) / max(np.linalg.norm(optimum.w), 1e-12))
            name = "all ten" if task == ALL_DIGITS else f"{task[0]} vs {task[1]}"
            print(
                f"{name:10} {penalty:7} {np.median(warm_ms):9.1f} {max(warm_ms):9.1f} {np.median(cold_ms):14.1f} "
                f"{np.median(cold_ms) / np.median(warm_ms):6.1f} {max(gap):11.1e} {max(dacc):10.4f} {max(dw):10.4f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
