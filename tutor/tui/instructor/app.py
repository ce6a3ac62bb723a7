"""InstructorApp: the cohort table (learners x lessons), a learner's drill-down, CSV export.

Everything shown comes from the progress store's own queries (``cohort_matrix``,
``learner_overview``, ``export.write_csv``); this module only lays it out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Markdown, Static

from tutor.tui.marks import grade_text, legend, literal, mark
from tutor.untrusted import rich as rich_literal, terminal


def cohort_cell(cell: dict) -> Text:
    """One learner x lesson cell: the status marker, then the latest grade when there is one, and
    a red "copy" when the same content came from another learner (flagged, never hidden)."""
    text = mark(cell["status"])
    if cell.get("grade") is not None:
        text.append(f" {grade_text(cell['grade'])}")
    if cell.get("duplicate_of"):
        text.append(" copy", style="bold red")
    return text



def default_export_path(settings: Any) -> Path:
    return Path(settings.home_dir) / "exports" / "progress.csv"


class InstructorApp(App):
    CSS_PATH = Path(__file__).with_name("instructor.tcss")  # absolute: subclasses elsewhere still find it
    TITLE = "tutor instructor"
    BINDINGS = [
        Binding("enter", "open_learner", "Details", show=False, tooltip="open the highlighted learner"),
        Binding("e", "export", "Export CSV", tooltip="write the learner x lesson table to a CSV file"),
        Binding("r", "refresh", "Refresh", tooltip="read the progress store again"),
        Binding("f1,question_mark", "help", "Help", tooltip="this list of keys"),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def __init__(self, settings: Any, store: Any = None):
        super().__init__()
        self.settings = settings
        self.store = store
        self.loaded = False
        self.learner_ids: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="cohort-pane"):
            yield Static("Cohort: loading the progress store...", id="cohort-title", markup=False)
            yield DataTable(id="cohort", cursor_type="row", zebra_stripes=True)
            yield Static(f"cell: status and latest grade   {legend()}   enter: learner details", id="cohort-legend")
            yield Markdown("", id="cohort-notes")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.load_cohort()

    @work(thread=True, exclusive=True, group="cohort")
    def load_cohort(self) -> None:
        try:
            if self.store is None:
                from tutor.store import open_store

                self.store = open_store(self.settings)
            data = {"matrix": self.store.cohort_matrix(),
                    "misconceptions": self.store.frequent_misconceptions(limit=3),
                    "events": self.store.contract_event_counts()}
        except Exception as exc:  # a DB problem is a message on screen, never a crash
            self.call_from_thread(self.show_problem, f"Could not read the progress store: {exc}")
            return
        self.call_from_thread(self.show_cohort, data)

    def show_problem(self, text: str) -> None:
        self.query_one("#cohort-title", Static).update(terminal(text, one_line=False))  # quotes the error
        self.loaded = True

    def show_cohort(self, data: dict) -> None:
        matrix = data["matrix"]
        events = {e["learner"]: e for e in data["events"]}
        table = self.query_one("#cohort", DataTable)
        table.clear(columns=True)
        table.add_column("learner", key="learner")
        for lesson in matrix["lessons"]:
            table.add_column(f"L{lesson}", key=f"L{lesson}")
        table.add_column("refusals / rewrites", key="events")
        self.learner_ids = []
        for row in matrix["rows"]:
            counts = events.get(row["learner"], {})
            table.add_row(literal(row["learner"]), *(cohort_cell(row["cells"][n]) for n in matrix["lessons"]),
                          f"{counts.get('refusals', 0)} / {counts.get('rewrites', 0)}", key=row["learner"])
            self.learner_ids.append(row["learner"])
        count = len(matrix["rows"])
        title = (f"Cohort: {count} learner{'' if count == 1 else 's'} x {len(matrix['lessons'])} lessons"
                 if count else f"No learners recorded yet in {getattr(self.store, 'path', 'the progress DB')}.")
        self.query_one("#cohort-title", Static).update(terminal(title))
        self.query_one("#cohort-notes", Markdown).update(notes_markdown(data["misconceptions"]))
        table.focus()
        self.loaded = True

    # -- drill-down ----------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#cohort")
    def row_selected(self, event: DataTable.RowSelected) -> None:
        self.open_learner(str(event.row_key.value))

    def action_open_learner(self) -> None:
        table = self.query_one("#cohort", DataTable)
        if self.learner_ids and 0 <= table.cursor_row < len(self.learner_ids):
            self.open_learner(self.learner_ids[table.cursor_row])

    @work(thread=True, exclusive=True, group="learner")
    def open_learner(self, learner_id: str) -> None:
        from tutor.store.overview import learner_overview

        try:
            view = learner_overview(self.store, learner_id, instructor=True)
        except Exception as exc:
            # a learner id is a submission's folder name: a notification parses markup, so it is escaped
            self.call_from_thread(self.notify, rich_literal(f"Could not read learner {learner_id}: {exc}"),
                                  severity="error")
            return
        from tutor.tui.instructor.learner import LearnerScreen

        self.call_from_thread(self.push_screen, LearnerScreen(view))

    # -- export --------------------------------------------------------------------------------
    def action_export(self) -> None:
        if self.store is None:
            self.notify("The progress store is not open yet.", severity="warning")
            return
        from tutor.tui.instructor.export import ExportScreen

        self.push_screen(ExportScreen(self.store, default_export_path(self.settings)), self.exported)

    def exported(self, result: tuple[Path, int] | None) -> None:
        if result is not None:
            path, count = result
            self.notify(rich_literal(f"Wrote {count} learner x lesson rows to {path}"), title="CSV export")

    def action_help(self) -> None:
        from tutor.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.BINDINGS, extra=[
                ("escape", "back from a learner's page to the cohort"),
                ("1-6", "on a learner's page: timeline, grades, lessons, misconceptions, contract events, runs"),
                ("ctrl+p", "command palette: every action by name")]))

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        yield SystemCommand("Export CSV", "Write the learner x lesson table to a CSV file", self.action_export)
        yield SystemCommand("Refresh", "Read the progress store again", self.action_refresh)


def notes_markdown(misconceptions: list[dict]) -> str:
    if not misconceptions:
        return ""
    lines = ["**Most frequent misconceptions** (per lesson)", ""]
    lines += [f"- lesson {m['lesson']}: `{terminal(m['misconception_id']).replace('`', chr(39))}` x{m['count']} "
              f"({m['open']} open, {m['learners']} learner{'' if m['learners'] == 1 else 's'})" for m in misconceptions]
    return "\n".join(lines)
