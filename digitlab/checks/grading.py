"""What autograding runs and within what limits: shared by ``nbgrader_config.py`` and ``tools/regrade.py``.

A graded cell needs only a few lines of the teaching notebook's ordinary code cells: the imports, the data, and
the ``checks.working`` wiring that lets a later part run on digitlab's reference. The regrade builds a
submission's namespace from those lines; autograding (``GradingContext``, named in ``nbgrader_config.py``) runs
only those lines of each ordinary cell, so both grade on the same context and neither runs the lecture's
figures and sweeps. The feedback shows a test cell's errors without the hidden tests IPython's traceback quotes
(``ClearHiddenTracebacks``, also named there). A notebook cell is a dict as nbformat stores it (``cell_type``,
``metadata``, ``source``).
"""

from __future__ import annotations

import contextlib
import re

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
#: IPython's colours in a traceback, and one source line it quotes (``----> 3 code`` or ``      4 code``)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
QUOTED = re.compile(r"^(?:-*>)?\s*\d+ ?(.*)$")
#: what a traceback shows in place of the hidden tests' lines
HIDDEN_NOT_SHOWN = "        (hidden tests: their lines are not shown)"


def without_hidden_tests(traceback: list[str], source: str) -> list[str]:
    """IPython's ``traceback`` (a list of frames, each lines with ANSI colours) of an error in the test cell
    ``source``, without the lines of that cell's hidden tests: a frame quoting one keeps its other lines and says
    that some are not shown. nbgrader clears the hidden tests from a feedback cell's source, not from its
    outputs."""
    regions = HIDDEN_TESTS.findall(source)
    hidden = {line.strip() for region in regions for line in region.splitlines() if line.strip()}
    hidden |= {"### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"}
    cleared = []
    for frame in traceback:
        kept = []
        for line in frame.split("\n"):
            quoted = QUOTED.match(ANSI.sub("", line))
            if quoted and quoted.group(1).strip() in hidden:
                if not kept or kept[-1] != HIDDEN_NOT_SHOWN:
                    kept.append(HIDDEN_NOT_SHOWN)
                continue
            kept.append(line)
        cleared.append("\n".join(kept))
    return cleared


def cap_memory(limit: int = CELL_BYTES) -> None:
    """Cap this process's address space (and its children's: a kernel inherits it) at ``limit`` bytes, where the
    system allows; a lower limit already set is kept."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _preprocessors() -> dict[str, type]:
    """nbgrader's preprocessors running ``for_grading`` on each ordinary cell and ``without_hidden_tests`` on
    each test cell's errors (nbgrader imported on first use)."""
    from nbgrader.preprocessors import NbGraderPreprocessor

    class GradingContext(NbGraderPreprocessor):
        """Keep only the grading context's lines in each ordinary code cell of a submission."""

        def preprocess_cell(self, cell, resources, index):
            if is_ordinary(cell):
                cell.source = for_grading(cell.source)
            return cell, resources

    class ClearHiddenTracebacks(NbGraderPreprocessor):
        """Take the hidden tests' lines out of the tracebacks of each feedback cell that holds them (before
        nbgrader's ``ClearHiddenTests`` takes them out of its source)."""

        def preprocess_cell(self, cell, resources, index):
            if cell.cell_type == "code" and HIDDEN_TESTS.search(cell.source):
                for output in cell.get("outputs", []):
                    if output.output_type == "error":
                        output.traceback = without_hidden_tests(output.traceback, cell.source)
            return cell, resources

    return {"GradingContext": GradingContext, "ClearHiddenTracebacks": ClearHiddenTracebacks}


def __getattr__(name: str):  # ``digitlab.checks.grading.GradingContext`` and the other, named in nbgrader_config.py
    if name in ("GradingContext", "ClearHiddenTracebacks"):
        globals().update(_preprocessors())
        return globals()[name]
    raise AttributeError(name)
