"""The CSV export dialog: asks for a path, writes through the store's own export code.

The default path is under TUTOR_HOME (``exports/progress.csv``); a relative path the
instructor types is taken from the current directory, because they chose it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tutor.tui.marks import shown


def export_problem(path: Path, default: Path) -> str | None:
    """Why ``path`` cannot take the export, or None. Only the default folder is created unasked."""
    if path.is_dir():
        return f"{path} is a folder; give a file name, e.g. {path / 'progress.csv'}"
    if not path.parent.is_dir() and path.parent != default.parent:
        return f"folder {path.parent} does not exist; create it or pick another path"
    return None


class ExportScreen(ModalScreen[tuple[Path, int] | None]):
    """Dismisses with (path, rows written), or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, store: Any, default: Path):
        super().__init__()
        self.store = store
        self.default = Path(default)

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label("Export the learner x lesson table (no conversation text) as CSV to:")
            yield Input(str(self.default), id="export-path")
            yield Static("", id="export-problem", markup=False)
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-save")
                yield Button("Cancel", id="export-cancel")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-save")
    def save(self) -> None:
        from tutor.store.export import write_csv

        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self.problem("Give a file path for the CSV.")
            return
        path = Path(text).expanduser()
        path = path if path.is_absolute() else Path.cwd() / path
        problem = export_problem(path, self.default)
        if problem:
            self.problem(problem)
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            count = write_csv(self.store, path)
        except OSError as exc:
            self.problem(f"cannot write {path}: {exc.strerror or exc}; check the path and permissions")
            return
        except Exception as exc:  # a store problem is a message in the dialog, never a crash
            self.problem(f"the export failed: {exc}")
            return
        self.dismiss((path, count))

    def problem(self, text: str) -> None:
        # the text quotes the typed path and the error: a "[/x]" in either is text, not markup
        self.query_one("#export-problem", Static).update(Text(shown(text), style="bold red"))

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
