"""What in a class's submissions needs a human look: code that reaches into the grader, and copied solutions.

    python tools/review.py ASSIGNMENT        # from the course root: one line per finding, by student

Every code cell a student wrote or added (not the locked test cells) is searched for the patterns of tampering
with the grading: rebinding the checks, NumPy or builtins, IPython hooks and tracebacks, the environment nbgrader
sets, reading files (the solutions) or digitlab's own source, profiling hooks, process exits and signals, the
kernel's history (``In``, ``Out``, ``%tb``: the feedback hides the hidden tests, a kernel does not); answer
cells also for the notebook's global test or hold-out split. Each
answer cell is compared with the published solution (the teaching notebook's solution region) after every name
is replaced by its order of appearance and layout, comments and docstrings are dropped: identical means copied,
or an answer so short that only one form exists; a human decides.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

PATTERNS = {
    r"\bchecks\s*\.\s*\w+\s*=|\bchecks\s*=": "rebinds digitlab's checks",
    r"\b(np|numpy)\s*\.\s*[\w.]+\s*=(?!=)": "rebinds part of NumPy",
    r"\bbuiltins\b|__builtins__": "touches the builtins",
    r"get_ipython|ast_transformers|showtraceback|InteractiveShell": "hooks into IPython",
    r"NBGRADER|os\.environ": "reads the environment (nbgrader marks its autograde there)",
    r"__file__|\bopen\s*\(|read_text|Path\s*\(": "reads files (the solutions are files)",
    r"\bsetattr\s*\(|sys\.modules|importlib": "patches modules by name",
    r"setprofile|settrace|_getframe|\binspect\b|currentframe|\bf_(back|locals|globals)\b": "inspects or traces the "
    "grader's frames",
    r"__code__|\bco_code\b|\.replace\(\s*co_": "reaches into code objects (a renamed copy of digitlab's own code?)",
    r"\b(dl|digitlab|checks|feedback)(\.\w+)*\._[A-Za-z]|from\s+digitlab[\w.]*\s+import\s+.*\b_[A-Za-z]": "reaches for "
    "a private name of digitlab (a module's inner state)",
    r"os\._exit|sys\.exit|\bsignal\b|\bexec\s*\(|\beval\s*\(": "exits, handles signals, or runs built strings",
    r"\b(In|Out|_oh|_ih)\s*[\[.)]|\bsys\s*\.\s*last_\w+|%tb\b": "reads the kernel's history or last error (the "
    "test cells' source, results and tracebacks, hidden tests included)",
}
#: searched in answer cells only (the teaching notebook's own cells score the splits by these names)
ANSWER_PATTERNS = {
    r"\bsplits\s*\.\s*(test|holdout)\b|\bmnist\s*\.": "reads the notebook's test or hold-out images by a global name "
    "(fine for a printout; inside a training answer the test set would choose)",
    r"\bseed_splits\s*\(|\bload_mnist\s*\(": "loads MNIST itself inside an answer (where the hold-out and test "
    "images are)",
}
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def text(cell: dict) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def normalised(source: str) -> str | None:
    """The code's shape: names numbered by first appearance, docstrings, comments and layout gone."""
    try:
        tree = ast.parse(source.strip() and __import__("textwrap").dedent(source))
    except SyntaxError:
        return None
    names: dict[str, str] = {}

    def rename(name: str) -> str:
        return names.setdefault(name, f"v{len(names)}")

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.name = rename(node.name)
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                node.body = body[1:] or [ast.Pass()]
        elif isinstance(node, ast.Name):
            node.id = rename(node.id)
        elif isinstance(node, ast.arg):
            node.arg = rename(node.arg)
    return ast.dump(tree, annotate_fields=False)


def solutions(teaching: dict) -> dict[str, str]:
    """``grade_id -> normalised solution region`` of the teaching notebook's answer cells."""
    out = {}
    for cell in teaching["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        regions = SOLUTION.findall(text(cell)) if cell["cell_type"] == "code" and meta.get("solution") else []
        if regions:
            out[meta["grade_id"]] = normalised("\n".join(regions))
    return out


def findings(teaching: dict, submission: dict) -> list[str]:
    """The findings in one submitted notebook."""
    found, published = [], solutions(teaching)
    for cell in submission["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] != "code" or meta.get("locked"):
            continue
        where = meta.get("grade_id", "a cell the student added")
        source = text(cell)
        patterns = {**PATTERNS, **(ANSWER_PATTERNS if meta.get("solution") else {})}
        for pattern, what in patterns.items():
            if re.search(pattern, source):
                found.append(f"{where}: {what} ({re.search(pattern, source).group(0).strip()!r})")
        body = "\n".join(SOLUTION.findall(source)) or source
        mine = normalised(_answer_part(source, body))
        if where in published and mine is not None and mine == published[where]:
            found.append(f"{where}: identical to the published solution after normalising names and layout")
    return found


def _answer_part(source: str, body: str) -> str:
    """The student's code inside the function the stub left (the lines after the signature and docstring)."""
    lines = [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return body
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            statements = node.body[1:] if isinstance(node.body[0], ast.Expr) else node.body
            return "\n".join(ast.unparse(s) for s in statements)
    return "\n".join(lines)


def review(course: Path, assignment: str, students: list[str]) -> dict[str, list[str]]:
    """``student -> findings`` over every notebook of the assignment."""
    out = {}
    for teaching_path in sorted((course / "coursework" / "source" / assignment).glob("*.ipynb")):
        teaching = json.loads(teaching_path.read_text())
        for student in students:
            path = course / "coursework" / "submitted" / student / assignment / teaching_path.name
            if path.is_file():
                out.setdefault(student, []).extend(findings(teaching, json.loads(path.read_text())))
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    course = Path.cwd()
    students = sorted(p.parent.name for p in (course / "coursework" / "submitted").glob(f"*/{argv[0]}"))
    for student, items in review(course, argv[0], students).items():
        for item in items:
            print(f"{student}: {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
