"""The lesson list: every lesson of the course with the learner's status marker."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tutor.tui.marks import mark


def lesson_prompt(number: int, title: str, status: str | None, current: bool) -> Text:
    text = mark(status)
    text.append(f" {number:02d} {title}", style="bold reverse" if current else "")
    text.no_wrap, text.overflow = True, "ellipsis"  # one line per lesson; the full title is in the chat
    return text


class LessonList(OptionList):
    """Option ids are the lesson numbers; ``statuses`` maps lesson -> store status."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.titles: dict[int, str] = {}
        self.statuses: dict[int, str] = {}
        self.current: int | None = None

    def set_lessons(self, lessons: list[tuple[int, str]], statuses: dict[int, str], current: int | None) -> None:
        self.titles = dict(lessons)
        self.statuses = dict(statuses)
        self.current = current
        self.clear_options()
        self.add_options([Option(lesson_prompt(n, t, statuses.get(n), n == current), id=str(n)) for n, t in lessons])
        if current in self.titles:
            self.highlighted = list(self.titles).index(current)

    def update_statuses(self, statuses: dict[int, str], current: int | None) -> None:
        self.statuses = dict(statuses)
        self.current = current
        for number, title in self.titles.items():
            self.replace_option_prompt(str(number), lesson_prompt(number, title, statuses.get(number), number == current))

    def status_of(self, number: int) -> str:
        return self.statuses.get(number, "not_started")
