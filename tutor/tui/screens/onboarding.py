"""First run: who the learner is, so the tutor can pitch its explanations."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Select

FIELDS = [
    ("name", "Your name"),
    ("goals", "What do you want from this course?"),
    ("experience", "Your experience with machine learning"),
]
STYLES = ["examples first", "theory first", "hands-on experiments"]
FLUENCY = ["beginner", "intermediate", "advanced"]


class OnboardingScreen(Screen[dict]):
    """Dismisses with the profile dict that session.save_profile takes."""

    DEFAULT_CSS = """
    #onboarding { width: 80; height: auto; max-height: 100%; padding: 1 2; }
    OnboardingScreen { align: center middle; }
    #onboarding Label { margin: 1 0 0 0; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="onboarding"):
            yield Label("Welcome. A few questions before we start:")
            for key, prompt in FIELDS:
                yield Label(prompt)
                yield Input(id=key)
            yield Label("How do you like to learn?")
            yield Select([(s, s) for s in STYLES], value=STYLES[0], allow_blank=False, id="learning_style")
            yield Label("Python fluency")
            yield Select([(f, f) for f in FLUENCY], value=FLUENCY[1], allow_blank=False, id="python_fluency")
            yield Button("Start", variant="primary", id="start")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next question, so the whole form works from the keyboard."""
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        profile = {key: self.query_one(f"#{key}", Input).value.strip() for key, _ in FIELDS}
        if not profile["name"]:
            self.notify("Please tell me your name.", severity="warning")
            return
        for key in ("learning_style", "python_fluency"):
            profile[key] = str(self.query_one(f"#{key}", Select).value)
        self.dismiss(profile)
