"""Responder nodes, one per action (plus misconception teaching, catch-up and return).

Each composes the offline draft from the course; with a model, the model writes the reply
from it (for ``coach`` it only rephrases the coaching step). Either way the text goes out
through the stream guard: tokens reach the learner only once the guard has passed them.
"""

from __future__ import annotations

from typing import Callable

from tutor.agent.coach import coach as compose_coach
from tutor.agent.compose.assess import assess as compose_assess
from tutor.agent.compose.base import Draft, Turn, dedupe
from tutor.agent.compose.check import check as compose_check
from tutor.agent.compose.debug import debug as compose_debug
from tutor.agent.compose.design import design as compose_design
from tutor.agent.compose.explain import explain as compose_explain
from tutor.agent.compose.scaffold import scaffold as compose_scaffold
from tutor.agent.compose.status import redirect as compose_redirect, status as compose_status
from tutor.agent.compose.teach import catch_up as compose_catch_up, resume as compose_resume, teach as compose_teach
from tutor.agent.faithfulness import NOTE as UNFAITHFUL_NOTE, ReplyFilter
from tutor.agent.model_reply import build_messages, stream_model, stream_text
from tutor.agent.nodes.common import context_of, make_turn
from tutor.agent.passages import label
from tutor.agent.stream_guard import StreamGuard
from tutor.guard.output import check_reply
from tutor.llm import ModelError
from tutor.redact import redact_urls_in
from tutor.store.keeping import read_or

PROMPT_KIND = {"catch_up": "teach", "resume": "status"}
NO_CODE_KINDS = ("coach", "check")  # replies that may hold no runnable code at all
HOT_TURNS = 3  # how many turns after an outsourcing attempt its TODO stays under the strict guard


def guard_check(ctx, state: dict, budget: int) -> Callable[[str], list[dict]]:
    """The output guard for this turn: the labs of the lessons in play, the reply's code budget."""
    stubs, given, template = [], set(), set()
    for lesson in dict.fromkeys([state.get("focus"), state.get("lesson")]):
        lab = ctx.view.lab(lesson)
        if lab is not None:
            stubs += lab.stubs
            given |= lab.given_lines
            template |= lab.notes_template_lines
    # the learner's own pasted lines are theirs already: quoting them back is not a leak
    given |= {line.strip() for line in (state.get("message") or "").splitlines() if len(line.strip()) >= 12}
    # salami slicing: right after attempts at a TODO, any line touching its inputs is a slice of it
    recent = state.get("last_outsourcing_turn", -99) >= state.get("turn_index", 0) - HOT_TURNS
    hot = frozenset((state.get("requested_stubs") or [])[-2:]) if recent else frozenset()
    policy = ctx.policy
    return lambda text: check_reply(text, policy, stubs, given_lines=frozenset(given),
                                    notes_template=frozenset(template), max_code_lines=budget, hot_stubs=hot)


def _history(state: dict) -> list[dict]:
    return list(state.get("history") or [])


def reply_filter(turn: Turn, kind: str, draft: Draft, history: list[dict]) -> ReplyFilter:
    """The faithfulness filter for this reply: the labels and numbers of what the model was given
    (the passages unless it only rephrases, the draft, recent turns) and the learner's message."""
    hits = [] if kind in NO_CODE_KINDS else turn.hits[:4]
    labels = [label(c["lesson"], c["section"]) for c in [*draft.citations, *hits]]
    sources = [draft.full, turn.message, *(h["text"] for h in hits), *(str(i.get("content", "")) for i in history[-8:])]
    return ReplyFilter.for_turn(labels, sources)


def _citations(draft: Draft, turn: Turn, text: str, used_model: bool) -> list[dict]:
    if not used_model:
        return dedupe(draft.citations)
    by_label = [c for c in draft.citations if label(c["lesson"], c["section"]) in text]
    by_label += [turn.cite(h) for h in turn.hits[:4] if label(h["lesson"], h["section"]) in text]
    return dedupe(by_label)  # only what the model's reply cites, none of the draft's when it cites nothing


async def _respond(state: dict, runtime, kind: str, build: Callable[[Turn], Draft], facts: dict | None = None) -> dict:
    ctx = context_of(runtime)
    turn = make_turn(state, ctx)
    if facts:
        turn.facts = facts
    draft = build(turn)
    budget = 0 if kind in NO_CODE_KINDS else ctx.policy.max_code_lines
    guard = StreamGuard(guard_check(ctx, state, budget), ctx.policy.protected_notes_sections)
    reasoning_guard = StreamGuard(guard_check(ctx, state, 0), ctx.policy.protected_notes_sections)
    emit = runtime.stream_writer
    note, used_model, faith, fell_back = "", False, None, False
    if draft.lead:
        stream_text(draft.lead + "\n\n", guard, emit)
    if ctx.model is not None:
        messages = build_messages(turn, PROMPT_KIND.get(kind, kind), draft, _history(state), ctx.course.contract.prose)
        faith = reply_filter(turn, kind, draft, _history(state))
        try:
            streamed = await stream_model(ctx.model, messages, guard, reasoning_guard, emit, ctx.settings, faith)
            fell_back = streamed.unfaithful
            used_model = (bool(streamed.text[len(draft.lead) + 2 if draft.lead else 0 :].strip()) and not fell_back) \
                or bool(streamed.violations)
            if streamed.finish == "length" and not streamed.violations:
                note = ("(The model's reply was cut off at the token limit; raise TUTOR_MAX_TOKENS "
                        "for longer answers.)")
        except Exception as error:  # noqa: BLE001 - ModelError or a provider bug: the learner still gets an answer
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            if not isinstance(error, ModelError):
                reason = f"{type(error).__name__}: {reason}"
            note = f"(The model failed: {redact_urls_in(reason)}. This reply comes from the course text.)"
        if not used_model and not guard.violations:
            guard.discard_held()
            said = note or (UNFAITHFUL_NOTE if fell_back else "")
            fallback = (f"{said}\n\n" if said else "") + draft.text
            separator = "" if not guard.buffer or guard.buffer.endswith("\n\n") else "\n\n"
            stream_text(separator + fallback, guard, emit)
    else:
        stream_text(draft.text, guard, emit)
    return {"draft": guard.buffer, "released": guard.released, "stream_violations": guard.violations,
            "draft_citations": _citations(draft, turn, guard.buffer, used_model), "updates": draft.updates,
            "budget": budget, "model_used": ctx.model_name if used_model else "offline", "model_note": note,
            "action": "coach" if kind == "coach" else state.get("action"),
            "faithfulness": faith.record(fell_back) if faith is not None else []}


async def explain(state, runtime) -> dict:
    return await _respond(state, runtime, "explain", compose_explain)


async def design(state, runtime) -> dict:
    return await _respond(state, runtime, "design", compose_design)


async def scaffold(state, runtime) -> dict:
    stub = (state.get("outsourcing") or {}).get("stub")
    return await _respond(state, runtime, "scaffold", lambda turn: compose_scaffold(turn, stub))


async def debug(state, runtime) -> dict:
    return await _respond(state, runtime, "debug", compose_debug)


async def assess(state, runtime) -> dict:
    return await _respond(state, runtime, "assess", compose_assess)


async def coach(state, runtime) -> dict:
    found = state.get("outsourcing") or {}

    def build(turn: Turn) -> Draft:
        return compose_coach(turn, kind=state.get("intent", "solution_request"), reason=found.get("reason", ""),
                             named_stub=found.get("stub"), step=found.get("step"), attempt=state.get("attempts", 1),
                             requested=list(state.get("requested_stubs") or []))

    return await _respond(state, runtime, "coach", build)


async def check(state, runtime) -> dict:
    return await _respond(state, runtime, "check", lambda turn: compose_check(turn, state.get("check")))


async def status(state, runtime) -> dict:
    ctx = context_of(runtime)
    facts = {"statuses": read_or(lambda: ctx.store.lesson_statuses(ctx.learner_id), {}),
             "summary": read_or(lambda: ctx.store.latest_summary(ctx.learner_id), None),
             "misconceptions": state.get("open_misconceptions") or []}
    return await _respond(state, runtime, "status", compose_status, facts)


async def redirect(state, runtime) -> dict:
    return await _respond(state, runtime, "redirect", compose_redirect)


async def teach(state, runtime) -> dict:
    ctx = context_of(runtime)
    entry = ctx.view.entry(state["misconception"]["id"])
    return await _respond(state, runtime, "teach", lambda turn: compose_teach(turn, entry))


async def catch_up(state, runtime) -> dict:
    ctx = context_of(runtime)
    entry = ctx.view.entry(state["misconception"]["id"])
    return await _respond(state, runtime, "catch_up", lambda turn: compose_catch_up(turn, entry, state["lesson"]))


async def resume(state, runtime) -> dict:
    detour = state["detour"]

    def build(turn: Turn) -> Draft:
        quiz = turn.thread.get("quiz")
        feedback, resolved = "", False
        if quiz and quiz.get("kind") == "probe" and not turn.message.strip().lower().startswith(("ok", "got it", "thanks")):
            graded = compose_assess(turn)
            feedback, resolved = graded.text.split("\n\nSay \"quiz me\"")[0], graded.updates.get("resolved") == quiz["id"]
        draft = compose_resume(turn, detour, state.get("return_to") or state["lesson"], resolved, feedback)
        if resolved:
            draft.updates["resolved"] = detour["misconception"]
        return draft

    return await _respond(state, runtime, "resume", build)


RESPONDERS = {
    "explain": explain, "design": design, "scaffold": scaffold, "debug": debug, "assess": assess, "coach": coach,
    "status": status, "redirect": redirect, "teach": teach, "catch_up": catch_up, "resume": resume,
    "check": check,
}
