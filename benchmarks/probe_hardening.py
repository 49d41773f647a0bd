"""Probe: hostile files, bad mirrors and bad calls, measured the way issue 14 measured them.

Prints four tables:

1. fuzzing: generated IDX files tried by the property tests (``tests/data/test_idx_fuzz.py`` with
   ``DIGITLAB_FUZZ=N``), passing and failing;
2. memory: peak resident memory of a child process (under a 1 GiB address-space limit) reading a real
   MNIST file, a 4 MiB gzip bomb (4 GiB of zeros behind a real header; one member, and 4096 members),
   loading MNIST with the bomb in place of a file, and fetching from an endless mirror;
3. fetch: each fault of ``tests/hostile.py`` on the first mirror, what the attempt reported, and the
   file then fetched from the next, good mirror;
4. bad calls: every call of ``tests/ground/test_bad_calls.py``'s table, and how it was refused.

Run: ``python benchmarks/probe_hardening.py [--fuzz 3200]`` (``--fuzz 0`` skips the fuzzing).
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile import FAULTS, FaultServer, files_of, gzip_bomb, run_limited  # noqa: E402

from digitlab.data import PINS, data_root  # noqa: E402

DATA = data_root()
LIMIT = 2**30
IMAGES, LABELS = "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"


def fuzzing(examples: int) -> None:
    print(f"\n1. fuzzing: {examples} fresh examples per property (tests/data/test_idx_fuzz.py)")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/data/test_idx_fuzz.py",
            "-q",
            "-o",
            "addopts=",
            "-p",
            "no:cacheprovider",
            "--hypothesis-show-statistics",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DIGITLAB_FUZZ": str(examples)},
    )
    tried = failed = 0
    for block in re.split(r"\n(?=tests/data/test_idx_fuzz\.py::)", done.stdout)[1:]:
        test = block.split("::", 1)[1].split(":", 1)[0]
        passing, failing = (int(n) for n in re.search(r"(\d+) passing, (\d+) failing", block).groups())
        tried, failed = tried + passing + failing, failed + failing
        events = "; ".join(f"{share} {what.strip()}" for share, what in re.findall(r"\* ([\d.]+%), (.+)", block))
        print(f"   {test:66} {passing + failing:6} tried {failing:3} failing  {events}")
    last = done.stdout.strip().splitlines()[-1]
    print(f"   total: {tried} generated files tried, {failed} failures (pytest: {last.strip('= ')})")


def memory(folder: Path) -> None:
    print(f"\n2. memory: peak resident memory of a child under a {LIMIT // 2**20} MiB address-space limit")
    labels_header = gzip.decompress((DATA / LABELS).read_bytes())[:8]
    images_header = gzip.decompress((DATA / IMAGES).read_bytes())[:16]
    (folder / "bomb-1.gz").write_bytes(gzip_bomb(labels_header, 4 * 2**30))
    (folder / "bomb-4096.gz").write_bytes(gzip_bomb(images_header, 4 * 2**30, members=4096))
    mnist = folder / "mnist"
    mnist.mkdir()
    for name in PINS:
        shutil.copy(DATA / name, mnist / name)
    shutil.copy(folder / "bomb-4096.gz", mnist / IMAGES)
    cases = [
        ("import digitlab only", "def work():\n    import digitlab\n", {}),
        (
            "read_idx: the real train images (9.3 MiB gzip, 45 MiB array)",
            f"def work():\n    import digitlab\n    digitlab.read_idx({str(DATA / IMAGES)!r})\n",
            {},
        ),
        (
            f"read_idx: bomb, one member ({(folder / 'bomb-1.gz').stat().st_size / 2**20:.1f} MiB -> 4 GiB)",
            f"def work():\n    import digitlab\n    digitlab.read_idx({str(folder / 'bomb-1.gz')!r})\n",
            {},
        ),
        (
            f"read_idx: bomb, 4096 members ({(folder / 'bomb-4096.gz').stat().st_size / 2**20:.1f} MiB -> 4 GiB)",
            f"def work():\n    import digitlab\n    digitlab.read_idx({str(folder / 'bomb-4096.gz')!r})\n",
            {},
        ),
        (
            "load_mnist: the 4096-member bomb as train-images",
            "def work():\n    import digitlab\n    digitlab.load_mnist()\n",
            {"DIGITLAB_DATA": str(mnist)},
        ),
    ]
    for what, work, env in cases:
        start = time.monotonic()
        got = run_limited(work, LIMIT, env=env)
        said = got.get("message", "")[:90].replace(str(folder), "...")
        print(
            f"   {what:68} {got['peak_rss_mib']:6.0f} MiB  {time.monotonic() - start:5.1f} s  {got['outcome']} {said}"
        )
    server = FaultServer(files_of(DATA, PINS))
    try:
        target = folder / "fetch"
        target.mkdir()
        for name in PINS:
            if name != IMAGES:
                shutil.copy(DATA / name, target / name)
        urls = [server.url("endless"), server.url("good")]
        work = f"def work():\n    from digitlab.fetch import fetch\n    return fetch({str(target)!r}, urls={urls!r})\n"
        start = time.monotonic()
        got = run_limited(work, LIMIT)
        print(
            f"   {'fetch: endless stream (up to 2 GiB), then a good mirror':68} {got['peak_rss_mib']:6.0f} MiB  "
            f"{time.monotonic() - start:5.1f} s  {got['outcome']}: {got.get('result', {}).get(IMAGES, '')}"
        )
    finally:
        server.close()


def fetch_matrix(folder: Path) -> None:
    from digitlab import MNISTFileError
    from digitlab.fetch import fetch

    print(f"\n3. fetch: each fault on the first mirror, then a good one ({LABELS}, timeout 1.5 s)")
    server = FaultServer(files_of(DATA, PINS))
    survived = 0
    try:
        for fault in FAULTS:
            root = folder / f"matrix-{fault}"
            root.mkdir()
            for name in PINS:
                if name != LABELS:
                    shutil.copy(DATA / name, root / name)
            try:
                fetch(root, urls=[server.url(fault)], timeout=1.5)
                attempt = "(no error!)"
            except MNISTFileError as exc:
                attempt = next(line for line in str(exc).splitlines() if line.startswith("    "))
                attempt = attempt.split(f"{LABELS}: ", 1)[-1][:80]
            start = time.monotonic()
            try:
                report = fetch(root, urls=[server.url(fault), server.url("good")], timeout=1.5)
                ok = report[LABELS] == server.url("good") + LABELS and sorted(os.listdir(root)) == sorted(PINS)
            except Exception as exc:  # noqa: BLE001 - the probe reports whatever happens
                ok, report = False, repr(exc)
            survived += ok
            verdict = "then fetched from the good mirror" if ok else f"NOT FETCHED: {report}"
            print(f"   {fault:16} {attempt:82} {verdict} ({time.monotonic() - start:.1f} s)")
    finally:
        server.close()
    print(f"   {survived} of {len(FAULTS)} faults followed by a successful fetch from the next mirror")


def bad_calls() -> None:
    sys.path.insert(0, str(ROOT / "tests" / "ground"))
    import test_bad_calls

    from digitlab import descent

    def trap(*args, **kwargs):
        raise AssertionError("training started")

    descent.descend_many = trap
    outcomes = {"refused as the table says": 0, "wrong exception": 0, "message lacks words": 0, "not refused": 0}
    for name, call, exception, words in test_bad_calls.BAD_CALLS:
        try:
            call()
            outcomes["not refused"] += 1
            print(f"   not refused: {name}")
        except exception as exc:
            if all(w in str(exc) for w in words):
                outcomes["refused as the table says"] += 1
            else:
                outcomes["message lacks words"] += 1
                print(f"   message lacks words: {name}: {exc}")
        except Exception as exc:  # noqa: BLE001
            outcomes["wrong exception"] += 1
            print(f"   wrong exception: {name}: {type(exc).__name__}: {exc}")
    kinds = {}
    for _, _, exception, _ in test_bad_calls.BAD_CALLS:
        kinds[exception.__name__] = kinds.get(exception.__name__, 0) + 1
    print(f"\n4. bad calls: {len(test_bad_calls.BAD_CALLS)} tried ({', '.join(f'{v} {k}' for k, v in kinds.items())})")
    for outcome, count in outcomes.items():
        print(f"   {outcome:28} {count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz", type=int, default=3200, help="examples per property (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.fuzz:
            fuzzing(args.fuzz)
        memory(Path(tmp))
        fetch_matrix(Path(tmp))
        bad_calls()


if __name__ == "__main__":
    main()
