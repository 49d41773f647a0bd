"""Make the student hand-out: the student copies only, linked among themselves, with a short README.

    python tools/handout.py OUT        # writes OUT/<assignment>/<notebook>.ipynb and OUT/README.md

The committed student copies (coursework/release/) link back to the teaching notebooks, which hold every
solution and hidden test; in the hand-out a link to a notebook that is handed out points to its copy, and a link
to any other notebook is replaced by its text. Nothing else of the repository is copied.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "coursework" / "release"
LINK = re.compile(r"\[([^\[\]\"\n]*)\]\(\.\./\.\./\.\./notebooks/(\d\d_[A-Za-z0-9_]+\.ipynb)\)")

README = """# digitlab coursework

{count} assignments, one notebook each: {names}. Open one in JupyterLab with `digitlab` installed (the
course tells you how), work top to bottom, and run each part's check cell after the part: it answers within a
second, "passes" or what is wrong. Hidden tests grade the same parts on other seeds and shapes, and a few
questions in words are graded by hand. JupyterLab's **Validate** button runs every check at once.

Rules the grading enforces:

- Write each part yourself. An answer that calls digitlab's own implementation of that part (for example
  `dl.softmax` inside your `stable_softmax`) scores 0 on that part; using your earlier parts, or digitlab's
  where a later part's instructions say so, is fine.
- Your answers are graded again outside your notebook, from your answer cells alone: code outside your
  functions, or code that changes the checks, NumPy or the notebook's machinery, gains nothing and is shown to
  the instructor. A function may use its arguments, the notebook's imports and data (`splits`, `pairs`) and
  your other answers; a name made in one of the notebook's demonstration cells is not there when graded.

The digitlab repository's teaching notebooks (notebooks/ there) are the published solutions of these
assignments: reading them while you work on a graded assignment is copying, and answers identical to them
are shown to the instructor. Use them after the deadline, or as your course allows.
"""


def handed_out() -> dict[str, str]:
    """``notebook file name -> assignment`` for every student copy."""
    return {nb.name: nb.parent.name for nb in sorted(RELEASE.glob("*/*.ipynb"))}


def relink(text: str, copies: dict[str, str]) -> str:
    """Links to handed-out notebooks point to their copies; links to others become plain text."""

    def one(match: re.Match) -> str:
        label, name = match.groups()
        return f"[{label}](../{copies[name]}/{name})" if name in copies else label

    return LINK.sub(one, text)


def make(out: Path) -> list[Path]:
    copies = handed_out()
    if out.exists():
        shutil.rmtree(out)
    written = []
    for name, assignment in copies.items():
        target = out / assignment / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(relink((RELEASE / assignment / name).read_text(), copies))
        written.append(target)
    names = ", ".join(f"`{a}`" for a in sorted(set(copies.values())))
    (out / "README.md").write_text(README.format(count=len(set(copies.values())), names=names))
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    for path in make(Path(argv[0]).resolve()):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
