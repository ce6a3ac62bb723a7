"""`tutor ask MESSAGE`: one tutor turn without the TUI."""

from __future__ import annotations

import contextlib
import time
from typing import Iterator, Optional

import typer

from tutor.cli.common import check_learner

TICK = 1.0  # seconds between updates of the waiting line


class _Line:
    received = 0  # characters of the reply so far


@contextlib.contextmanager
def waiting_line(stream, model, deadline: float | None) -> Iterator[_Line]:
    """While a model turn runs, a line on ``stream`` (a terminal only) that says what it waits
    for and for how long, so a slow or silent server is not mistaken for a hung tutor; erased
    when the turn ends. Offline turns and redirected stderr get nothing."""
    import asyncio

    line = _Line()
    if model is None or not getattr(stream, "isatty", lambda: False)():
        yield line
        return
    start = time.monotonic()
    limit = f" of at most {deadline:g}s" if deadline else ""

    async def tick() -> None:
        while True:
            waited = time.monotonic() - start
            doing = f"{line.received} characters received" if line.received else "waiting for the reply"
            stream.write(f"\r\033[Ktutor: {model.name}: {doing} ({waited:.0f}s{limit})")
            stream.flush()
            await asyncio.sleep(TICK)

    task = asyncio.get_running_loop().create_task(tick())
    try:
        yield line
    finally:
        task.cancel()
        stream.write("\r\033[K")
        stream.flush()


MESSAGE_MAX_CHARS = 100_000  # the most code a check takes (tutor.checks.evaluate.CODE_MAX_CHARS)


def register(app: typer.Typer) -> None:
    @app.command()
    def ask(
        message: str = typer.Argument(..., help="What to ask the tutor ('-': read it from stdin, e.g. a pasted function)."),
        learner: str = typer.Option("default", "--learner", callback=check_learner, help="Whose progress and conversation this is."),
        lesson: Optional[int] = typer.Option(None, "--lesson", help="The lesson to talk about (default: the learner's current one)."),
        as_json: bool = typer.Option(False, "--json", help="Print reply, intent, action, citations and guard events as JSON."),
    ) -> None:
        """One turn with the tutor (the configured model, or offline), printed or as JSON."""
        import asyncio
        import sys

        from tutor.cli.common import fail, print_json, require_lesson, settings
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
        require_lesson(config, lesson)  # before the session: nothing is stored for a lesson that is not there
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
            with waiting_line(sys.stderr, model, getattr(config, "turn_deadline", None)) as line:
                async for event in session.turn(message):
                    if type(event).__name__ == "DoneEvent":
                        result = event.result
                    elif type(event).__name__ == "TokenEvent":
                        line.received += len(event.text)
            return result

        result = asyncio.run(run())
        session.end_session()
        if as_json:
            print_json(result.to_dict())
        else:  # the reply may quote the learner's code or its exception: escape codes are shown, not sent
            from tutor.untrusted import terminal

            typer.echo(terminal(result.reply, one_line=False))
