"""`tutor ask MESSAGE`: one tutor turn without the TUI."""

from __future__ import annotations

from typing import Optional

import typer

MESSAGE_MAX_CHARS = 100_000  # the most code a check takes (tutor.checks.evaluate.CODE_MAX_CHARS)


def register(app: typer.Typer) -> None:
    @app.command()
    def ask(
        message: str = typer.Argument(..., help="What to ask the tutor ('-': read it from stdin, e.g. a pasted function)."),
        learner: str = typer.Option("default", "--learner", help="Whose progress and conversation this is."),
        lesson: Optional[int] = typer.Option(None, "--lesson", help="The lesson to talk about (default: the learner's current one)."),
        as_json: bool = typer.Option(False, "--json", help="Print reply, intent, action, citations and guard events as JSON."),
    ) -> None:
        """One turn with the tutor (the configured model, or offline), printed or as JSON."""
        import asyncio
        import sys

        from tutor.cli.common import fail, print_json, settings
        from tutor.course.errors import CourseError
        from tutor.llm import ModelError, get_chat_model

        config = settings()
        if message == "-":
            try:
                message = sys.stdin.read(MESSAGE_MAX_CHARS + 1)
            except (OSError, UnicodeDecodeError) as error:
                fail(f"cannot read the message from stdin ({error})")
            if len(message) > MESSAGE_MAX_CHARS:
                fail(f"the message on stdin is over {MESSAGE_MAX_CHARS} characters")
        if not message.strip():
            fail("the message is empty; say what you want to ask")
        try:
            model = get_chat_model(config)
        except ModelError as error:
            fail(f"model '{config.model}' cannot be used: {error}")

        def progress(done: int, total: int, label: str) -> None:
            if label == "embedding" and total:
                sys.stderr.write(f"\rtutor: building the course index ({done}/{total} chunks)")
                if done >= total:
                    sys.stderr.write("\n")
            elif label == "reading the course":
                sys.stderr.write("tutor: first use: building the course index\n")
            sys.stderr.flush()

        from tutor.agent.session import TutorSession
        from tutor.store import StoreError

        try:
            session = TutorSession(config, learner_id=learner, lesson=lesson, model=model, progress=progress)
        except CourseError as error:
            fail(f"the course at {config.course_dir} cannot be loaded: {str(error).splitlines()[0]}; "
                 "run `tutor curriculum check`")
        except StoreError as error:
            fail(str(error))
        except ValueError as error:
            fail(str(error))
        if lesson is not None and not session.ctx.view.has(lesson):
            known = ", ".join(str(n) for n in sorted(session.course.lessons))
            fail(f"no lesson {lesson} in this course (lessons: {known})")

        async def run():
            result = None
            async for event in session.turn(message):
                if type(event).__name__ == "DoneEvent":
                    result = event.result
            return result

        result = asyncio.run(run())
        session.end_session()
        if as_json:
            print_json(result.to_dict())
        else:
            typer.echo(result.reply)
