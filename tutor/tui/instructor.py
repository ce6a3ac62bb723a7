"""The instructor's screens: a first, rough cohort view over the progress store."""

from __future__ import annotations

from typing import Any


def run_instructor(settings: Any) -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer, Static

    class InstructorApp(App):
        BINDINGS = [("ctrl+q", "quit", "Quit")]

        def compose(self) -> ComposeResult:
            try:
                from tutor.store import open_store

                store = open_store(settings)
                table = DataTable()
                matrix = store.cohort_matrix()
                yield Static("Cohort (learners x lessons)")
                table.add_columns("learner", "lesson", "status", "grade")
                for row in matrix["rows"]:
                    for lesson, cell in row["cells"].items():
                        grade = "" if cell["grade"] is None else f"{cell['grade'] * 100:.0f}%"
                        table.add_row(row["learner"], str(lesson), cell["status"], grade)
                yield table
            except ImportError:
                yield Static("The progress store is not available yet, so there is no cohort to show.")
            yield Footer()

    InstructorApp().run()
