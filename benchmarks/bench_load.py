"""Benchmark: ``load_mnist`` against python-mnist, the reference reader, in one run.

python-mnist builds Python lists; digitlab decodes each gzipped IDX file once
with ``np.frombuffer``. Both read the same four files from ``data/``. The
first digitlab load also checks the SHA-256 pins (hashing), later loads in the
process reuse the verdict; both are shown.

Run: ``python benchmarks/bench_load.py [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import time

from mnist import MNIST as PythonMNIST

import digitlab as dl
from digitlab.data import data_root


def best_of(repeat: int, load) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        load()
        times.append(time.perf_counter() - start)
    return min(times)


def python_mnist_load() -> None:
    reader = PythonMNIST(str(data_root()), gz=True)
    reader.load_training()
    reader.load_testing()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    dl.load_mnist()
    first = time.perf_counter() - start
    ours = best_of(args.repeat, dl.load_mnist)
    reference = best_of(args.repeat, python_mnist_load)
    print("loading all four MNIST files (70,000 images), best of", args.repeat)
    print(f"{'python-mnist (reference)':32} {reference:7.3f} s")
    print(f"{'digitlab load_mnist, first call':32} {first:7.3f} s   (includes the SHA-256 check)")
    print(f"{'digitlab load_mnist':32} {ours:7.3f} s")
    print(f"speed-up: {reference / ours:.1f}x  ({reference / first:.1f}x on the first call)")


if __name__ == "__main__":
    main()
