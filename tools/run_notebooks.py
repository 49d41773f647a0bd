"""Execute the notebooks top to bottom against the installed digitlab, store them clean, and time them.

    python tools/run_notebooks.py [notebooks/NN_name.ipynb ...]   # default: all, in order
    python tools/run_notebooks.py --time-only [...]                # time them, leave the files as they are

Regenerates the navigation first, executes each notebook in its own folder (no widget state stored),
strips metadata noise with nbstripout (outputs and counts kept), and prints each notebook's time, its
slowest cells and a summary against the lecture targets: no cell over 15 s, no notebook over 40 s, all
of them within 3 minutes (on a two-core machine). The machine's load is printed beside the times,
since other work on the same cores slows every number; so is the kernel's CPU time (user + system, all
its threads), which other work does not inflate: digitlab computes on one core, so on an idle machine a
cell's wall time is about its CPU time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

try:
    import psutil
except ImportError:  # CPU times are then left out
    psutil = None

ROOT = Path(__file__).resolve().parent.parent
CELL_LIMIT, NOTEBOOK_LIMIT, TOTAL_LIMIT = 15.0, 40.0, 180.0
SLOWEST = 3  # cells listed per notebook


def cell_seconds(cell) -> float | None:
    """A code cell's run time from the timing nbclient records in its metadata."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda stamp: datetime.fromisoformat(stamp.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def first_line(cell) -> str:
    lines = [line for line in cell.source.splitlines() if line.strip() and not line.startswith("# NBVAL")]
    return (lines[0] if lines else "").strip()[:70]


def load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def run(path: Path, write: bool) -> tuple[float, float, list[tuple[float, float, int, str]]]:
    """Execute one notebook; returns its wall and kernel CPU seconds, and per code cell
    (wall seconds, CPU seconds, code cell number, first line)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
        record_timing=True,
    )
    started, cpu = {}, {}

    def kernel_cpu() -> float:
        if psutil is None:
            return float("nan")
        times = psutil.Process(client.km.provisioner.process.pid).cpu_times()
        return times.user + times.system

    client.on_cell_execute = lambda cell, cell_index: started.__setitem__(cell_index, kernel_cpu())
    client.on_cell_executed = lambda cell, cell_index, execute_reply: cpu.__setitem__(
        cell_index, kernel_cpu() - started[cell_index]
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    cells = [
        (cell_seconds(c) or 0.0, cpu.get(i, float("nan")), number, first_line(c))
        for number, (i, c) in enumerate(code, start=1)
    ]
    if write:
        nbformat.write(nb, path)
        subprocess.run([sys.executable, "-m", "nbstripout", "--keep-output", "--keep-count", str(path)], check=True)
    return elapsed, sum(c[1] for c in cells), cells


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="default: every notebooks/NN_*.ipynb")
    parser.add_argument("--time-only", action="store_true", help="execute and time, but do not store")
    args = parser.parse_args(argv)
    notebooks = [Path(p).resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not args.time_only:
        subprocess.run([sys.executable, str(ROOT / "tools" / "navigation.py")], check=True)
    print(f"{os.cpu_count()} cores; {load()} before the run", flush=True)
    total, total_cpu, over = 0.0, 0.0, []
    for path in notebooks:
        elapsed, cpu, cells = run(path, write=not args.time_only)
        total, total_cpu = total + elapsed, total_cpu + cpu
        slowest = sorted(cells, reverse=True)[:SLOWEST]
        print(f"{path.name}: {elapsed:.1f} s, kernel CPU {cpu:.1f} s ({load()})", flush=True)
        for seconds, cpu_seconds, number, line in slowest:
            print(f"    cell {number:2}: {seconds:5.1f} s (CPU {cpu_seconds:5.1f} s)  {line}", flush=True)
        if elapsed > NOTEBOOK_LIMIT:
            over.append(f"{path.name} took {elapsed:.1f} s (target {NOTEBOOK_LIMIT:.0f} s)")
        slow = [
            f"{path.name} cell {n} took {s:.1f} s (target {CELL_LIMIT:.0f} s)" for s, _, n, _ in cells if s > CELL_LIMIT
        ]
        over += slow
    print(f"all {len(notebooks)}: {total:.1f} s, kernel CPU {total_cpu:.1f} s (target {TOTAL_LIMIT:.0f} s for all six)")
    for line in over:
        print("  over target: " + line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
