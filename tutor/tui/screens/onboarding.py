"""First run: who the learner is, so the tutor can pitch its explanations."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Select, Static

FIELDS = [
    ("name", "Your name"),
    ("goals", "What do you want from this course?"),
    ("experience", "Your experience with machine learning"),
]
STYLES = ["examples first", "theory first", "hands-on experiments"]
FLUENCY = ["beginner", "intermediate", "advanced"]
CHOICES = [("learning_style", "How do you like to learn?", STYLES, STYLES[0]),
           ("python_fluency", "Python fluency", FLUENCY, FLUENCY[1])]
STEPS = [key for key, _ in FIELDS] + [key for key, *_ in CHOICES] + ["start"]
PROMPTS = dict(FIELDS) | {key: prompt for key, prompt, *_ in CHOICES} | {"start": "Start"}


def step_hint(key: str) -> str:
    """'Step 4 of 6: How do you like to learn? Enter opens the choices, tab keeps this one.'"""
    prompt = PROMPTS[key]
    where = f"Step {STEPS.index(key) + 1} of {len(STEPS)}: {prompt}{'' if prompt.endswith(('?', '.')) else '.'}"
    if key == "start":
        return f"{where} Enter begins the course."
    if key in dict(FIELDS):
        return f"{where} Enter or tab moves on."
    return f"{where} Enter opens the choices, tab keeps this one and moves on."


class OnboardingScreen(Screen[dict]):
    """Dismisses with the profile dict that session.save_profile takes."""

    DEFAULT_CSS = """
    #onboarding { width: 80; height: auto; max-height: 100%; padding: 1 2; }
    OnboardingScreen { align: center middle; }
    #onboarding Label { margin: 1 0 0 0; }
    #onboarding-step { margin: 1 0 0 0; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="onboarding", can_focus=False):
            yield Label("Welcome. A few questions before we start:")
            for key, prompt in FIELDS:
                yield Label(prompt)
                yield Input(id=key)
            for key, prompt, options, default in CHOICES:
                yield Label(prompt)
                yield Select([(o, o) for o in options], value=default, allow_blank=False, id=key)
            yield Button("Start", variant="primary", id="start")
            yield Static("", id="onboarding-step", markup=False)

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Say where the keyboard is: step n of 6, and which key does what there."""
        key = event.widget.id
        if key in STEPS:
            self.query_one("#onboarding-step", Static).update(step_hint(key))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next question, so the whole form works from the keyboard."""
        self.focus_next()

    def on_select_changed(self, event: Select.Changed) -> None:
        """Picking a choice (enter in the open list) moves on, as enter does in a text field."""
        focused = self.focused
        if focused is not None and (focused is event.select or event.select in focused.ancestors):
            self.call_after_refresh(self.focus_next)  # after the Select takes focus back from its list

    def on_button_pressed(self, event: Button.Pressed) -> None:
        profile = {key: self.query_one(f"#{key}", Input).value.strip() for key, _ in FIELDS}
        if not profile["name"]:
            self.notify("Please tell me your name.", severity="warning")
            self.query_one("#name", Input).focus()
            return
        for key, *_ in CHOICES:
            profile[key] = str(self.query_one(f"#{key}", Select).value)
        self.dismiss(profile)
