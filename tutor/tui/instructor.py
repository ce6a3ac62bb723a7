"""The instructor's screens. The progress store has not landed yet; say so instead of crashing."""

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
                for row in matrix:
                    values = row if isinstance(row, (list, tuple)) else list(dict(row).values())
                    table.add_row(*[str(v) for v in list(values)[:4]])
                yield table
            except ImportError:
                yield Static("The progress store is not available yet, so there is no cohort to show.")
            yield Footer()

    InstructorApp().run()
