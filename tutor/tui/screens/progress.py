"""The learner's progress: every lesson's status and grade, open misconceptions, where we left off.

Built from ``learner_overview(store, learner)`` (the same dict ``tutor progress`` prints).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Markdown, Static

from tutor.tui.marks import grade_text, legend, shown, status_text


def short(text: str, width: int = 46) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def left_off_markdown(view: dict) -> str:
    left = view.get("where_left_off")
    parts = []
    if left:
        parts.append(f"**Where we left off** (lesson {left['lesson']}): {left['where_left_off']}")
        if left["next_steps"]:
            parts.append("**Next steps**\n" + "\n".join(f"- {step}" for step in left["next_steps"]))
    else:
        parts.append("**Where we left off:** nothing saved yet; it is saved when you quit the app.")
    open_ones = view.get("open_misconceptions") or []
    if open_ones:
        parts.append("**Open misconceptions** (the tutor will come back to these)\n"
                     + "\n".join(f"- lesson {m['lesson']}: `{str(m['misconception_id']).replace('`', chr(39))}`"
                                 for m in open_ones))
    else:
        parts.append("**Open misconceptions:** none.")
    return shown("\n\n".join(parts))  # the summary is the model's: its Markdown stays, escape codes do not


class ProgressScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,f2", "app.pop_screen", "Close")]
    DEFAULT_CSS = """
    ProgressScreen { align: center middle; }
    #progress-box { width: 90; height: auto; max-height: 90%; background: $panel; border: round $primary; padding: 0 1; }
    #progress-lessons { height: auto; }
    """

    def __init__(self, view: dict, lessons: list[tuple[int, str]]):
        super().__init__()
        self.view = view
        self.lessons = lessons

    def compose(self) -> ComposeResult:
        profile = self.view.get("profile") or {}
        who = profile.get("name") or self.view["learner"]
        with VerticalScroll(id="progress-box"):
            yield Static(shown(f"Progress of {who}   ({legend()})"), id="progress-title", markup=False)
            yield DataTable(id="progress-lessons", cursor_type="row", show_cursor=False)
            yield Markdown(left_off_markdown(self.view), id="progress-notes")

    def on_mount(self) -> None:
        rows = {row["lesson"]: row for row in self.view.get("lessons") or []}
        table = self.query_one("#progress-lessons", DataTable)
        table.add_columns("lesson", "status", "attempts", "grade")
        titles = self.lessons or [(n, "") for n in sorted(rows)]
        for number, title in titles:
            row = rows.get(number, {})
            table.add_row(short(f"{number:02d} {title}"), status_text(row.get("status")), str(row.get("attempts", 0)),
                          grade_text(row.get("grade")), key=str(number))
