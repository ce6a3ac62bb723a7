"""Every key binding of an app, read from its BINDINGS so the list cannot drift from the code."""

from __future__ import annotations

from typing import Iterable

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEY_NAMES = {"question_mark": "?", "escape": "esc"}


def key_names(binding: Binding) -> str:
    return " / ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in binding.key.split(","))


def help_rows(bindings: Iterable[Binding], extra: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    rows = [(key_names(b), b.tooltip or b.description or b.action) for b in bindings]
    return rows + list(extra)


class HelpScreen(ModalScreen):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help-box { width: 84; height: auto; max-height: 90%; background: $panel; border: round $primary; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,f1,question_mark", "app.pop_screen", "Close")]

    def __init__(self, bindings: Iterable[Binding], extra: Iterable[tuple[str, str]] = ()):
        super().__init__()
        self.rows = help_rows(bindings, extra)

    @property
    def text(self) -> str:
        return "\n".join(f"{key}: {what}" for key, what in self.rows)

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, expand=True, padding=(0, 2, 0, 0))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, what in self.rows:
            table.add_row(key, what)
        with VerticalScroll(id="help-box"):
            yield Static("Keys (esc closes this)", id="help-title")
            yield Static(table, id="help")
