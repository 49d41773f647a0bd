"""The course: nbgrader reads this when run from the repository's root (see coursework/README.md).

The assignments' source is the teaching notebooks themselves: coursework/source/<assignment>/ holds a link to
the notebook that carries its solution and test markers. The student copies are generated into
coursework/release/ and committed; submissions, grades and feedback stay local (ignored by git).
"""

import sys

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "digitlab"
c.CourseDirectory.source_directory = "coursework/source"
c.CourseDirectory.release_directory = "coursework/release"
c.CourseDirectory.submitted_directory = "coursework/submitted"
c.CourseDirectory.autograded_directory = "coursework/autograded"
c.CourseDirectory.feedback_directory = "coursework/feedback"
c.CourseDirectory.db_url = "sqlite:///coursework/gradebook.db"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Limits on what one submission can cost when autograded: each cell gets at most 120 s (the slowest graded cell,
# the ten-digit training, takes about 15 s), and the kernel (a child of the autograding process, so it inherits
# the limit, soft and hard) at most 3 GiB of address space, so a runaway answer ends its own cell, not the
# grading machine's memory. Only `nbgrader autograde` is capped: JupyterLab reads this file too.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
if "autograde" in sys.argv[1:3]:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))
    except (ImportError, ValueError, OSError):  # not on this platform, or a lower limit already: kept as is
        pass

# Feedback shows the student's answers and the checks' messages, never the hidden tests' source (their seeds and
# shapes): the hidden regions are cleared from the feedback copy as they were from the student copy.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]
