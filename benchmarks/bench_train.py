"""Benchmark: the report's softmax run, written plainly, against ``fit_softmax``.

The run (report, section on softmax regression): standard-normal initial
weights, learning rate eta0 = 0.0015 on the SUMMED loss annealed as
eta0 / (1 + t / T) with T = 3, L2 with lam = 0.0001 on the summed loss (the
report's gradient term lam * W), 300 epochs, and the loss and accuracy on
train, hold-out and test after every epoch. The baseline does it as the
report's code does: float64, a separate forward pass for each number.
``fit_softmax`` does the same run on the mean loss, where the settings
become eta0 * n = 27 and lam / (2 n) (the report's gradient lam * W is the
gradient of (lam / 2) * sum W**2).

Run: ``python benchmarks/bench_train.py [--epochs 300]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import digitlab as dl
from digitlab.reproduce import softmax_report_settings

ETA0, T, LAM_SUM, SEED = 0.0015, 3.0, 0.0001, 0


def report_softmax_plain(splits: dl.Splits, epochs: int) -> tuple[np.ndarray, list]:
    """The report's loop, plainly: float64, one-hot targets, three evaluation passes per epoch."""
    X, y = splits.train
    W = np.random.default_rng(SEED).standard_normal((X.shape[1], 10))
    targets = np.eye(10)[y]
    history = []
    for epoch in range(epochs):
        eta = ETA0 / (1 + epoch / T)
        probs = dl.softmax(X @ W)
        grad = -X.T @ (targets - probs) + LAM_SUM * W
        W = W - eta * grad
        row = []
        for data in splits:
            p = dl.softmax(data.X @ W)
            row.append(-np.mean(np.log(p[np.arange(len(data.y)), data.y])))
            row.append(np.mean(np.argmax(p, axis=1) == data.y))
        history.append(row)
    return W, history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    args = parser.parse_args()
    splits = dl.seed_splits()
    n = len(splits.train.y)

    start = time.perf_counter()
    W_plain, _ = report_softmax_plain(splits, args.epochs)
    plain_s = time.perf_counter() - start

    start = time.perf_counter()
    # the report's gradient lam * W is that of (lam / 2) * sum W**2: half the lambda on the written term
    fit = dl.fit_softmax(splits, **softmax_report_settings(n, LAM_SUM / 2, "l2", args.epochs, patience=None))
    fit_s = time.perf_counter() - start

    def accuracies(W):
        return [np.mean(dl.softmax_predict(W, d.X) == d.y) for d in splits]

    print(f"report's softmax run, {args.epochs} epochs, every epoch evaluated on train / hold-out / test")
    print(f"{'':22} {'seconds':>8} {'train':>7} {'holdout':>8} {'test':>7}")
    for name, seconds, W in (("report code (plain)", plain_s, W_plain), ("digitlab fit_softmax", fit_s, fit.w)):
        tr, ho, te = accuracies(W)
        print(f"{name:22} {seconds:8.2f} {tr:7.4f} {ho:8.4f} {te:7.4f}")
    print(f"speed-up: {plain_s / fit_s:.2f}x")


if __name__ == "__main__":
    main()
