"""The lab view: the current lesson's TODO functions, each with the status of its last check
(from the progress store: `tutor check`, the chat's code check or F3). Hidden for a lesson
without TODOs."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tutor.tui.marks import check_mark, shown


def todo_lines(lesson: int | None, todos: list[tuple[str, str | None]]) -> Text:
    text = Text(f"Lab {lesson} TODOs (F3 checks them)\n", style="bold")
    for name, status in todos:
        marker, words, style = check_mark(status)
        text.append(marker, style=style)
        text.append(f" {shown(name)}  ")
        text.append(words + "\n", style="dim" if status is None else style)
    text.rstrip()
    return text


class LabTodos(Static):
    def __init__(self, **kwargs):
        super().__init__("", markup=False, **kwargs)
        self.todos: list[tuple[str, str | None]] = []

    def show(self, lesson: int | None, todos: list[tuple[str, str | None]]) -> None:
        self.todos = list(todos)
        self.set_class(bool(todos), "open")
        self.update(todo_lines(lesson, todos) if todos else "")

    def status_of(self, name: str) -> str | None:
        return dict(self.todos).get(name)
