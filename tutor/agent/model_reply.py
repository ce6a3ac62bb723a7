"""With a model: assemble the prompt, stream the reply through the stream guard.

The prompt is AGENTS.md's prose, the action's instruction, the learner's profile, the lesson,
the retrieved passages fenced as reference data with their citation labels, the offline
draft as course-grounded notes, misconception info and recent turns. For ``coach`` the
learner's message is NOT in the prompt: the model only rephrases the coaching step.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from tutor.agent.compose.base import Draft, Turn
from tutor.agent.faithfulness import ReplyFilter
from tutor.agent.passages import label
from tutor.agent.prompts import (ACTION_INSTRUCTIONS, CLASSIFY_INSTRUCTIONS, CLASSIFY_SCHEMA, PROFILE_HINTS,
                                 REFERENCE_HEADER)
from tutor.agent.stream_guard import StreamGuard
from tutor.llm import Message
from tutor.llm.base import complete


def _fence(text: str) -> str:
    return "<<<\n" + text.replace("<<<", "< < <").replace(">>>", "> > >").strip() + "\n>>>"


def profile_hints(turn: Turn) -> list[str]:
    hints = []
    if turn.beginner_python:
        hints.append(PROFILE_HINTS["beginner_python"])
    if turn.examples_first:
        hints.append(PROFILE_HINTS["examples_first"])
    if turn.experience in ("advanced", "beginner"):
        hints.append(PROFILE_HINTS[turn.experience])
    return hints


def build_messages(turn: Turn, action: str, draft: Draft, history: list[dict], contract_prose: str) -> list[Message]:
    system = "\n\n".join([contract_prose.strip(), ACTION_INSTRUCTIONS[action], *profile_hints(turn)])
    lesson = turn.view.lessons.get(turn.lesson)
    parts = [f"Current lesson: {turn.lesson}" + (f" ({lesson.title})" if lesson else "")]
    if turn.profile.get("name"):
        parts.append(f"Learner: {turn.profile.get('name')}; goals: {turn.profile.get('goals', '')}; "
                     f"experience: {turn.profile.get('experience', '')}; style: {turn.profile.get('learning_style', '')}; "
                     f"Python: {turn.profile.get('python_fluency', '')}")
    if action in ("coach", "check"):
        # the learner's message (their code, for a check) stays out: the model only rephrases the step
        what = "Coaching step" if action == "coach" else "Check report"
        parts.append(f"{what} to rephrase (keep its details, add nothing):\n" + _fence(draft.text))
        return [Message("system", system), Message("user", "\n\n".join(parts))]
    if turn.hits:
        refs = "\n".join(f"{label(h['lesson'], h['section'])}\n{_fence(h['text'])}" for h in turn.hits[:4])
        parts.append(f"{REFERENCE_HEADER}\n{refs}")
    parts.append("Course-grounded notes for your answer (composed from the course; use them):\n" + _fence(draft.full))
    messages = [Message("system", system)]
    for item in history[-8:]:
        if item.get("role") in ("user", "assistant") and item.get("content"):
            messages.append(Message(item["role"], item["content"]))
    parts.append("Learner's message:\n" + _fence(turn.message))
    messages.append(Message("user", "\n\n".join(parts)))
    return messages


@dataclass
class Streamed:
    text: str
    released: int
    violations: list[dict] = field(default_factory=list)
    reasoning_hidden: bool = False
    finish: str = ""  # the server's finish_reason ("length": cut off at the token limit)
    unfaithful: bool = False  # the faithfulness filter withheld the reply (too many unsupported numbers)


async def stream_model(model, messages: list[Message], guard: StreamGuard, reasoning_guard: StreamGuard,
                       emit: Callable[[dict], None], settings: Any, faith: ReplyFilter | None = None) -> Streamed:
    """Stream a model reply; tokens reach ``emit`` only after the faithfulness filter and then
    the guard let them through. Stops reading as soon as the guard found a violation (the rest
    will be rewritten)."""
    def content(text: str, filtered: bool = False) -> None:
        shown = guard.feed(faith.feed(text) if faith is not None and not filtered else text)
        if shown:
            emit({"token": shown})

    fenceless = ReplyFilter({}, set(), check=False)  # the reasoning shown on ctrl+t: no prompt fences either
    kwargs = {"max_tokens": getattr(settings, "max_tokens", None), "thinking": getattr(settings, "enable_thinking", None)}
    stream = model.stream(messages, **{k: v for k, v in kwargs.items() if v is not None})
    finish = ""
    try:
        async with contextlib.aclosing(stream) if hasattr(stream, "aclose") else contextlib.nullcontext(stream) as chunks:
            async for chunk in chunks:
                finish = chunk.finish or finish
                if chunk.reasoning and not reasoning_guard.violations:
                    shown = reasoning_guard.feed(fenceless.feed(chunk.reasoning))
                    if shown:
                        emit({"reasoning": shown})
                if chunk.content:
                    content(chunk.content)
                if guard.violations:
                    break
        if faith is not None and not guard.violations:
            rest = faith.close()
            if rest:
                content(rest, filtered=True)
            if faith.over:  # withheld, but a contract breach in it still counts (and outranks it)
                breach = guard.check(guard.buffer + faith.withheld)
                if breach:  # the final guard sees the whole reply and rewrites it; none of it was shown
                    guard.buffer, guard.violations = guard.buffer + faith.withheld, breach
    finally:  # a reply that failed (all reasoning, cut, timed out) still shows what it thought on ctrl+t
        rest = fenceless.close()
        tail = reasoning_guard.feed(rest) if rest and not reasoning_guard.violations else ""
        tail += reasoning_guard.close()
        if tail:
            emit({"reasoning": tail})
    return Streamed(guard.buffer, guard.released, guard.violations, bool(reasoning_guard.violations), finish,
                    unfaithful=bool(faith is not None and faith.over and not guard.violations))


def stream_text(text: str, guard: StreamGuard, emit: Callable[[dict], None]) -> Streamed:
    """The offline composer's reply, through the same guard, one line at a time."""
    for line in text.splitlines(keepends=True):
        shown = guard.feed(line)
        if shown:
            emit({"token": shown})
        if guard.violations:
            break
    return Streamed(guard.buffer, guard.released, guard.violations)


async def classify_with_model(model, message: str, candidates: list) -> dict | None:
    """Structured classification by a capable model; None when it fails or answers nonsense."""
    listing = "\n".join(f"- {e.id}: {e.belief}" for e in candidates[:30]) or "(none)"
    messages = [Message("system", CLASSIFY_INSTRUCTIONS),
                Message("user", f"Misconceptions:\n{listing}\n\nMessage:\n{_fence(message)}")]
    try:
        completion = await complete(model, messages, json_schema={**CLASSIFY_SCHEMA, "title": "classification"},
                                    temperature=0, thinking=False, max_tokens=200)
        data = json.loads(completion.content.strip().removeprefix("```json").removesuffix("```").strip())
    except Exception:  # noqa: BLE001 - a failed refinement leaves the deterministic answer
        return None
    if not isinstance(data, dict) or data.get("intent") not in CLASSIFY_SCHEMA["properties"]["intent"]["enum"]:
        return None
    return data
