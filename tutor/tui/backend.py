"""The app's one adapter to the rest of the tutor: the teacher agent's session, the progress
store, the retrieval index and the course. Nothing here touches the screen.

``load`` and ``prepare_index`` are slow (the course, the agent, torch and the embedding
model) and run in worker threads after the first paint; everything else is quick, or runs in
a worker where the app calls it. Every failure here becomes a message the app can show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable

from tutor.tui.widgets.status_bar import model_label


@dataclass
class Token:
    text: str


@dataclass
class Reasoning:
    text: str


@dataclass
class Done:
    reply: str
    citations: list[dict] = field(default_factory=list)
    result: Any = None


def first_line(exc: BaseException) -> str:
    """An exception as one line for the chat: its message's first line, or its type."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Backend:
    def __init__(self, settings: Any, learner_id: str = "default", lesson: int | None = None):
        self.settings = settings
        self.learner_id = learner_id
        self.lesson = lesson
        self.session: Any = None
        self.course: Any = None
        self.store: Any = None
        self.model_error = ""
        self.load_error = ""
        self._retriever: Any = None

    # -- loading (worker threads) ------------------------------------------------------------------
    def model_label(self) -> str:
        label = model_label(getattr(self.settings, "model", "offline"))
        return f"{label} (not available: replies come from the course text)" if self.model_error else label

    def load(self) -> None:
        """Build the agent's session: it loads the course, opens the store and picks the model
        from the settings (a model that cannot be built is reported, and replies come offline)."""
        from tutor.agent.session import TutorSession

        self.session = TutorSession(self.settings, self.learner_id, self.lesson)
        self.learner_id = self.session.learner_id  # the learner a cohort role is, for "default"
        # a question asked while the embedding model still loads (prepare_index) is answered
        # from keyword search at once instead of after the load
        self.session.ctx.wait_for_embedder = False
        self.course = self.session.course
        self.store = self.session.store
        self.lesson = self.session.lesson
        self.model_error = getattr(self.session, "model_error", "") or ""

    def index_ready(self) -> bool:
        from tutor.retrieval import get_retriever

        return get_retriever(self.settings).index_ready()

    def prepare_index(self, progress: Callable[[int, int, str], None], stop: Any = None) -> None:
        """Build or refresh the course index (with progress), then load the embedding model, so
        the first question does not pay for either. The agent's graph is imported first: a
        question asked meanwhile needs it, and keyword search on the index, but not the model."""
        import tutor.agent.graph  # noqa: F401
        import langgraph.checkpoint.sqlite.aio  # noqa: F401

        from tutor.retrieval import get_retriever

        retriever = self._retriever = get_retriever(self.settings)
        retriever.ensure_index(progress=progress)
        if stop is None or not stop.is_set():  # the model's load cannot be cut short: skip it
            retriever.embed_query("warm up the embedding model")

    def stop_background(self) -> None:
        """The process is about to exit: an index build on any thread (the app's, or a turn's
        own) stops at its next batch."""
        retriever = self._retriever or getattr(getattr(self.session, "ctx", None), "retriever", None)
        if retriever is not None:
            retriever.stop_building()

    # -- the learner --------------------------------------------------------------------------------
    def needs_onboarding(self) -> bool:
        return bool(self.session is not None and self.session.needs_onboarding)

    def save_profile(self, profile: dict) -> None:
        self.session.save_profile(**profile)

    def opening_message(self) -> str:
        return self.session.opening_message()

    def end_session(self) -> None:
        if self.session is not None:
            self.session.end_session()

    def lessons(self) -> list[tuple[int, str]]:
        if not self.course:
            return []
        return [(n, lesson.title) for n, lesson in sorted(self.course.lessons.items())]

    def lesson_title(self, number: int | None) -> str:
        return dict(self.lessons()).get(number, "")

    def lesson_statuses(self) -> dict[int, str]:
        return self.store.lesson_statuses(self.learner_id) if self.store is not None else {}

    def switch_lesson(self, number: int) -> None:
        self.session.switch_lesson(number)
        self.lesson = number

    def thread_turns(self, limit: int = 4) -> list[dict]:
        """The last turns of the current lesson's thread, oldest first, from the store."""
        if self.store is None:
            return []
        return self.store.recent_turns(self.learner_id, self.lesson, limit=limit)

    def overview(self) -> dict:
        from tutor.store.overview import learner_overview

        if self.store is None:
            raise RuntimeError("the progress store could not be opened, so there is no progress to show")
        return learner_overview(self.store, self.learner_id)

    # -- the lab's checks ---------------------------------------------------------------------------
    def check_lab(self) -> dict:
        """Run the current lab's checks on the learner's labs/lesson_NN (as `tutor check` and the
        chat's "check my code" do; blocking, a sandbox run: call it on a worker thread)."""
        from tutor.agent.code_check import run_check

        ctx = getattr(self.session, "ctx", None)
        if ctx is None:
            raise RuntimeError("the tutor is still starting; try again in a moment")
        return run_check(ctx, {"lesson": self.lesson, "todos": [], "code": None})

    def lab_todos(self) -> list[tuple[str, str | None]]:
        """The current lab's TODO functions in order, each with the status of its last check."""
        from tutor.agent.lab import lab_view

        lesson = getattr(self.course, "lessons", {}).get(self.lesson) if self.course is not None else None
        lab = lab_view(lesson) if lesson is not None else None
        if lab is None:
            return []
        latest = {}
        if self.store is not None:
            latest = {p["todo"]: p["latest"] for p in self.store.check_progress(self.learner_id, self.lesson)}
        return [(name, latest.get(name)) for name in lab.stub_names]

    def record_run(self, record: dict) -> bool:
        if self.store is None:
            return False
        self.store.record_run(self.learner_id, self.lesson, record)
        return True

    # -- a turn ------------------------------------------------------------------------------------
    async def turn(self, message: str) -> AsyncIterator[Any]:
        if self.session is None:
            raise RuntimeError(f"the tutor could not start: {self.load_error}" if self.load_error
                               else "the tutor is still starting; try again in a moment")
        async for event in self.session.turn(message):
            name = type(event).__name__
            if name == "TokenEvent":
                yield Token(event.text)
            elif name == "ReasoningEvent":
                yield Reasoning(event.text)
            elif name == "DoneEvent":
                yield Done(event.result.reply, list(event.result.citations or []), event.result)

    def section_text(self, citation: dict) -> str:
        """The cited lines of the course file, for the side panel."""
        root = getattr(self.course, "root", None) or self.settings.course_dir
        start, end = (citation.get("lines") or [1, 0])[:2]
        try:
            lines = (root / citation["file"]).read_text(encoding="utf-8").splitlines()
        except (OSError, KeyError) as exc:
            return f"Could not read {citation.get('file')}: {getattr(exc, 'strerror', None) or exc}"
        return "\n".join(lines[max(0, start - 1): end])
