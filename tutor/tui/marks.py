"""How a lesson status and a grade look on screen, the same in every learner and instructor view."""

from __future__ import annotations

from rich.text import Text

from tutor.untrusted import terminal

# status -> (marker, words, style). A marker alone must be readable without colour.
STATUS = {
    "not_started": ("○", "not started", "dim"),
    "in_progress": ("◐", "in progress", "yellow"),
    "submitted": ("●", "submitted", "cyan"),
    "passed": ("✔", "passed", "green"),
}


def mark(status: str | None) -> Text:
    marker, _, style = STATUS.get(status or "not_started", ("?", str(status), "red"))
    return Text(marker, style=style)


def status_text(status: str | None, *, words: bool = True) -> Text:
    marker, said, style = STATUS.get(status or "not_started", ("?", str(status), "red"))
    return Text(f"{marker} {said}" if words else marker, style=style)


def grade_text(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def legend() -> str:
    return "  ".join(f"{marker} {said}" for marker, said, _ in STATUS.values())


def shown(value) -> str:
    """Text from a lab run, the learner's code, a submission or the model, as a widget may show
    it: Textual drops only BEL/BS/VT/FF/CR, so ESC, OSC (a clipboard write), CSI, C1 and bidi
    codes would reach the terminal. They are made visible (``\\x1b``); newlines and tabs stay, and
    so does Markdown (a reply's formatting is the model's to choose, its escape codes are not)."""
    return terminal(value, one_line=False)


def literal(value) -> Text | object:
    """A DataTable parses a str cell as Rich markup: learner ids (folder names), notes and
    details are the learners' own text, so every str cell is shown as the literal text it is."""
    return Text(terminal(value)) if isinstance(value, str) else value


# a TODO's check status -> (marker, words, style), for the lab view and the check panel
CHECK_STATUS = {
    "passed": ("✔", "passes its checks", "green"),
    "failed": ("✘", "fails a check", "red"),
    "error": ("!", "raises an error", "red"),
    "timed_out": ("⧗", "timed out", "yellow"),
    "not_started": ("○", "not started", "dim"),
}


def check_mark(status: str | None) -> tuple[str, str, str]:
    """(marker, words, style) of a TODO status; a TODO never checked is "not checked yet"."""
    if status is None:
        return "·", "not checked yet", "dim"
    return CHECK_STATUS.get(status, ("?", str(status), "red"))
