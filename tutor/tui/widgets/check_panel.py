"""The check panel: the lab's checks run on the learner's lab folder (F3), one block per TODO:
its status, the first check that did not hold, what was expected and what came back (when the
check may show it), the error line, the hint and the section. Everything from the run is
learner code's output: it is shown as plain text (no markup, escape codes visible), trimmed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tutor.tui.marks import check_mark, shown

LINE_CHARS = 300


def _short(value) -> str:
    text = shown(" ".join(str(value).split()))
    return text if len(text) <= LINE_CHARS else text[: LINE_CHARS - 3] + "..."


def result_text(outcome: dict) -> Text:
    text = Text()
    if outcome.get("import_error"):
        text.append("starter.py could not be imported, so no check ran:\n", style="bold red")
        text.append(_short(outcome["import_error"].strip().splitlines()[-1]) + "\n")
    for todo in outcome.get("todos") or []:
        marker, words, style = check_mark(todo.get("status"))
        text.append(f"{marker} ", style=style)
        text.append(_short(todo.get("todo")), style="bold")
        status = todo.get("status")
        if status == "passed":
            text.append(f"  all {todo.get('total')} checks pass\n", style=style)
            continue
        if status == "not_started":
            text.append("  not started (still raises NotImplementedError)\n", style=style)
            continue
        text.append(f"  {words} at {_short(todo.get('check_id'))} ({todo.get('passed')}/{todo.get('total')} pass)\n", style=style)
        if todo.get("expected") is not None and todo.get("got") is not None:
            text.append(f"    expected {_short(todo['expected'])}\n    got      {_short(todo['got'])}\n")
        if todo.get("error"):
            text.append(f"    {_short(todo['error'].strip().splitlines()[-1])}\n")
        if todo.get("hint"):
            text.append(f"    hint: {_short(todo['hint'])}", style="italic")
            text.append(f" (see \"{_short(todo.get('section') or '')}\")\n", style="dim")
    box = outcome.get("sandbox") or {}
    if box.get("isolation") == "weak":
        text.append("sandbox: process backend, no filesystem or network isolation\n", style="yellow")
    text.rstrip()
    return text


class CheckPanel(VerticalScroll):
    """Hidden until F3; escape hides it again."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.running = False
        self.outcome: dict | None = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="check-title", markup=False)
        yield Static("", classes="check-body", markup=False)

    def start(self, title: str) -> None:
        self.running = True
        self.query_one(".check-title", Static).update(shown(title))
        self.query_one(".check-body", Static).update("running the checks in the sandbox...")
        self.add_class("open")

    def finish(self, title: str, body: Text | str, outcome: dict | None = None) -> None:
        self.running = False
        self.outcome = outcome
        self.query_one(".check-title", Static).update(shown(title))
        self.query_one(".check-body", Static).update(shown(body) if isinstance(body, str) else body)

    @property
    def body(self) -> str:
        return str(self.query_one(".check-body", Static).render())
