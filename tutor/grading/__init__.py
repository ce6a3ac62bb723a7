"""Grading lab folders: deterministic checks from the rubric files, then an LLM judge per
criterion with fenced, anonymised materials and verified evidence quotes.

    from tutor.grading import grade_folder, grade_many
    report = grade_folder("labs/lesson_01", settings=settings)       # report.json content
    batch = grade_many([Path("cohort/")], settings=settings, workers=4)

``grade_folder`` runs the judge with ``asyncio.run``: call it from a worker thread, not from
inside a running event loop (e.g. ``await asyncio.to_thread(grade_folder, ...)`` in the TUI).
"""

from tutor.grading.batch import BadInput, grade_many
from tutor.grading.grader import grade_folder
from tutor.grading.report import SCHEMA_PATH, SCHEMA_VERSION

__all__ = ["grade_folder", "grade_many", "BadInput", "SCHEMA_PATH", "SCHEMA_VERSION"]
