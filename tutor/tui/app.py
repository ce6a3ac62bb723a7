"""The learner app: lesson sidebar, chat with streamed Markdown, citations, status bar."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Collapsible, Footer, Input, Markdown, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from tutor.tui.backend import Backend, Done, Reasoning, Token


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,f1,question_mark", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        rows = ["# Keys", ""]
        for binding in TutorApp.BINDINGS:
            rows.append(f"- `{binding.key}`: {binding.description}")
        rows.append("- `enter`: send the question")
        yield Markdown("\n".join(rows), id="help")


class Reply(Vertical):
    """One answer: reasoning (collapsed), Markdown body, citations."""

    def compose(self) -> ComposeResult:
        with Collapsible(title="reasoning", collapsed=True, id="reasoning"):
            yield Static("", id="reasoning-text")
        yield Markdown("", classes="answer")


class TutorApp(App):
    CSS_PATH = "tutor.tcss"
    TITLE = "tutor"
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("escape", "cancel", "Cancel reply"),
        Binding("ctrl+l", "focus_lessons", "Lessons"),
        Binding("ctrl+g", "self_check", "Self-check"),
        Binding("ctrl+r", "run_lab", "Run lab"),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def __init__(self, settings: Any, learner_id: str = "default", lesson: int | None = None, backend: Backend | None = None):
        super().__init__()
        self.backend = backend or Backend(settings, learner_id, lesson)
        self.pending_prompt = ""
        self.reply_worker: Worker | None = None
        self.ready = False

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield OptionList(id="lessons")
            with Vertical(id="main"):
                yield VerticalScroll(id="chat")
                yield Input(placeholder="Ask about the lesson (enter to send)", id="prompt")
            yield Markdown("", id="section-panel")
        yield Static(self.backend.model_label() + " | index: loading", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#prompt", Input).focus()
        self.load_backend()

    @work(thread=True, exclusive=True, group="load")
    def load_backend(self) -> None:
        try:
            self.backend.load()
        except Exception as exc:
            self.backend.notice = f"startup problem: {exc}"
        self.call_from_thread(self.backend_ready)

    def backend_ready(self) -> None:
        self.ready = True
        lessons = self.query_one("#lessons", OptionList)
        for number, title in self.backend.lessons():
            lessons.add_option(Option(f"{number:02d} {title}", id=str(number)))
        index = "ready" if self.backend.course else "not available"
        self.query_one("#status", Static).update(f"{self.backend.model_label()} | index: {index}")
        if self.backend.needs_onboarding():
            from tutor.tui.onboarding import OnboardingScreen

            self.push_screen(OnboardingScreen(), self.profile_saved)
            return
        self.add_note(self.backend.opening_message())

    def profile_saved(self, profile: dict | None) -> None:
        try:
            self.backend.save_profile(profile or {})
        except Exception as exc:
            self.add_note(f"Could not save your profile: {exc}")
        self.add_note(self.backend.opening_message())

    def add_note(self, text: str) -> None:
        chat = self.query_one("#chat", VerticalScroll)
        chat.mount(Markdown(text, classes="note"))
        chat.scroll_end(animate=False)

    @on(Input.Submitted, "#prompt")
    async def send(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text or not self.ready:
            return
        self.pending_prompt = text
        event.input.value = ""
        chat = self.query_one("#chat", VerticalScroll)
        await chat.mount(Static(f"> {text}", classes="question"))
        reply = Reply(classes="reply")
        # awaited: a Markdown resets its text when it mounts, which would drop early tokens
        await chat.mount(reply)
        self.reply_worker = self.answer(text, reply)

    @work(exclusive=True, group="reply")
    async def answer(self, text: str, reply: Reply) -> None:
        body = reply.query_one(".answer", Markdown)
        reasoning: list[str] = []
        try:
            async for event in self.backend.turn(text):
                if isinstance(event, Token):
                    # append per token: MarkdownStream.stop() can raise CancelledError into
                    # this worker when its task had not started yet (Textual 8.2.8)
                    await body.append(event.text)
                elif isinstance(event, Reasoning):
                    reasoning.append(event.text)
                    reply.query_one("#reasoning-text", Static).update("".join(reasoning))
                elif isinstance(event, Done):
                    self.show_citations(reply, event.citations)
        except Exception as exc:  # a model or network failure is a message, never a crash
            self.add_note(f"**The reply failed:** {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
            self.query_one("#prompt", Input).value = text
        self.query_one("#chat", VerticalScroll).scroll_end(animate=False)

    def show_citations(self, reply: Reply, citations: list[dict]) -> None:
        if not citations:
            return
        options = OptionList(classes="citations")
        reply.mount(options)
        self.citations = {}
        for i, citation in enumerate(citations):
            key = f"cite-{len(self.citations)}-{i}"
            self.citations[key] = citation
            start, end = citation["lines"]
            options.add_option(Option(f"[{citation['lesson']}] {citation['section']} ({citation['file']}:{start}-{end})", id=key))

    citations: dict[str, dict] = {}

    @on(OptionList.OptionSelected, ".citations")
    def open_citation(self, event: OptionList.OptionSelected) -> None:
        citation = self.citations.get(event.option.id or "")
        if citation:
            panel = self.query_one("#section-panel", Markdown)
            panel.update(f"**{citation['file']}**\n\n" + self.backend.section_text(citation))
            panel.add_class("open")

    @on(OptionList.OptionSelected, "#lessons")
    def pick_lesson(self, event: OptionList.OptionSelected) -> None:
        number = int(event.option.id)
        try:
            self.backend.switch_lesson(number)
        except Exception as exc:
            self.add_note(f"Could not switch lesson: {exc}")
            return
        self.query_one("#chat", VerticalScroll).remove_children()
        self.add_note(f"Now on lesson {number}.")
        self.query_one("#prompt", Input).focus()

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        yield SystemCommand("Self-check", "Grade the current lab folder (labs/lesson_NN) with the rubric", self.action_self_check)
        yield SystemCommand("Run lab", "Run the current lab in the sandbox with a live log", self.action_run_lab)
        yield SystemCommand("Help", "Every key binding", self.action_help)

    def action_run_lab(self) -> None:
        self.run_lab()

    @work(exclusive=True, group="run", thread=True)
    def run_lab(self) -> None:
        """The learner's labs/lesson_NN under cwd if there, else the shipped starter with --smoke.

        sandbox.run copies the lab to a scratch dir (in_place=False), so nothing in cwd is written.
        """
        from pathlib import Path

        lesson = self.backend.lesson
        course = self.backend.course
        mine = Path.cwd() / "labs" / f"lesson_{lesson or 0:02d}"
        shipped = course.lessons[lesson].lab.path if course and lesson in course.lessons and course.lessons[lesson].lab else None
        lab = mine if mine.is_dir() else shipped
        if lab is None:
            self.call_from_thread(self.add_note, "This lesson has no lab to run.")
            return
        command = ["python", "starter.py"] + ([] if lab == mine else ["--smoke"])
        log: list[str] = []
        self.call_from_thread(self.add_note, f"Running `{' '.join(command)}` in a sandboxed copy of `{lab.name}`...")

        def on_output(stream: str, text: str) -> None:
            log.append(text)
            self.call_from_thread(self.notify, text.rstrip()[-200:] or " ", title=f"lab {stream}", timeout=3)

        try:
            import sandbox

            record = sandbox.run(lab, command, runs_dir=self.backend.settings.home_dir / "runs", on_output=on_output).to_dict()
        except Exception as exc:  # sandbox problems are a message, never a crash
            self.call_from_thread(self.add_note, f"**The run failed to start:** {exc}")
            return
        tail = "".join(log)[-1500:]
        summary = {k: record.get(k) for k in ("status", "exit_code", "wall_s", "run_dir") if k in record}
        self.call_from_thread(self.add_note, f"Run finished: `{summary}`\n\n```text\n{tail}\n```")

    def action_self_check(self) -> None:
        self.self_check()

    @work(exclusive=True, group="grade")
    async def self_check(self) -> None:
        import asyncio
        from pathlib import Path

        lesson = self.backend.lesson
        folder = Path.cwd() / "labs" / f"lesson_{lesson or 0:02d}"
        if lesson is None or not folder.is_dir():
            self.add_note(f"No lab folder to grade: expected `labs/lesson_{lesson or 0:02d}/` under the current directory.")
            return
        self.add_note(f"Grading `{folder.name}`...")
        try:
            from tutor.grading import grade_folder
            from tutor.grading.report import markdown

            # grade_folder runs its own event loop, so it goes to a thread; write=False keeps the folder untouched
            report = await asyncio.to_thread(grade_folder, folder, lesson=lesson, settings=self.backend.settings, write=False)
            self.add_note(markdown(report))
        except Exception as exc:  # grading problems are a message, never a crash
            self.add_note(f"**Self-check failed:** {exc}")

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_focus_lessons(self) -> None:
        self.query_one("#lessons", OptionList).focus()

    def action_cancel(self) -> None:
        if self.reply_worker is not None and self.reply_worker.is_running:
            self.reply_worker.cancel()
            self.query_one("#prompt", Input).value = self.pending_prompt
            self.add_note("_Reply cancelled._")
