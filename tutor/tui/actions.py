"""The learner app's actions on the lab and on progress: run the lab in the sandbox with a
live log, self-check it against the rubric, show the progress screen. A mixin of TutorApp,
kept apart so app.py stays about the chat."""

from __future__ import annotations

from textual import work
from textual.message import Message

from tutor.tui.backend import first_line
from tutor.tui.labs import LabTarget, lab_to_run
from tutor.tui.widgets.check_panel import CheckPanel, result_text
from tutor.tui.widgets.run_log import RunLog, record_summary


def check_problem(outcome: dict, lesson: int | None) -> str:
    """Why no check ran, as the chat's code check says it."""
    if outcome.get("problem") == "no_lab_dir":
        return (f"No lab folder to check: expected labs/lesson_{lesson or 0:02d}/starter.py under the folder the "
                f"tutor was started in. Copy curriculum/labs/lesson_{lesson or 0:02d}/ there first, or paste a "
                "function into the chat.")
    if outcome.get("problem") in ("no_lab", "no_checks"):
        return f"Lesson {lesson} has no lab checks to run."
    return f"The checks could not run: {outcome.get('detail') or outcome.get('problem')}"


class RunOutput(Message):
    """From the run thread: a piece of the lab's stdout or stderr."""

    def __init__(self, stream: str, text: str):
        super().__init__()
        self.stream, self.text = stream, text


class RunEnded(Message):
    """From the run thread: the summary for the run panel and the note for the chat."""

    def __init__(self, summary: str, note: str, failed: bool):
        super().__init__()
        self.summary, self.note, self.failed = summary, note, failed


def post(app, message: Message) -> None:
    try:  # thread-safe and never blocks; after the app's loop closed, nobody is watching
        app.post_message(message)
    except RuntimeError:
        pass


class LabActions:
    def action_run_lab(self) -> None:
        run_log = self.query_one("#run-log", RunLog)
        if not self.ready:
            self.notify("The tutor is still starting.", severity="warning")
            return
        if run_log.running:
            run_log.add_class("open")
            self.notify("A lab run is already going; its output is in the run panel.")
            return
        target = lab_to_run(self.backend.course, self.backend.lesson)
        if target is None:
            self.chat.add_note(f"Lesson {self.backend.lesson} has no lab to run.")
            return
        run_log.start(f"Running {target.title}  (esc hides this panel when the run ends)")
        # Not a Textual worker (joined at exit without a bound): quitting sets the run's stop
        # event, the runner ends the lab as Ctrl-C would and still writes the record.
        self.work.start(self._run_lab, "tutor-lab-run", target)

    def _run_lab(self, target: LabTarget) -> None:
        from tutor.tui.labs import run_lab

        try:
            record = run_lab(target, self.settings, lambda stream, text: post(self, RunOutput(stream, text)),
                             stop=self.work.stop)
        except Exception as exc:  # sandbox problems are a message, never a crash
            post(self, RunEnded(f"The run could not start: {first_line(exc)}",
                                f"**The lab run could not start:** {first_line(exc)}", True))
            return
        try:
            stored = self.backend.record_run(record)
        except Exception:
            stored = False
        summary = record_summary(record, stored)
        post(self, RunEnded(summary, "**Lab run finished.** " + summary.replace("\n", "  \n"), False))

    # handlers by name, not @on: the decorator is collected only on Textual classes, not mixins
    def on_run_output(self, message: RunOutput) -> None:
        if self.closing:  # the quit stopped the run; the screen is going away
            return
        self.query_one("#run-log", RunLog).write(message.stream, message.text)

    def on_run_ended(self, message: RunEnded) -> None:
        if self.closing:  # the record is stored already; nothing is left to show it on
            return
        self.query_one("#run-log", RunLog).finish(message.summary)
        self.chat.add_note(message.note, kind="error" if message.failed else "run")
        self.reload_statuses()

    def run_in_progress(self) -> bool:
        return self.query_one("#run-log", RunLog).running

    def action_self_check(self) -> None:
        if not self.ready:
            self.notify("The tutor is still starting.", severity="warning")
            return
        self.self_check()

    @work(exclusive=True, group="grade")
    async def self_check(self) -> None:
        from tutor.tui.labs import self_check

        lesson = self.backend.lesson
        self.chat.add_note(f"Self-check of `labs/lesson_{lesson or 0:02d}` against the lesson's rubric...", kind="grading")
        try:
            # grade_folder runs its own event loop, so it goes to a thread; it writes nothing
            report = await self.work.call(self_check, lesson, self.settings, name="tutor-self-check")
        except FileNotFoundError as exc:
            self.chat.add_note(str(exc), kind="error")
            return
        except Exception as exc:  # grading problems are a message, never a crash
            self.chat.add_note(f"**Self-check failed:** {first_line(exc)}", kind="error")
            return
        self.chat.add_note(report, kind="grade")

    def action_check_code(self) -> None:
        if not self.ready:
            self.notify("The tutor is still starting.", severity="warning")
            return
        panel = self.query_one("#check-panel", CheckPanel)
        if panel.running:
            self.notify("The checks are already running; their results go to the check panel.")
            return
        self.check_code()

    @work(exclusive=True, group="check")
    async def check_code(self) -> None:
        lesson = self.backend.lesson
        panel = self.query_one("#check-panel", CheckPanel)
        title = f"Checks of labs/lesson_{lesson or 0:02d} (sandbox; esc hides this panel)"
        panel.start(title)
        try:
            # a sandbox run: on a thread of self.work, so quitting stops waiting for it
            outcome = await self.work.call(self.backend.check_lab, name="tutor-check")
        except Exception as exc:  # sandbox problems are a message, never a crash
            panel.finish(title, f"The checks could not run: {first_line(exc)}")
            return
        if self.closing:
            return
        if outcome.get("problem"):
            panel.finish(title, check_problem(outcome, lesson))
        else:
            panel.finish(title, result_text(outcome), outcome)
        self.reload_statuses()

    def action_progress(self) -> None:
        if not self.ready:
            self.notify("The tutor is still starting.", severity="warning")
            return
        self.open_progress()

    @work(thread=True, exclusive=True, group="progress")
    def open_progress(self) -> None:
        from tutor.tui.screens.progress import ProgressScreen

        try:
            view = self.backend.overview()
        except Exception as exc:
            self.call_from_thread(self.chat.add_note, f"**Could not read your progress:** {first_line(exc)}", kind="error")
            return
        self.call_from_thread(self.push_screen, ProgressScreen(view, self.backend.lessons()))

