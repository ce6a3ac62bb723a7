"""`tutor chat`: the learner app in the terminal."""

from __future__ import annotations

from typing import Optional

import typer

from tutor.cli.common import check_learner


def register(app: typer.Typer) -> None:
    @app.command("chat")
    def chat(
        learner: str = typer.Option("default", "--learner", callback=check_learner, help="Learner id."),
        lesson: Optional[int] = typer.Option(None, "--lesson", help="Lesson number to open."),
    ) -> None:
        """Open the learner app: chat, lessons, help (F1)."""
        from tutor.cli.common import require_lesson, settings
        from tutor.tui.app import TutorApp
        from tutor.tui.shutdown import exit_now_if_stuck

        # The root `tutor` invokes this function directly, so typer's defaults arrive unparsed.
        learner = learner if isinstance(learner, str) else "default"
        lesson = lesson if isinstance(lesson, int) else None
        cfg = settings()
        require_lesson(cfg, lesson)  # before the app: it would open lesson 1 and store lesson 99
        tui = TutorApp(cfg, learner_id=learner, lesson=lesson)
        tui.run()
        exit_now_if_stuck(tui.work, tui.return_code or 0)
