"""Helpers the nodes share: the run-time context and a composer's view of the turn."""

from __future__ import annotations

from tutor.agent.compose.base import Turn
from tutor.agent.context import TutorContext
from tutor.agent.vector_cache import encode_cached


def context_of(runtime) -> TutorContext:
    ctx = getattr(runtime, "context", None)
    if ctx is None:
        # run by LangGraph's own tools without a context: one built from the default settings
        if not _FALLBACK:
            from tutor.config import load_settings

            _FALLBACK.append(TutorContext.create(load_settings()))
        ctx = _FALLBACK[0]
    return ctx


_FALLBACK: list[TutorContext] = []


def make_turn(state: dict, ctx: TutorContext) -> Turn:
    return Turn(
        message=state.get("message", ""),
        lesson=state.get("focus") or state.get("lesson"),
        plan_lesson=state.get("lesson"),
        view=ctx.view,
        policy=ctx.policy,
        hits=list(state.get("hits") or []),
        profile=dict(state.get("profile") or {}),
        thread=dict(state),
        facts={},
        vector=state.get("vector"),
        embed=(lambda texts: encode_cached(ctx.embedder, list(texts))) if ctx.embedder is not None else None,
    )
