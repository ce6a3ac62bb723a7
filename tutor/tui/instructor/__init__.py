"""The instructor's screens: the cohort table, one learner's drill-down, CSV export.

``tutor instructor`` (no subcommand) calls :func:`run_instructor`.
"""

from __future__ import annotations

from typing import Any


def run_instructor(settings: Any) -> None:
    from tutor.tui.instructor.app import InstructorApp

    InstructorApp(settings).run()
