"""TutorSession: one learner's conversation, the facade the CLI and the TUI use.

Each turn runs the compiled graph with the checkpointer (SQLite, or PostgreSQL on a cohort
DB: tutor.agent.checkpoints; one thread per learner and
lesson, ``"{learner}:lesson_{NN}"``), so the coaching rung, the pending quiz, a detour and
the recent history survive a restart. Tokens are streamed as they pass the guard; the final
``DoneEvent.result.reply`` is the guarded reply and equals the concatenated tokens.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import AsyncIterator, Callable

from tutor.agent.checkpoints import CHECKPOINTS_AWAY, checkpoints_unreachable
from tutor.agent.context import TutorContext
from tutor.agent.memory import next_steps, where_left_off
from tutor.agent.nodes.finish import contract_events, turn_record_event
from tutor.redact import redact_urls_in

PROFILE_FIELDS = ("name", "goals", "experience", "learning_style", "python_fluency")
_DEFAULT = object()


@dataclass
class TurnResult:
    reply: str
    intent: str
    action: str
    citations: list[dict] = field(default_factory=list)
    guard: list[dict] = field(default_factory=list)
    misconceptions: list[str] = field(default_factory=list)
    model: str = "offline"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["guard"] = [turn_record_event(g) for g in self.guard]
        return data


@dataclass
class TokenEvent:
    text: str


@dataclass
class ReasoningEvent:
    text: str


@dataclass
class DoneEvent:
    result: TurnResult


def thread_id(learner_id: str, lesson: int) -> str:
    return f"{learner_id}:lesson_{lesson:02d}"


class TutorSession:
    def __init__(self, settings, learner_id: str = "default", lesson: int | None = None, model=_DEFAULT, *,
                 progress: Callable[[int, int, str], None] | None = None, context: TutorContext | None = None):
        self.settings = settings
        self.learner_id = learner_id
        self.model_error = ""
        if model is _DEFAULT:
            model = self._configured_model(settings)
        self.ctx = context or TutorContext.create(settings, learner_id, model=model)
        self.ctx.learner_id = learner_id
        self.course = self.ctx.course
        self.policy = self.ctx.policy
        self.store = self.ctx.store
        self.progress = progress
        bound = self.store.bound_learner()  # a learner's own role on a cohort DB is that learner
        if bound and learner_id == "default":
            learner_id = self.learner_id = self.ctx.learner_id = bound
        self.store.ensure_learner(learner_id)
        known = self.store.current_lesson(learner_id)
        start = lesson or (known if self.ctx.view.has(known) else None) or min(self.course.lessons)
        self.lesson = start
        self._turns = 0
        self._index_checked = False

    def _configured_model(self, settings):
        from tutor.llm import ModelError, get_chat_model

        try:
            return get_chat_model(settings)
        except ModelError as error:
            # the app must still open: answer offline and say why on every turn
            reason = redact_urls_in(str(error).splitlines()[0]) if str(error) else type(error).__name__
            self.model_error = f"model not available ({reason}); answering from the course text"
            return None

    @property
    def model(self):
        return self.ctx.model

    @property
    def model_name(self) -> str:
        return self.ctx.model_name

    # -- memory ---------------------------------------------------------------------------------
    @property
    def needs_onboarding(self) -> bool:
        return self.store.get_profile(self.learner_id) is None

    def save_profile(self, **profile) -> None:
        self.store.save_profile(self.learner_id, **{k: v for k, v in profile.items() if k in PROFILE_FIELDS})

    def switch_lesson(self, number: int) -> None:
        if not self.ctx.view.has(number):
            known = ", ".join(str(n) for n in sorted(self.course.lessons))
            raise ValueError(f"no lesson {number} in this course (lessons: {known})")
        self.lesson = number

    def opening_message(self) -> str:
        if self.needs_onboarding:
            return ("Welcome! Before we start, tell me about yourself: your name, what you want from this course, "
                    "your experience with machine learning, how you like to learn (examples first, theory first, "
                    "hands-on experiments) and how fluent you are in Python.")
        profile = self.store.get_profile(self.learner_id) or {}
        name = f", {profile['name']}" if profile.get("name") else ""
        summary = self.store.latest_summary(self.learner_id)
        if not summary:
            return f"Welcome{name}. We're on {self.ctx.view.lesson_label(self.lesson)}. Ask about an idea, the lab, or your runs."
        steps = "\n".join(f"- {s}" for s in summary.get("next_steps") or [])
        text = f"Welcome back{name}. Where we left off: {summary['where_left_off']}"
        return text + (f"\n\nNext steps:\n{steps}" if steps else "")

    def end_session(self) -> None:
        """Where we left off is saved by every turn as it ends (a crash loses nothing); at the
        end of a session make sure the last one is there even if that save had failed."""
        from tutor.store import NotSaved
        from tutor.store.keeping import is_unreachable

        try:
            if self._turns == 0 or self.store.latest_summary(self.learner_id):
                return
            state = self._last_state or {}
            status = self.store.lesson_statuses(self.learner_id).get(self.lesson)
            self.store.save_summary(self.learner_id, self.lesson, where_left_off(self.ctx.view, self.lesson, state),
                                    next_steps(self.ctx.view, self.lesson, state, status,
                                               self.store.open_misconceptions(self.learner_id)))
        except NotSaved as error:
            if not error.kept:
                raise
        except Exception as error:  # noqa: BLE001 - the database went away: each turn already said so
            if not is_unreachable(error):
                raise

    _last_state: dict | None = None

    # -- turns ----------------------------------------------------------------------------------
    async def _ensure_index(self) -> None:
        retriever = self.ctx.retriever
        if retriever is None or self._index_checked:
            return
        if not retriever.index_ready():  # a few stat calls; building happens once, off the event loop
            await asyncio.to_thread(retriever.ensure_index, self.progress)
        self._index_checked = True

    async def turn(self, message: str) -> AsyncIterator[TokenEvent | ReasoningEvent | DoneEvent]:
        from tutor.agent.checkpoints import saver_for
        from tutor.agent.graph import graph
        from tutor.llm.deadline import turn_deadline

        await self._ensure_index()
        self.settings.home_dir.mkdir(parents=True, exist_ok=True)
        config = {"configurable": {"thread_id": thread_id(self.learner_id, self.lesson)}}
        state: dict = {}
        if self.model_error:
            yield TokenEvent(f"({self.model_error}.)\n\n")
        # every model call of this turn (classification, the reply) shares one deadline
        seconds = getattr(self.settings, "turn_deadline", None) if self.ctx.model is not None else None
        memory_note, shown = "", False
        with turn_deadline(seconds):
            for attempt in ("saved", "in memory"):
                try:
                    async with saver_for(self.settings, in_memory=attempt == "in memory") as saver:
                        app = graph.copy(update={"checkpointer": saver})  # compiled once; the saver is per turn
                        # the thread is written once, when the turn is complete: a turn cut off half-way
                        # is simply not remembered, and a turn costs one checkpoint write instead of eight
                        async for mode, chunk in app.astream({"message": message, "lesson": self.lesson}, config,
                                                             context=self.ctx, stream_mode=["custom", "updates"],
                                                             durability="exit"):
                            if mode == "custom":
                                if chunk.get("token"):
                                    shown = True
                                    yield TokenEvent(chunk["token"])
                                elif chunk.get("reasoning"):
                                    yield ReasoningEvent(chunk["reasoning"])
                            else:
                                # each node's partial update; the keys read below are set outright
                                for update in chunk.values():
                                    state.update(update or {})
                    break
                except Exception as error:  # noqa: BLE001 - only a checkpoint database that went away
                    if attempt == "in memory" or not checkpoints_unreachable(error) or (shown and "reply" not in state):
                        raise
                    memory_note = CHECKPOINTS_AWAY
                    if "reply" in state:  # the reply is there; only the thread's memory of it is not
                        break
                    state = {}  # nothing ran to the end: answer again, remembering this turn in memory only
        self._turns += 1
        self._last_state = state
        reply = state.get("reply", "")
        if self.model_error:
            reply = f"({self.model_error}.)\n\n{reply}"
        note = " ".join(n for n in (state.get("model_note", ""), memory_note) if n)
        if note and note not in reply:
            yield TokenEvent(f"\n\n{note}")
            reply = f"{reply}\n\n{note}"
        misconception = state.get("misconception")
        yield DoneEvent(TurnResult(
            reply=reply, intent=state.get("intent", ""), action=state.get("action", ""),
            citations=list(state.get("citations") or []),
            guard=[e for e in contract_events(state) if e["rule"] != "model_error"],
            misconceptions=[misconception["id"]] if misconception else [],
            model=state.get("model_used") or self.model_name,
        ))

    async def thread_state(self) -> dict:
        """The checkpointed state of the current thread (for tests and instructors)."""
        from tutor.agent.checkpoints import saver_for
        from tutor.agent.graph import graph

        async with saver_for(self.settings) as saver:
            snapshot = await graph.copy(update={"checkpointer": saver}).aget_state({"configurable": {"thread_id": thread_id(self.learner_id, self.lesson)}})
            return dict(snapshot.values)
