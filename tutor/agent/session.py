"""TutorSession: one learner's conversation. Offline replies are composed from the course.

FALLBACK: the progress store (tutor/store) had not landed when this was written, so the
profile, "where we left off" and contract events live in a JSON file under TUTOR_HOME.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from tutor.agent.classify import classify
from tutor.guard.output import check_reply


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
        return asdict(self)


@dataclass
class TokenEvent:
    text: str


@dataclass
class ReasoningEvent:
    text: str


@dataclass
class DoneEvent:
    result: TurnResult


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def _load_course_tolerantly(root):
    """The course is still being written: a problem in one lesson must not stop the tutor."""
    from tutor.course.loader import CourseError, _Loader

    course = _Loader(root).load()
    if course is None:
        raise CourseError([])
    return course


class TutorSession:
    def __init__(self, settings, learner_id: str = "default", lesson: int | None = None):
        self.settings = settings
        self.learner_id = learner_id
        self.course = _load_course_tolerantly(settings.course_dir)
        self.policy = self.course.contract.policy
        self._memory_path = settings.home_dir / "agent_memory.json"
        self.memory = self._load_memory()
        self.lesson = lesson or self.memory.get("lesson") or min(self.course.lessons)
        self.attempts = 0
        self.topics: list[str] = []

    def _load_memory(self) -> dict:
        try:
            return json.loads(self._memory_path.read_text()).get(self.learner_id, {})
        except (OSError, ValueError):
            return {}

    def _save_memory(self) -> None:
        self._memory_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            data = json.loads(self._memory_path.read_text())
        except (OSError, ValueError):
            data = {}
        data[self.learner_id] = self.memory
        self._memory_path.write_text(json.dumps(data, indent=2))

    @property
    def needs_onboarding(self) -> bool:
        return "profile" not in self.memory

    def save_profile(self, **profile) -> None:
        self.memory["profile"] = profile
        self._save_memory()

    def switch_lesson(self, number: int) -> None:
        self.lesson = number

    def opening_message(self) -> str:
        if self.needs_onboarding:
            return "Welcome! Tell me your goals, experience, learning style and Python fluency."
        return self._where_we_left_off()

    def _where_we_left_off(self) -> str:
        left = self.memory.get("where_left_off")
        if not left:
            return f"Welcome back. We are on lesson {self.lesson}."
        steps = "\n".join(f"- {s}" for s in self.memory.get("next_steps", []))
        return f"Where we left off: {left}\n\nNext steps:\n{steps}"

    def end_session(self) -> None:
        topics = ", ".join(self.topics[-3:]) or "no questions yet"
        self.memory["lesson"] = self.lesson
        self.memory["where_left_off"] = f"lesson {self.lesson}; last topics: {topics}"
        stubs = self._stubs()
        self.memory["next_steps"] = [f"Implement the TODO `{s}` in the lesson {self.lesson} lab" for s in stubs[:3]] or [
            f"Reread lesson {self.lesson} and run its lab"
        ]
        self._save_memory()

    def _stubs(self) -> list[str]:
        lesson = self.course.lessons.get(self.lesson)
        try:
            return lesson.lab.todo_stubs if lesson and lesson.lab else []
        except OSError:
            return []

    def _best_sections(self, message: str, k: int = 2):
        query = _words(message)
        scored = []
        for number, lesson in self.course.lessons.items():
            # the level-1 section spans the whole lesson: cite the subsection instead
            for section in [s for s in lesson.sections if s.level >= 2] or lesson.sections:
                overlap = len(query & _words(section.title + " " + section.text))
                bonus = 1 if number == self.lesson else 0
                scored.append((overlap + bonus, number, lesson, section))
        scored.sort(key=lambda t: -t[0])
        return [t for t in scored[:k] if t[0] > 1]

    def _cite(self, number, lesson, section) -> dict:
        return {"lesson": number, "section": section.title, "file": str(lesson.path.relative_to(self.course.root)) if lesson.path.is_relative_to(self.course.root) else str(lesson.path), "lines": [section.start, section.end]}

    def _explain(self, message: str):
        hits = self._best_sections(message)
        if not hits:
            return "I could not find that in the course; try naming the lesson topic.", []
        parts, cites = [], []
        query = _words(message)
        for _, number, lesson, section in hits:
            sentences = re.split(r"(?<=[.!?])\s+", " ".join(section.text.split()))
            best = sorted(sentences, key=lambda s: -len(query & _words(s)))[:3]
            parts.append(" ".join(best) + f" [L{number} §{section.title}]")
            cites.append(self._cite(number, lesson, section))
        return "\n\n".join(parts), cites

    def _coach(self, intent: str) -> str:
        self.attempts += 1
        rung = self.policy.ladder_step(self.attempts)
        stubs = self._stubs()
        todo = f" Start with the TODO `{stubs[0]}` in the lesson {self.lesson} lab." if stubs else ""
        what = "write your notes" if intent == "report_request" else "write the lab code"
        return (f"I won't {what} for you, but I will help you do it. "
                f"Coaching step {rung.level} ({rung.name}): {rung.give}.{todo} "
                "What do you expect the function to return for a tiny input?")

    def _scaffold(self) -> str:
        stubs = self._stubs()
        steps = "\n".join(f"- [ ] implement `{s}` (it raises NotImplementedError now)" for s in stubs)
        return f"Lesson {self.lesson} lab checklist:\n{steps or '- [ ] read the lab README'}\n- [ ] run with --smoke first\n- [ ] record your measurements in notes.md"

    async def turn(self, message: str):
        intent = classify(message, self.policy.outsourcing_phrases)
        action = self.policy.action_for(intent)
        citations: list[dict] = []
        if action == "coach":
            reply = self._coach(intent)
        elif action in ("explain", "design", "debug", "assess"):
            reply, citations = self._explain(message)
        elif action == "scaffold":
            reply = self._scaffold()
        elif action == "status":
            reply = self._where_we_left_off()
        else:
            reply = "That is outside this course; ask me about the current lesson or its lab."
        guard = check_reply(reply, self.policy, self._stubs())
        if guard:
            reply = self._coach("solution_request")
            action = "coach"
        if intent in ("solution_request", "report_request"):
            guard.append({"rule": "outsourcing_request", "action": "coach"})
        if guard:
            self.memory.setdefault("contract_events", []).extend(guard)
        self.topics.append(message[:60])
        self._save_memory()
        yield TokenEvent(reply)
        yield DoneEvent(TurnResult(reply, intent, action, citations, guard))
