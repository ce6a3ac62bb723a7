"""The graph's state: what one turn computes, and what a thread remembers across turns.

The thread fields (attempt count, requested stubs, detour, pending quiz, history, topics) are
checkpointed per learner and lesson, so a conversation survives a restart. The message
embedding is an untracked channel: shared by the nodes of one turn, never written to disk.
"""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langgraph.channels import UntrackedValue

HISTORY_TURNS = 8  # (learner, tutor) pairs kept for a model's context
LIST_CAP = 40


def append_capped(old: list | None, new: list | None) -> list:
    """Reducer: append, drop repeats (keeping the newest), keep the last LIST_CAP items."""
    out = [x for x in (old or []) if x not in (new or [])] + list(new or [])
    return out[-LIST_CAP:]


def append_history(old: list | None, new: list | None) -> list:
    return (list(old or []) + list(new or []))[-2 * HISTORY_TURNS :]


class TutorState(TypedDict, total=False):
    # -- input of a turn
    message: str
    lesson: int  # the lesson of this thread (the plan)

    # -- loaded by load_context (this turn)
    profile: dict
    open_misconceptions: list[dict]
    focus: int  # the lesson this turn is about: plan, detour, or one the message names

    # -- computed this turn
    vector: Annotated[Any, UntrackedValue]  # the message embedding (one encode per turn)
    intent: str
    action: str
    intent_source: str
    outsourcing: dict | None  # {"kind", "reason", "stub", "step"}
    model_belief: str | None  # a misconception id a capable model saw in the message
    hits: Annotated[Any, UntrackedValue]  # retrieved chunks (text included): this turn only
    check_request: dict | None  # {"lesson", "todos", "code"}: run the lab's checks this turn
    check: Annotated[Any, UntrackedValue]  # what the checks found (code_check.run_check): this turn only
    misconception: dict | None  # {"id", "lesson", "score", "how", "prerequisite"}
    resume: bool  # the detour is done: go back to the plan this turn
    draft: Annotated[Any, UntrackedValue]  # the responder's full text before the final guard
    draft_citations: list[dict]
    released: int  # characters of draft already streamed to the learner
    stream_violations: list[dict]
    budget: int  # runnable code lines this reply may hold
    reply: str
    citations: list[dict]
    guard: list[dict]
    model_used: str
    model_note: str
    faithfulness: list[dict]  # invented citations removed, unsupported numbers (tutor.agent.faithfulness)
    updates: dict  # thread changes a composer asked for, applied by record

    # -- the thread (persists across turns)
    turn_index: int
    attempts: int  # outsourcing attempts in this thread: the coaching ladder rung
    last_outsourcing_turn: int
    requested_stubs: Annotated[list, append_capped]
    scaffolded: Annotated[list, append_capped]
    quiz_asked: Annotated[list, append_capped]
    topics: Annotated[list, append_capped]
    history: Annotated[list, append_history]
    quiz: dict | None  # a question asked and not answered yet
    detour: dict | None  # {"lesson", "misconception", "turns"}: a catch-up in progress
    return_to: int | None  # the plan lesson to come back to after the detour
