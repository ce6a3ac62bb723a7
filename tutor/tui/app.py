"""The learner app: lesson sidebar with statuses, streamed chat with citations, status bar.

Module-level imports stay light (Textual and this package only) so the first paint is fast;
the agent, the store, torch and the index load in worker threads after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Input, OptionList

from tutor.tui.backend import Backend, Done, Reasoning, Token, first_line
from tutor.tui.actions import LabActions
from tutor.tui.shutdown import BackgroundWork
from tutor.tui.widgets.chat import ChatLog
from tutor.tui.widgets.check_panel import CheckPanel
from tutor.tui.widgets.lab_todos import LabTodos
from tutor.tui.widgets.run_log import RunLog
from tutor.tui.widgets.sidebar import LessonList
from tutor.tui.widgets.status_bar import StatusBar

# Keys the help screen lists besides BINDINGS (Textual's own, or keys of one widget).
OTHER_KEYS = [
    ("enter", "send the question (in the prompt); open a lesson or a citation (in a list)"),
    ("tab / shift+tab", "move between the lesson list, the chat, citations and the prompt"),
    ("ctrl+p", "command palette: every action by name"),
]


class IndexState(Message):
    """From the index thread: building, ready, or why not."""

    def __init__(self, state: str):
        super().__init__()
        self.state = state


class TutorApp(LabActions, App):
    CSS_PATH = Path(__file__).with_name("tutor.tcss")  # absolute: subclasses elsewhere still find it
    TITLE = "tutor"
    # description: the footer's word; tooltip: the help screen's sentence
    BINDINGS = [
        Binding("f1", "help", "Help", tooltip="this list of keys"),
        Binding("question_mark", "help", "Help", show=False, tooltip="this list of keys (outside the prompt)"),
        Binding("escape", "cancel", "Cancel", tooltip="cancel the reply and put your question back, or close a panel"),
        Binding("ctrl+l", "focus_lessons", "Lessons", show=False, tooltip="go to the lesson list (enter opens one)"),
        Binding("ctrl+r", "run_lab", "Run lab", tooltip="run this lesson's lab in the sandbox, with a live log"),
        Binding("ctrl+g", "self_check", "Self-check", tooltip="grade labs/lesson_NN against the rubric"),
        Binding("f3", "check_code", "Check code",
                tooltip="run the lab's checks on your labs/lesson_NN TODOs in the sandbox; results per TODO in a panel"),
        Binding("f2", "progress", "Progress", tooltip="lessons, grades, misconceptions, where we left off"),
        Binding("ctrl+t", "toggle_reasoning", "Reasoning", show=False, tooltip="show or hide the model's reasoning"),
        Binding("ctrl+q", "quit", "Quit", tooltip="quit; saves where we left off"),
    ]

    def __init__(self, settings: Any, learner_id: str = "default", lesson: int | None = None,
                 backend: Backend | None = None):
        super().__init__()
        self.settings = settings
        self.backend = backend or Backend(settings, learner_id, lesson)
        self.pending_prompt = ""
        self.reply_worker = None
        self.ready = False
        self.index_state = "loading"
        self.ended = False
        self.quit_warned = False
        self.closing = False  # set once quitting stops the background work: its news is not shown
        self.work = BackgroundWork()  # every background thread: stopped and joined on quit
        # held, not queried: index news can arrive from its thread while the app is closing
        self.status = StatusBar(getattr(settings, "model", "offline"), id="status")

    def compose(self) -> ComposeResult:
        yield self.status
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield LessonList(id="lessons")
                yield LabTodos(id="lab-todos")
            with Vertical(id="main"):
                yield ChatLog(id="chat")
                yield CheckPanel(id="check-panel")
                yield RunLog(id="run-log")
                yield Input(placeholder="Ask about the lesson (enter to send, F1 for keys)", id="prompt")
            yield VerticalScroll(id="section-panel")  # the cited section, in a Markdown made on first use
        yield Footer()

    @property
    def chat(self) -> ChatLog:
        return self.query_one("#chat", ChatLog)

    @property
    def prompt(self) -> Input:
        return self.query_one("#prompt", Input)


    # -- start-up ------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.catch_signals()
        self.prompt.focus()
        self.chat.add_plain_note("Starting the tutor: loading the course and the teacher agent...", kind="starting")
        self.load_backend()

    @work(thread=True, exclusive=True, group="load")
    def load_backend(self) -> None:
        try:
            self.backend.load()
        except Exception as exc:  # the app stays up and says why; turns report it again
            self.backend.load_error = first_line(exc)
        self.call_from_thread(self.backend_ready)

    def backend_ready(self) -> None:
        self.ready = True
        for note in self.chat.query(".starting"):
            note.remove()
        self.refresh_lessons()
        self.status.set(model=self.backend.model_label(), where=self.where())
        if self.backend.load_error:
            self.chat.add_note(f"**The tutor could not start:** {self.backend.load_error}\n\nCheck the course with "
                               "`tutor curriculum check` (and `TUTOR_COURSE`), then start again.", kind="error")
            self.status.set(index="index: not loaded")
            return
        self.prepare_index()
        if self.backend.needs_onboarding():
            from tutor.tui.screens.onboarding import OnboardingScreen

            self.push_screen(OnboardingScreen(), self.profile_saved)
            return
        self.chat.add_note(self.backend.opening_message(), kind="opening")

    def where(self) -> str:
        lesson = self.backend.lesson
        return f"learner: {self.backend.learner_id}" + (f", lesson {lesson}" if lesson is not None else "")

    def profile_saved(self, profile: dict | None) -> None:
        try:
            self.backend.save_profile(profile or {})
        except Exception as exc:
            self.chat.add_note(f"**Could not save your profile:** {first_line(exc)}", kind="error")
        self.chat.add_note(self.backend.opening_message(), kind="opening")
        self.prompt.focus()

    def prepare_index(self) -> None:
        """Build the course index on first use, with progress in the status bar.

        Not a Textual worker (those are joined at exit without a bound): a thread of
        ``self.work``, which quitting stops between two embedding batches and joins. A build cut
        short leaves the old manifest, and the next start embeds what is still missing."""
        self.work.start(self._prepare_index, "tutor-index")

    def _prepare_index(self) -> None:
        def show(state: str) -> None:
            try:  # post_message is thread-safe and never blocks, even while the app is exiting
                self.post_message(IndexState(state))
            except RuntimeError:  # the app's loop is closed: nobody is watching any more
                pass

        def progress(done: int, total: int, label: str) -> None:
            if label == "done":  # the index is written; the embedding model loads next
                show("loading the embedding model")
            else:
                show(f"building: {label}{f' {done}/{total}' if total else ''}")

        try:
            if self.backend.index_ready():
                show("loading the embedding model")
            self.backend.prepare_index(progress, self.work.stop)
        except Exception as exc:  # retrieval problems never stop the chat
            show(f"not available ({first_line(exc)})")
            return
        show("ready")

    @on(IndexState)
    def index_state_changed(self, message: IndexState) -> None:
        if self.closing:
            return
        self.set_index_state(message.state)

    def set_index_state(self, state: str) -> None:
        self.index_state = state
        self.status.set(index=f"index: {state}")

    def refresh_lessons(self) -> None:
        try:
            statuses = self.backend.lesson_statuses()
        except Exception:
            statuses = {}
        self.query_one("#lab-todos", LabTodos).show(self.backend.lesson, self._lab_todos())
        lessons = self.query_one("#lessons", LessonList)
        if lessons.titles:
            lessons.update_statuses(statuses, self.backend.lesson)
        else:
            lessons.set_lessons(self.backend.lessons(), statuses, self.backend.lesson)

    def _lab_todos(self) -> list[tuple[str, str | None]]:
        try:
            return self.backend.lab_todos()
        except Exception:  # the lab view is a convenience: without it the chat still works
            return []

    @work(thread=True, exclusive=True, group="statuses")
    def reload_statuses(self) -> None:
        try:
            statuses = self.backend.lesson_statuses()
        except Exception:
            return
        lesson, todos = self.backend.lesson, self._lab_todos()  # a chat code check may have changed them
        self.call_from_thread(self.query_one("#lessons", LessonList).update_statuses, statuses, lesson)
        self.call_from_thread(self.query_one("#lab-todos", LabTodos).show, lesson, todos)

    # -- a turn --------------------------------------------------------------------------------
    @on(Input.Submitted, "#prompt")
    async def send(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if not self.ready:
            self.notify("The tutor is still starting; your question stays in the prompt.", severity="warning")
            return
        if self.reply_worker is not None and self.reply_worker.is_running:
            self.notify("A reply is still coming: wait, or press esc to cancel it.", severity="warning")
            return
        self.pending_prompt = text
        event.input.value = ""
        await self.chat.add_question(text)
        reply = await self.chat.new_reply(show_reasoning=bool(getattr(self.settings, "show_reasoning", False)))
        if self.index_state != "ready":
            reply.waiting(f"thinking; the course index is {self.index_state}, so this first reply can take a while...")
        self.reply_worker = self.answer(text, reply)

    @work(exclusive=True, group="reply")
    async def answer(self, text: str, reply) -> None:
        try:
            async for event in self.backend.turn(text):
                if isinstance(event, Token):
                    await reply.append(event.text)
                elif isinstance(event, Reasoning):
                    reply.add_reasoning(event.text)
                elif isinstance(event, Done):
                    await reply.finish(event.reply, event.citations)
        except Exception as exc:  # a model, network or agent failure is a message, never a crash
            if not reply.text:
                await reply.remove()
            self.chat.add_note(f"**The reply failed:** {first_line(exc)}\n\nYour question is back in the prompt.",
                               kind="error")
            if not self.prompt.value:
                self.prompt.value = text
            return
        self.chat.scroll_end(animate=False)
        self.reload_statuses()

    def action_cancel(self) -> None:
        if self.reply_worker is not None and self.reply_worker.is_running:
            self.reply_worker.cancel()
            self.prompt.value = self.pending_prompt
            self.prompt.focus()
            self.chat.add_note("_Reply cancelled; your question is back in the prompt._", kind="cancelled")
            return
        panel = self.query_one("#section-panel")
        if panel.has_class("open"):
            panel.remove_class("open")
            return
        checks = self.query_one("#check-panel", CheckPanel)
        if checks.has_class("open") and not checks.running:
            checks.remove_class("open")
            self.prompt.focus()
            return
        run_log = self.query_one("#run-log", RunLog)
        if run_log.has_class("open") and not run_log.running:
            run_log.remove_class("open")
            self.prompt.focus()

    def action_toggle_reasoning(self) -> None:
        reply = self.chat.last_reply()
        if reply is not None:
            reply.toggle_reasoning()

    # -- citations -----------------------------------------------------------------------------
    @on(OptionList.OptionSelected, ".citations")
    def open_citation(self, event: OptionList.OptionSelected) -> None:
        from textual.widgets import Markdown

        from tutor.tui.widgets.reply import Reply

        reply = next((a for a in event.option_list.ancestors if isinstance(a, Reply)), None)
        citation = reply.citation(event.option.id) if reply else None
        if citation is None:
            return
        text = (f"**{citation.get('file')}**, lesson {citation.get('lesson')}: *{citation.get('section')}*\n\n"
                + self.backend.section_text(citation) + "\n\n_esc closes this panel_")
        panel = self.query_one("#section-panel")
        if panel.query("#section-text"):
            panel.query_one("#section-text", Markdown).update(text)
        else:
            panel.mount(Markdown(text, id="section-text"))
        panel.add_class("open")
        panel.scroll_home(animate=False)

    # -- lessons -------------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#lessons")
    def pick_lesson(self, event: OptionList.OptionSelected) -> None:
        if not self.ready or self.backend.session is None:
            return
        number = int(event.option.id)
        if number == self.backend.lesson:
            self.prompt.focus()
            return
        if self.reply_worker is not None and self.reply_worker.is_running:
            self.reply_worker.cancel()
        self.switch_lesson(number)

    @work(thread=True, exclusive=True, group="switch")
    def switch_lesson(self, number: int) -> None:
        try:
            self.backend.switch_lesson(number)
            turns = self.backend.thread_turns()
            statuses = self.backend.lesson_statuses()
            todos = self._lab_todos()
        except Exception as exc:
            self.call_from_thread(self.chat.add_note, f"**Could not switch to lesson {number}:** {first_line(exc)}",
                                  kind="error")
            return
        self.call_from_thread(self.show_thread, number, turns, statuses, todos)

    async def show_thread(self, number: int, turns: list[dict], statuses: dict[int, str],
                          todos: list | None = None) -> None:
        """The chat becomes the lesson's thread: its recent turns, or a fresh opening."""
        await self.chat.remove_children()
        title = self.backend.lesson_title(number)
        if any(t.get("message") or t.get("reply") for t in turns):
            await self.chat.show_history(turns, f"**Lesson {number}: {title}**, the last turns of this conversation:")
        else:
            self.chat.add_note(f"**Lesson {number}: {title}.** A new conversation on this lesson: ask about its "
                               "ideas or its lab; `ctrl+r` runs the lab, `f3` checks your code, `ctrl+g` self-checks it.", kind="opening")
        self.query_one("#lessons", LessonList).update_statuses(statuses, number)
        self.query_one("#lab-todos", LabTodos).show(number, todos or [])
        self.status.set(where=self.where())
        self.prompt.focus()

    def action_focus_lessons(self) -> None:
        self.query_one("#lessons", LessonList).focus()

    # -- help, palette, quit -------------------------------------------------------------------
    def action_help(self) -> None:
        from tutor.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.BINDINGS, extra=OTHER_KEYS))

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        yield SystemCommand("Run lab", "Run the current lab in the sandbox with a live log (ctrl+r)", self.action_run_lab)
        yield SystemCommand("Self-check", "Grade labs/lesson_NN against the rubric (ctrl+g)", self.action_self_check)
        yield SystemCommand("Check my code", "Run the lab's checks on your labs/lesson_NN TODOs in the sandbox (f3)",
                            self.action_check_code)
        yield SystemCommand("Progress", "Lesson statuses, grades, misconceptions, where we left off (f2)",
                            self.action_progress)
        yield SystemCommand("Lessons", "Pick another lesson (ctrl+l)", self.action_focus_lessons)
        yield SystemCommand("Help", "Every key binding (f1)", self.action_help)

    def catch_signals(self) -> None:
        """SIGTERM and SIGHUP (the terminal closed) quit as ctrl+q does: saved, background
        work stopped, exit status 0. Without this they would kill the process mid-write."""
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self.quit_on_signal)
        with contextlib.suppress(ValueError):  # not the main thread (some test harnesses)
            signal.signal(signal.SIGHUP, self.hang_up)

    def quit_on_signal(self) -> None:
        self.quit_warned = True  # nobody is there to press ctrl+q twice: a lab run is stopped too
        self.run_worker(self.action_quit(), group="quit", exclusive=True)

    def hang_up(self, signum, frame) -> None:
        """SIGHUP: the terminal closed, so there is no screen to quit through (shutdown.py)."""
        from tutor.tui.shutdown import leave_after_hangup

        def save() -> None:
            if not self.ended and self.backend.session is not None:
                self.ended = True
                self.backend.end_session()

        leave_after_hangup(self.backend.stop_background, save, self.work)

    async def action_quit(self) -> None:
        """Quitting ends the session, so the summary ("where we left off") is saved, and stops
        the background work (index build, lab run, self-check) before the process exits. A lab
        run still going is stopped only when the learner presses ctrl+q a second time."""
        if self.run_in_progress() and not self.quit_warned:
            self.quit_warned = True
            self.query_one("#run-log").add_class("open")
            self.notify("A lab run is still going. Press ctrl+q again to stop it and quit.", severity="warning")
            return
        if self.reply_worker is not None and self.reply_worker.is_running:
            self.reply_worker.cancel()
        message = None
        if not self.ended and self.backend.session is not None:
            self.ended = True
            try:
                await asyncio.to_thread(self.backend.end_session)
            except Exception as exc:
                message = f"tutor: could not save where we left off ({first_line(exc)})"
        self.status.set(index="stopping background work...")
        self.closing = True
        self.backend.stop_background()
        await asyncio.to_thread(self.work.stop_and_join)
        self.exit(message=message)
