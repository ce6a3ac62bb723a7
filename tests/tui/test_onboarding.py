"""First run shows onboarding; the answers reach save_profile, then the opening message shows."""

from textual.widgets import Button, Input, Markdown

from tests.tui.conftest import wait_until
from tutor.tui.app import TutorApp
from tutor.tui.backend import Backend
from tutor.tui.onboarding import OnboardingScreen


class NewLearnerBackend(Backend):
    def load(self) -> None:
        self.saved = None

    def needs_onboarding(self) -> bool:
        return self.saved is None

    def save_profile(self, profile: dict) -> None:
        self.saved = profile

    def opening_message(self) -> str:
        return f"Hello {self.saved['name']}, let us start with lesson 1."


async def test_first_run_onboarding_saves_profile_then_opens_chat(offline_settings):
    backend = NewLearnerBackend(offline_settings)
    app = TutorApp(offline_settings, backend=backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, OnboardingScreen) and app.screen.query("#start"))
        app.screen.query_one("#name", Input).value = "Ada"
        app.screen.query_one("#goals", Input).value = "understand attention"
        app.screen.query_one("#start", Button).press()
        await wait_until(pilot, lambda: backend.saved is not None)
        assert backend.saved["name"] == "Ada" and backend.saved["python_fluency"] == "intermediate"
        await wait_until(pilot, lambda: any("Hello Ada" in m.source for m in app.query(".note").results(Markdown)))
