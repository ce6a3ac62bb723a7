"""One line at the top: which model answers, whether the course index is ready, who and where."""

from __future__ import annotations

from textual.widgets import Static

from tutor.tui.marks import shown


def model_label(spec: str) -> str:
    if spec == "offline":
        return "offline: replies come from the course text"
    return f"model: {spec}"


class StatusBar(Static):
    def __init__(self, model: str, **kwargs):
        super().__init__(markup=False, **kwargs)
        self.parts = {"model": model_label(model), "index": "index: loading", "where": ""}
        self.refresh_text()

    def set(self, **parts: str) -> None:
        self.parts.update(parts)
        self.refresh_text()

    def refresh_text(self) -> None:
        self.update(shown(self.text))  # the model spec and the lesson come from settings and the course

    @property
    def text(self) -> str:
        return " | ".join(p for p in self.parts.values() if p)
