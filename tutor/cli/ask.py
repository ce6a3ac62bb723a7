"""`tutor ask MESSAGE`: one tutor turn without the TUI."""

from __future__ import annotations

from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def ask(
        message: str = typer.Argument(..., help="What to ask the tutor."),
        learner: str = typer.Option("default", "--learner"),
        lesson: Optional[int] = typer.Option(None, "--lesson"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """One turn with the tutor, printed (or as JSON)."""
        import asyncio
        import json

        from tutor.agent.session import TutorSession
        from tutor.cli.common import settings

        session = TutorSession(settings(), learner_id=learner, lesson=lesson)

        async def run():
            result = None
            async for event in session.turn(message):
                if type(event).__name__ == "DoneEvent":
                    result = event.result
            return result

        result = asyncio.run(run())
        session.end_session()
        typer.echo(json.dumps(result.to_dict(), indent=2) if as_json else result.reply)
