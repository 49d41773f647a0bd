"""Time the grading: one student's four assignments, then a class graded on every core.

    python benchmarks/bench_autograde.py [--students N] [--jobs J]

In a temporary course (tools/coursework.py sets it up as an instructor's is), with the solutions as every
submission: first one student, one assignment at a time, ``nbgrader autograde`` alone, run both ways (the whole
lecture, nbgrader's own preprocessors, against the grading context that nbgrader_config.py sets: see
digitlab/checks/grading.py) and the regrade alone (tools/regrade.py in a fresh process); then N students of every
assignment through tools/class_grading.py (autograde on J workers, regrade, gradebook, report). Prints one row per
step and the class's time scaled to 100 students (grading time grows with the number of submissions; the machine's
load is printed beside it, since other work on the same cores slows every number).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import coursework  # noqa: E402
from digitlab.checks.grading import NBGRADER_SANITIZE  # noqa: E402


def submit(course: Path, name: str, students: list[str]) -> None:
    for notebook in sorted((coursework.SOURCE / name).glob("*.ipynb")):
        content = json.loads(notebook.read_text())
        for student in students:
            target = course / "coursework" / "submitted" / student / name / notebook.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(content))


def timed(command: list[str], course: Path) -> float:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    start = time.perf_counter()
    result = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        coursework.course_copy(course)
        one = {}
        for name in coursework.assignments():
            coursework.nbgrader(["generate_assignment", name, "--force"], course)
            submit(course, name, ["one"])
            command = [sys.executable, "-m", "nbgrader", "autograde", name, "--force"]
            lecture = timed([*command, *(f"--Autograde.sanitize_preprocessors={p}" for p in NBGRADER_SANITIZE)], course)
            autograde = timed(command, course)
            teaching = sorted((coursework.SOURCE / name).glob("*.ipynb"))[0]
            submitted = course / "coursework" / "submitted" / "one" / name / teaching.name
            regrade = timed([sys.executable, str(ROOT / "tools" / "regrade.py"), str(teaching), str(submitted)], course)
            one[name] = autograde + regrade
            print(
                f"one student, {name:24} autograde: whole lecture {lecture:6.1f} s, grading context {autograde:6.1f} s;"
                f" regrade {regrade:6.1f} s"
            )
        print(f"one student, all four: {sum(one.values()):.1f} s, one notebook at a time")
        shutil.rmtree(course / "coursework" / "submitted")
        students = [f"s{i:03d}" for i in range(args.students)]
        total = 0.0
        for name in coursework.assignments():
            submit(course, name, students)
            seconds = timed(
                [sys.executable, str(ROOT / "tools" / "class_grading.py"), name, f"--jobs={args.jobs}"], course
            )
            total += seconds
            print(f"class of {args.students}, {name:24} {seconds:6.1f} s on {args.jobs} workers")
        print(
            f"class of {args.students}, all four: {total:.1f} s; "
            f"scaled to 100 students: {total * 100 / args.students / 60:.0f} min "
            f"(load average {os.getloadavg()[0]:.1f} at the end)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
