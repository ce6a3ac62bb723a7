"""SVG snapshots of the main screens with fixed data (no paths, times or course edits inside)."""

from tutor.config import load_settings
from tutor.tui.app import TutorApp
from tutor.tui.backend import Backend, Done, Token


class FixedBackend(Backend):
    def load(self) -> None:
        self.lesson = 1

    def lessons(self):
        return [(1, "Tokenization"), (2, "Embeddings")]

    def opening_message(self) -> str:
        return "Welcome back. Last time: BPE merges. Next: count tokens for three texts."

    async def turn(self, message):
        text = "A **token** is a subword unit.\n\n```python\nids = tokenizer.encode(text)\n```"
        yield Token(text)
        yield Done(text, [{"lesson": 1, "section": "Concept focus", "file": "curriculum/lessons/lesson_01.md", "lines": [10, 20]}])

    def section_text(self, citation):
        return "Fixed section text."


def fixed_app():
    settings = load_settings(model="offline")
    return TutorApp(settings, backend=FixedBackend(settings))


def test_chat_with_a_reply(snap_compare):
    async def ask(pilot):
        app = pilot.app
        while not app.ready:
            await pilot.pause(0.05)
        await pilot.press(*"what is a token?", "enter")
        while not app.query(".citations"):
            await pilot.pause(0.05)

    assert snap_compare(fixed_app(), terminal_size=(120, 36), run_before=ask)


def test_help_screen(snap_compare):
    assert snap_compare(fixed_app(), terminal_size=(120, 36), press=["f1"])


def test_onboarding_screen(snap_compare):
    settings = load_settings(model="offline")

    class NewLearner(FixedBackend):
        def needs_onboarding(self) -> bool:
            return True

    async def until_shown(pilot):
        while not pilot.app.screen.query("#start"):
            await pilot.pause(0.05)

    assert snap_compare(TutorApp(settings, backend=NewLearner(settings)), terminal_size=(120, 36), run_before=until_shown)
