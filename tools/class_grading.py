"""Grade a class's submissions of one assignment on every core, decide the points outside the kernels, report.

    python tools/class_grading.py ASSIGNMENT [--jobs N] [--cell-seconds S]   # run from the course root

1. ``nbgrader autograde`` runs the submissions in ``coursework/submitted/*/ASSIGNMENT/``, N students at a time
   (N = the number of cores), all writing to the one gradebook (SQLite waits for its lock; nothing is merged).
   A submission whose autograde fails is listed as failed, and the others go on.
2. ``tools/regrade.py`` grades each submission again in a fresh process that loads the checks first and runs
   only the definitions of the student's answers (``regrade.py`` says what that excludes); its points replace
   the autograded ones in the gradebook, so tampering inside a kernel gains nothing.
3. ``coursework/autograded/.report/ASSIGNMENT.md``: per submission, what needs a human look: an autograde that failed,
   points the kernel gave that the regrade did not, code that reaches into the grader (``tools/review.py``),
   answers identical to the published solution after normalising names and layout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import regrade  # noqa: E402
import review  # noqa: E402

from digitlab.checks.grading import CELL_SECONDS  # noqa: E402

HERE = Path(__file__).resolve().parent


def env() -> dict:
    """This environment's bin directory first on PATH (nbgrader runs ``alembic`` from there), and BLAS on one
    thread in every kernel and regrade: they run one per core, and two pools of two threads on two cores made a
    one-second check take a minute."""
    from digitlab.threads import ONE_THREAD_ENV

    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, **ONE_THREAD_ENV, "PATH": path}


def students_of(course: Path, assignment: str) -> list[str]:
    return sorted(p.parent.name for p in (course / "coursework" / "submitted").glob(f"*/{assignment}"))


def autograde_one(course: Path, assignment: str, student: str, seconds: int) -> tuple[str, bool, str]:
    """``nbgrader autograde`` of one student's submission; (student, succeeded, the end of its log)."""
    db = f"sqlite:///{course / 'coursework' / 'gradebook.db'}?timeout=600"
    command = [sys.executable, "-m", "nbgrader", "autograde", assignment, f"--student={student}", "--force"]
    result = subprocess.run(
        [*command, f"--CourseDirectory.db_url={db}", f"--Execute.timeout={seconds}"],
        cwd=course,
        env=env(),
        capture_output=True,
        text=True,
    )
    log = result.stdout + result.stderr
    failed = result.returncode != 0 or "| ERROR]" in log
    return student, not failed, log[-1500:]


def regrade_one(course: Path, assignment: str, student: str, seconds: int) -> tuple[str, dict | None, str]:
    """Each notebook of the submission graded by ``tools/regrade.py`` in a fresh process: {notebook: verdicts}."""
    verdicts = {}
    for teaching in sorted((course / "coursework" / "source" / assignment).glob("*.ipynb")):
        submitted = course / "coursework" / "submitted" / student / assignment / teaching.name
        if not submitted.is_file():
            return student, None, f"{teaching.name} not submitted"
        tests = sum(map(regrade.is_test, regrade.nbgrader_cells(json.loads(teaching.read_text()))))
        limit = (tests + 2) * seconds  # every test cell, and the answers' definitions, each within its limit
        try:
            result = subprocess.run(
                [sys.executable, str(HERE / "regrade.py"), str(teaching), str(submitted), f"--seconds={seconds}"],
                cwd=course,
                env=env(),
                capture_output=True,
                text=True,
                timeout=limit,
            )
        except subprocess.TimeoutExpired:
            return student, None, f"{teaching.name}: the regrade ran over {limit} s (an answer that never stops?)"
        lines = result.stdout.strip().splitlines()
        try:
            verdicts[teaching.stem] = json.loads(lines[-1])
        except (IndexError, ValueError):  # the answers ended the process (an exit), or it crashed
            end = (result.stderr or result.stdout).strip()[-300:] or f"exit status {result.returncode}, no verdicts"
            return student, None, f"{teaching.name}: {end}"
    return student, verdicts, ""


def record(course: Path, assignment: str, regraded: dict, unchecked: list[str]) -> dict[str, list[str]]:
    """Write the regrade's points into the gradebook; per student, the cells where the kernel gave more. A
    submission whose autograde never reached the gradebook is entered first, so its regraded points count. The
    ``unchecked`` submissions (their regrade failed) keep the kernel's points, every one marked for a human."""
    from nbgrader.api import Gradebook, MissingEntry

    raised = {}
    with Gradebook(f"sqlite:///{course / 'coursework' / 'gradebook.db'}") as gradebook:
        for student in unchecked:
            with contextlib.suppress(MissingEntry):
                for notebook in gradebook.find_submission(assignment, student).notebooks:
                    for grade in notebook.grades:
                        if grade.auto_score is not None:
                            grade.needs_manual_grade = True
        gradebook.db.commit()
        for student, notebooks in regraded.items():
            try:
                gradebook.find_submission(assignment, student)
            except MissingEntry:
                gradebook.update_or_create_student(student)
                gradebook.add_submission(assignment, student)
            for notebook, verdicts in (notebooks or {}).items():
                for grade_id, (score, _, _) in verdicts.items():
                    try:
                        grade = gradebook.find_grade(grade_id, notebook, assignment, student)
                    except MissingEntry:
                        continue
                    if (grade.auto_score or 0) > score:
                        raised.setdefault(student, []).append(f"{grade_id}: kernel {grade.auto_score}, regrade {score}")
                    grade.auto_score = score
            gradebook.db.commit()
    return raised


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--course", type=Path, default=Path.cwd())
    parser.add_argument("--cell-seconds", type=int, default=CELL_SECONDS, help="each cell's time limit")
    args = parser.parse_args(argv)
    course, assignment = args.course.resolve(), args.assignment
    students = students_of(course, assignment)
    if not students:
        print(f"no submissions in coursework/submitted/*/{assignment}/")
        return 1
    start = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        autograded = {
            s: (ok, log)
            for s, ok, log in pool.map(lambda s: autograde_one(course, assignment, s, args.cell_seconds), students)
        }
        regraded = {
            s: (v, err)
            for s, v, err in pool.map(lambda s: regrade_one(course, assignment, s, args.cell_seconds), students)
        }
    unchecked = [s for s, (v, _) in regraded.items() if v is None]
    raised = record(course, assignment, {s: v for s, (v, _) in regraded.items() if v}, unchecked)
    findings = review.review(course, assignment, students)
    lines = [f"# {assignment}: what needs a human look", ""]
    for student in students:
        notes = []
        if not autograded[student][0]:
            notes.append(f"- autograde FAILED (not a 0): {autograded[student][1].strip().splitlines()[-1:]}")
        verdicts, error = regraded[student]
        if verdicts is None:
            notes.append(f"- regrade FAILED, the kernel's points kept and marked for a human: {error.strip()[-300:]}")
        else:
            points = sum(v[0] for nb in verdicts.values() for v in nb.values())
            total = sum(v[1] for nb in verdicts.values() for v in nb.values())
            notes.append(f"- auto-graded points (regraded): {points:g} of {total:g}")
        notes += [f"- the kernel gave more than the regrade: {item}" for item in raised.get(student, [])]
        notes += [f"- {finding}" for finding in findings.get(student, [])]
        lines += [f"## {student}", *notes, ""]
    report = course / "coursework" / "autograded" / ".report" / f"{assignment}.md"  # ignored by git and nbgrader
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(lines))
    failed = sum(not ok for ok, _ in autograded.values())
    print(
        f"{assignment}: {len(students)} submissions on {args.jobs} workers in {time.perf_counter() - start:.1f} s; "
        f"{failed} autograde(s) failed; report: {report.relative_to(course)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
