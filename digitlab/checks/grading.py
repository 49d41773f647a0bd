"""What autograding runs and within what limits: shared by ``nbgrader_config.py`` and ``tools/regrade.py``.

A graded cell needs only a few lines of the teaching notebook's ordinary code cells: the imports, the data, and
the ``checks.working`` wiring that lets a later part run on digitlab's reference. The regrade builds a
submission's namespace from those lines; autograding (``GradingContext``, named in ``nbgrader_config.py``) runs
only those lines of each ordinary cell, so both grade on the same context and neither runs the lecture's
figures and sweeps. The feedback shows the outputs without the hidden tests that tracebacks quote and test cells'
results show (``ClearHiddenOutputs``, also named there). A notebook cell is a dict as nbformat stores it (``cell_type``,
``metadata``, ``source``).
"""

from __future__ import annotations

import contextlib
import re
from typing import NamedTuple

#: what one graded cell may cost: its time and its memory (the kernel's address space)
CELL_SECONDS = 120
CELL_BYTES = 3 * 1024**3

#: nbgrader's own preprocessors that ready a submission for autograding (its ``Autograde.sanitize_preprocessors``)
NBGRADER_SANITIZE = [
    f"nbgrader.preprocessors.{name}"
    for name in ("ClearOutput", "DeduplicateIds", "OverwriteKernelspec", "OverwriteCells", "CheckCellMetadata")
]
#: the same with ``GradingContext`` after the locked cells are restored: what ``nbgrader_config.py`` sets
SANITIZE = [*NBGRADER_SANITIZE[:-1], "digitlab.checks.grading.GradingContext", NBGRADER_SANITIZE[-1]]

#: a line of an ordinary code cell that graded code relies on
CONTEXT_LINE = re.compile(
    r"^(import \S|from \S+ import |SEED = |mnist = dl\.|splits = dl\.|pairs = |\w+ = checks\.working\()"
)
#: what an ordinary cell says when autograding kept only its context lines
NOT_RUN_WHEN_GRADING = "# Not run when grading: a demonstration of the teaching notebook; the lines grading uses stay."


def is_ordinary(cell: dict) -> bool:
    """A code cell without nbgrader metadata: the teaching notebook's own code (data, figures, wiring)."""
    return cell["cell_type"] == "code" and "nbgrader" not in cell.get("metadata", {})


def context_of(source: str) -> list[str]:
    """The lines of one ordinary cell's ``source`` that graded code relies on."""
    return [line for line in source.splitlines() if CONTEXT_LINE.match(line)]


def for_grading(source: str) -> str:
    """An ordinary cell's ``source`` as autograding runs it: the note, then its context lines."""
    return "\n".join([NOT_RUN_WHEN_GRADING, *context_of(source)])


#: a hidden-tests region of a test cell, as nbgrader marks it
HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS\n(.*?)^[ \t]*### END HIDDEN TESTS", re.S | re.M)
MARKERS = {"### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"}
#: IPython's colours in a traceback; the line number before a line it quotes (``----> 3 `` or ``      4 ``)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
NUMBERED = re.compile(r"^(?:-*>)?\s*\d+\s?")
#: a hidden call's keyword argument with its value (``seed=4``): a traceback naming one names the test
KEYWORD = re.compile(r"\b\w+=[^,()\s]+")
#: what the feedback shows in place of hidden lines, and of a traceback that names a hidden call's arguments
HIDDEN_NOT_SHOWN = "        (hidden tests: their lines are not shown)"
TRACEBACK_NOT_SHOWN = "(the traceback is not shown: it names the hidden tests' arguments)"


class Hidden(NamedTuple):
    """A notebook's hidden tests as its outputs may show them: their lines (stripped) and keyword arguments."""

    lines: frozenset
    keywords: frozenset


def hidden_tests(sources) -> Hidden:
    """The hidden tests of the code cells' ``sources`` (strings)."""
    regions = [region for source in sources for region in HIDDEN_TESTS.findall(source)]
    lines = {line.strip() for region in regions for line in region.splitlines() if line.strip()}
    return Hidden(frozenset(lines | MARKERS), frozenset(k for region in regions for k in KEYWORD.findall(region)))


def quotes(text: str, hidden: Hidden) -> bool:
    """Whether one line of output ``text`` quotes a hidden line: a short one as the whole line (after IPython's
    line number), a longer one anywhere in it (Python's, IPython's plain and verbose modes quote without one)."""
    plain = ANSI.sub("", text).strip()
    bare = NUMBERED.sub("", plain).strip()
    return bare in hidden.lines or any(len(line) >= 12 and line in plain for line in hidden.lines)


def without_hidden_tests(traceback: list[str], hidden: Hidden) -> list[str]:
    """IPython's ``traceback`` (frames, each lines with ANSI colours, the error's line last) without the hidden
    tests' lines, each run of them replaced by a note; where a frame still names a hidden call's keyword argument
    (verbose mode shows a call's arguments), the error's line alone and a note."""
    cleared = []
    for frame in traceback:
        kept = []
        for line in frame.split("\n"):
            if not quotes(line, hidden):
                kept.append(line)
            elif not kept or kept[-1] != HIDDEN_NOT_SHOWN:
                kept.append(HIDDEN_NOT_SHOWN)
        cleared.append("\n".join(kept))
    frames = ANSI.sub("", "\n".join(cleared[:-1]))
    if any(names(frames, keyword) for keyword in hidden.keywords):
        return [TRACEBACK_NOT_SHOWN, *cleared[-1:]]
    return cleared


def names(text: str, keyword: str) -> bool:
    """Whether ``text`` holds the keyword argument ``keyword`` (``seed=1`` is not in ``seed=11``)."""
    return re.search(rf"(?<![\w.]){re.escape(keyword)}(?![\w.])", text) is not None


def feedback_outputs(outputs: list, holds_hidden: bool, hidden: Hidden) -> list:
    """A code cell's ``outputs`` (nbformat's) as the feedback shows them: tracebacks and printed lines without the
    notebook's ``hidden`` tests, and, in a cell that ``holds_hidden`` tests, no result value (the last hidden
    call's; the visible checks print theirs). nbgrader clears the hidden tests from the source alone."""
    shown = []
    for output in outputs:
        if output.get("output_type") == "execute_result" and holds_hidden:
            continue
        if output.get("output_type") == "error":
            output["traceback"] = without_hidden_tests(output["traceback"], hidden)
        elif output.get("output_type") == "stream":
            lines = output["text"].splitlines(keepends=True)
            output["text"] = "".join(line for line in lines if not quotes(line, hidden))
        shown.append(output)
    return shown


def cap_memory(limit: int = CELL_BYTES) -> None:
    """Cap this process's address space (and its children's: a kernel inherits it) at ``limit`` bytes, where the
    system allows; a lower limit already set is kept."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _preprocessors() -> dict[str, type]:
    """nbgrader's preprocessors running ``for_grading`` on each ordinary cell and ``feedback_outputs`` on every
    code cell's outputs (nbgrader imported on first use)."""
    from nbgrader.preprocessors import NbGraderPreprocessor

    class GradingContext(NbGraderPreprocessor):
        """Keep only the grading context's lines in each ordinary code cell of a submission."""

        def preprocess_cell(self, cell, resources, index):
            if is_ordinary(cell):
                cell.source = for_grading(cell.source)
            return cell, resources

    class ClearHiddenOutputs(NbGraderPreprocessor):
        """Take the hidden tests out of every feedback cell's outputs (``feedback_outputs``), before nbgrader's
        ``ClearHiddenTests`` takes them out of the test cells' source."""

        def preprocess(self, nb, resources):
            self.hidden = hidden_tests(cell.source for cell in nb.cells if cell.cell_type == "code")
            return super().preprocess(nb, resources)

        def preprocess_cell(self, cell, resources, index):
            if cell.cell_type == "code":
                holds = bool(HIDDEN_TESTS.search(cell.source))
                cell.outputs = feedback_outputs(cell.get("outputs", []), holds, self.hidden)
            return cell, resources

    return {"GradingContext": GradingContext, "ClearHiddenOutputs": ClearHiddenOutputs}


def __getattr__(name: str):  # ``digitlab.checks.grading.GradingContext`` and the other, named in nbgrader_config.py
    if name in ("GradingContext", "ClearHiddenOutputs"):
        globals().update(_preprocessors())
        return globals()[name]
    raise AttributeError(name)
