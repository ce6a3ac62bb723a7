"""Finishing a turn: the final guard over the whole reply, then the record in the store."""

from __future__ import annotations

import re

from tutor.agent.coach import coach as compose_coach
from tutor.agent.compose.check import check as compose_check
from tutor.agent.memory import next_steps, where_left_off
from tutor.agent.nodes.common import context_of, make_turn
from tutor.agent.nodes.respond import guard_check
from tutor.agent.passages import short_section
from tutor.store.keeping import read_or

HISTORY_CHARS = 1500
STUB_RULES = ("todo_stub_filled", "todo_stub_fragment")


def rewrite_target(ctx, state: dict, events: list[dict]) -> tuple[int, str | None]:
    """The lesson and TODO a guard rewrite coaches on: the TODO the reply filled, looked up in
    the current lesson's lab first; else the current lesson's lab (never the lab of another
    lesson the message only mentioned)."""
    current = state.get("lesson")
    named = [n.strip() for e in events if e["rule"] in STUB_RULES for n in str(e.get("detail", "")).split(",")]
    for name in filter(None, named):
        for lesson in dict.fromkeys([current, state.get("focus")]):
            lab = ctx.view.lab(lesson)
            if lab is not None and lab.stub(name) is not None:
                return lesson, name
    return current, (state.get("outsourcing") or {}).get("stub")


async def guard_output(state, runtime) -> dict:
    """The authoritative check over the complete reply. A violation replaces everything the
    stream guard held back with the coaching rewrite; what was already shown stays."""
    ctx = context_of(runtime)
    draft = state.get("draft") or ""
    released = state.get("released", 0)
    budget = state.get("budget", ctx.policy.max_code_lines)
    events = guard_check(ctx, state, budget)(draft)
    emit = runtime.stream_writer
    if not events:
        rest = draft[released:]
        if rest:
            emit({"token": rest})
        return {"reply": draft, "guard": [], "citations": state.get("draft_citations") or []}
    turn = make_turn(state, ctx)
    if state.get("action") == "check" and state.get("check") is not None:
        # a model's rephrasing of a check report broke the contract: the report as composed instead
        report = compose_check(turn, state["check"]).full
        if not guard_check(ctx, state, budget)(report):
            shown = draft[:released]
            reply = (shown.rstrip() + "\n\n" if shown.strip() else "") + report
            emit({"token": reply[released:]})
            return {"reply": reply, "guard": events, "citations": state.get("draft_citations") or []}
    turn.lesson, stub = rewrite_target(ctx, state, events)
    rewrite = compose_coach(turn, kind="solution_request", guard_rule=events[0]["rule"],
                            attempt=max(state.get("attempts", 0), 1), named_stub=stub,
                            requested=list(state.get("requested_stubs") or []))
    shown = draft[:released]
    reply = (shown.rstrip() + "\n\n" if shown.strip() else "") + rewrite.full
    emit({"token": reply[released:]})
    return {"reply": reply, "guard": events, "action": "coach",
            "citations": (state.get("draft_citations") or []) + rewrite.citations}


REQUEST_RULES = ("outsourcing_request", "report_request")
FAITHFULNESS_RULES = ("prompt_fence", "invented_citation", "unsupported_numbers")  # on the turn record, not contract events


def turn_record_event(event: dict) -> dict:
    """What a turn keeps of an event: rule and action, and the bounded count and values of a
    faithfulness finding."""
    return {k: event[k] for k in ("rule", "action", "count", "values") if k in event}


def contract_events(state: dict) -> list[dict]:
    """This turn's contract interventions: a refused request, then what the output guard did."""
    events = []
    found = state.get("outsourcing")
    if found and state.get("action") == "coach":  # a contract that allows the request refused nothing
        rule = REQUEST_RULES[1] if found["kind"] == "report_request" else REQUEST_RULES[0]
        events.append({"rule": rule, "action": "coach", "detail": found.get("reason", "")})
    for event in state.get("guard") or []:
        events.append({"rule": event["rule"], "action": event["action"], "detail": event.get("detail", "")})
    if state.get("model_note"):
        offline = state.get("model_used") == "offline"
        events.append({"rule": "model_error" if offline else "model_note",
                       "action": "answered_offline" if offline else "noted", "detail": state["model_note"]})
    for event in state.get("faithfulness") or []:
        events.append({**event, "detail": ", ".join(event.get("values", []))})
    return events


def _thread_updates(state: dict) -> dict:
    """Thread memory after this turn: history, topics and what the composer asked to keep."""
    updates = dict(state.get("updates") or {})
    found = state.get("outsourcing")
    learner_said = f"[asked for {'their notes' if found['kind'] == 'report_request' else 'the solution'}; coached]" \
        if found else state["message"][:HISTORY_CHARS]
    out = {"history": [{"role": "user", "content": learner_said},
                       {"role": "assistant", "content": clean_reply_for_history(state.get("reply", ""))[:HISTORY_CHARS]}]}
    topics = [f"L{c['lesson']} {short_section(c['section'])}" for c in state.get("citations") or []]
    if topics:
        out["topics"] = topics[:2]
    for key in ("quiz", "detour", "return_to"):
        if key in updates:
            out[key] = updates[key]
    for key in ("scaffolded", "quiz_asked", "requested_stubs"):
        if updates.get(key):
            out[key] = list(updates[key])
    quiz = updates.get("quiz")
    if quiz and quiz.get("key"):
        out["quiz_asked"] = list(out.get("quiz_asked", [])) + [quiz["key"]]
    if state.get("resume"):
        out.update({"detour": None, "return_to": None})
    if state.get("intent") == "assess" and state.get("intent_source") == "context" and "quiz" not in updates:
        out["quiz"] = None
    return out


class _Saving:
    """The writes of one turn: a record the database could not take for want of a connection
    is kept on disk by the store (NotSaved), and the turn's other records go straight there."""

    def __init__(self, store):
        self.store, self.not_saved = store, None

    def write(self, call, *args, **kwargs) -> None:
        from tutor.store import NotSaved

        try:
            call(*args, **kwargs)
        except NotSaved as error:
            if self.not_saved is None or (self.not_saved.kept and not error.kept):  # the worst is said
                self.not_saved = error
            self.store.queue_only = True  # the turn's other records: straight to the queue


async def record(state, runtime) -> dict:
    """Turn, contract events, misconceptions and the where-we-left-off summary, in the store."""
    ctx = context_of(runtime)
    store, learner, lesson = ctx.store, ctx.learner_id, state["lesson"]
    out = _thread_updates(state)
    events = contract_events(state)
    misconception = state.get("misconception")
    note = state.get("model_note", "")
    saving = _Saving(store)
    try:
        saving.write(store.record_turn, learner, lesson, message=state["message"], reply=state.get("reply", ""),
                     intent=state.get("intent", ""), action=state.get("action", ""),
                     citations=state.get("citations") or [],
                     guard=[turn_record_event(e) for e in events],
                     misconceptions=[misconception["id"]] if misconception else [],
                     model=state.get("model_used") or ctx.model_name, log_text=ctx.log_text)
        for event in (e for e in events if e["rule"] not in FAITHFULNESS_RULES):
            # a refused request is filed under the lesson it asked about ("my lesson 9 lab")
            about = state.get("focus") or lesson if event["rule"] in REQUEST_RULES else lesson
            saving.write(store.record_contract_event, learner, about, event["rule"], event["action"], event["detail"])
        if misconception:
            saving.write(store.record_misconception, learner, misconception["lesson"], misconception["id"],
                         state["message"])
        resolved = (state.get("updates") or {}).get("resolved")
        if resolved:
            saving.write(store.resolve_misconception, learner, resolved)
        thread = {**state, **out}
        away = saving.not_saved is not None  # then reading the database again only waits for it to fail
        status = None if away else read_or(lambda: store.lesson_statuses(learner).get(lesson), None)
        still_open = state.get("open_misconceptions") or []
        if (misconception or resolved) and not away:  # only then did the list change during this turn
            still_open = read_or(lambda: store.open_misconceptions(learner), still_open)
        saving.write(store.save_summary, learner, lesson, where_left_off(ctx.view, lesson, thread),
                     next_steps(ctx.view, lesson, thread, status, still_open))
    except Exception as error:  # noqa: BLE001 - the learner still gets the reply; say what was not saved
        note = (note + " " if note else "") + f"(Progress not saved: {str(error).splitlines()[0][:200]})"
    finally:
        store.queue_only = False
    told = [str(saving.not_saved)] if saving.not_saved else []
    told += store.notices
    store.notices.clear()
    if told:
        note = " ".join([note, *told]).strip()
    if note != state.get("model_note", ""):
        out["model_note"] = note
    return out


def clean_reply_for_history(text: str) -> str:
    return re.sub(r"```.*?```", "[code]", text, flags=re.S)
