"""The course: nbgrader reads this when run from the repository's root (see coursework/README.md).

The assignments' source is the teaching notebooks themselves: coursework/source/<assignment>/ holds a link to
the notebook that carries its solution and test markers. The student copies are generated into
coursework/release/ and committed; submissions, grades and feedback stay local (ignored by git).
"""

import sys

from digitlab.checks.grading import CELL_SECONDS, SANITIZE, cap_memory

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "digitlab"
c.CourseDirectory.source_directory = "coursework/source"
c.CourseDirectory.release_directory = "coursework/release"
c.CourseDirectory.submitted_directory = "coursework/submitted"
c.CourseDirectory.autograded_directory = "coursework/autograded"
c.CourseDirectory.feedback_directory = "coursework/feedback"
c.CourseDirectory.db_url = "sqlite:///coursework/gradebook.db"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Limits on what one submission can cost when autograded (digitlab/checks/grading.py): each cell gets at most
# 120 s (the slowest graded cell takes a few seconds), and the kernel (a child of the autograding process, so it
# inherits the limit) at most 3 GiB of address space, so a runaway answer ends its own cell, not the grading
# machine's memory. Only `nbgrader autograde` is capped: JupyterLab reads this file too.
c.Execute.timeout = CELL_SECONDS
c.Execute.interrupt_on_timeout = True
if "autograde" in sys.argv[1:3]:
    cap_memory()

# Autograding runs what grading needs, not the lecture: in every code cell without nbgrader metadata (the teaching
# notebook's figures, sweeps and the report's runs) only the lines the graded cells rely on are kept (imports, the
# data, the `checks.working` wiring), the same context the regrade (tools/regrade.py) grades on. Solution and test
# cells run whole, as written. A notebook's autograde then costs its tests, not its whole lecture; the feedback
# shows each such cell with a line saying so.
c.Autograde.sanitize_preprocessors = SANITIZE  # nbgrader's own, GradingContext after the locked cells

# Feedback shows the student's answers and the checks' messages, never the hidden tests' source (their calls, seeds
# and arguments): the hidden regions are cleared from the feedback copy as they were from the student copy, and
# from its outputs too (nbgrader's ClearHiddenTests clears the source alone): a test cell stopped by an error, say a
# renamed answer's NameError, has IPython quote the lines around it, and a test cell's result is its last hidden
# call's. A hidden check that fails still says what failed on the input it tried (a shape, say): that is feedback.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "digitlab.checks.grading.ClearHiddenOutputs",
    "nbgrader.preprocessors.ClearHiddenTests",
]
