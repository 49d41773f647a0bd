"""Generate the student copies of the coursework from the teaching notebooks, or check that they are current.

    python tools/coursework.py           # nbgrader generate_assignment of every assignment -> coursework/release/
    python tools/coursework.py --check   # exit 1, naming the files, when a committed student copy is stale

Each assignment's source is a teaching notebook carrying nbgrader's solution and test markers, linked from
coursework/source/<assignment>/. nbgrader runs in a temporary course directory (so the repository gets no
gradebook), with this Python's bin directory first on PATH: on a fresh course nbgrader creates its gradebook
by running the ``alembic`` command it finds there. Links between notebooks are rewritten to point from
coursework/release/<assignment>/ back into notebooks/.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE, RELEASE = ROOT / "coursework" / "source", ROOT / "coursework" / "release"
NOTEBOOK_LINK = re.compile(r"\]\((\d\d_[A-Za-z0-9_]+\.ipynb)\)")  # a Markdown link to a sibling notebook


def assignments() -> list[str]:
    """The assignment names, in order: the folders of coursework/source/."""
    return sorted(p.name for p in SOURCE.iterdir() if p.is_dir())


def nbgrader(args: list[str], course: Path) -> None:
    """Run the nbgrader command line in ``course`` with this environment's bin directory first on PATH."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")


def course_copy(course: Path) -> None:
    """A course directory in ``course``: the config and the sources, links resolved to the notebooks."""
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(SOURCE, course / "coursework" / "source", symlinks=False)


def generate(out: Path) -> list[Path]:
    """Generate every assignment's student copies into ``out/<assignment>/``; returns the notebooks written."""
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        course_copy(course)
        nbgrader(["generate_assignment", "*", "--force"], course)  # every assignment, in one nbgrader process
        for name in assignments():
            for notebook in sorted((course / "coursework" / "release" / name).glob("*.ipynb")):
                target = out / name / notebook.name
                target.parent.mkdir(parents=True, exist_ok=True)
                text = NOTEBOOK_LINK.sub(r"](../../../notebooks/\1)", notebook.read_text())
                target.write_text(text)
                written.append(target)
    return written


def main(argv: list[str]) -> int:
    if argv and argv != ["--check"]:
        print(__doc__)
        return 2
    if not argv:
        shutil.rmtree(RELEASE, ignore_errors=True)
        for path in generate(RELEASE):
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        stale = [
            f"coursework/release/{p.relative_to(tmp)}"
            for p in fresh
            if not (RELEASE / p.relative_to(tmp)).is_file() or not filecmp.cmp(p, RELEASE / p.relative_to(tmp), False)
        ]
        extra = {p.relative_to(RELEASE) for p in RELEASE.rglob("*.ipynb")} - {p.relative_to(tmp) for p in fresh}
    stale += [f"coursework/release/{p} (no longer generated)" for p in sorted(extra)]
    if stale:
        print("stale student copies (run: python tools/coursework.py):\n  " + "\n  ".join(stale))
        return 1
    print(f"the student copies of {len(assignments())} assignment(s) are current")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
