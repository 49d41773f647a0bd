"""The course: nbgrader reads this when run from the repository's root (see coursework/README.md).

The assignments' source is the teaching notebooks themselves: coursework/source/<assignment>/ holds a link to
the notebook that carries its solution and test markers. The student copies are generated into
coursework/release/ and committed; submissions, grades and feedback stay local (ignored by git).
"""

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "digitlab"
c.CourseDirectory.source_directory = "coursework/source"
c.CourseDirectory.release_directory = "coursework/release"
c.CourseDirectory.submitted_directory = "coursework/submitted"
c.CourseDirectory.autograded_directory = "coursework/autograded"
c.CourseDirectory.feedback_directory = "coursework/feedback"
c.CourseDirectory.db_url = "sqlite:///coursework/gradebook.db"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
