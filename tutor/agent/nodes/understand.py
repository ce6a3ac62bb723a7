"""Understanding a turn: load the learner's context, classify, retrieve, diagnose."""

from __future__ import annotations

import re

from tutor.agent.classify import DEBUG_STRONG, IntentPrototypes, classify as classify_message
from tutor.agent.code_check import check_request
from tutor.agent.diagnose import Catalogue, answered_or_acknowledged, cue_match, is_neutral_question
from tutor.agent.model_reply import classify_with_model
from tutor.agent.nodes.common import context_of
from tutor.agent.outsourcing import REPORT, SOLUTION
from tutor.store.keeping import read_or

LESSON_MENTION = re.compile(r"\b(?:lesson|lab|l)\s*0?(\d{1,2})\b", re.I)
PER_TURN_RESET = {"outsourcing": None, "misconception": None, "hits": [], "check_request": None, "check": None, "guard": [], "model_note": "",
                  "updates": {}, "draft": "", "draft_citations": [], "released": 0, "stream_violations": [], "faithfulness": [],
                  "citations": [], "reply": "", "intent_source": "", "resume": False}


async def load_context(state, runtime) -> dict:
    ctx = context_of(runtime)
    plan = state["lesson"]
    # the database gone away mid-conversation: answer without the stored context (the turn is kept)
    profile = read_or(lambda: ctx.store.get_profile(ctx.learner_id), None) or {}
    open_misconceptions = read_or(lambda: ctx.store.open_misconceptions(ctx.learner_id), state.get("open_misconceptions") or [])
    focus = plan
    if state.get("detour"):
        focus = state["detour"]["lesson"]
    named = LESSON_MENTION.search(state.get("message", ""))
    if named:
        number = int(named.group(1))
        if ctx.view.has(number) or ctx.view.plan_entry(number):
            focus = number
    return {**PER_TURN_RESET, "profile": profile, "open_misconceptions": open_misconceptions, "focus": focus,
            "turn_index": state.get("turn_index", 0) + 1}


def _embed(ctx, text: str):
    if not ctx.embeddings_now:
        return None
    try:
        return ctx.embedder.encode([text])[0]
    except Exception:  # noqa: BLE001 - without an embedding the patterns still classify
        return None


def looks_like_answer(message: str) -> bool:
    text = message.strip()
    return bool(text) and not is_neutral_question(text) and (len(text.split()) >= 3 or bool(re.search(r"\d", text))) \
        and not re.match(r"^\W*(?:ok|okay|thanks|thank you|cool|great|got it|nice|sure)\b", text, re.I)


async def classify(state, runtime) -> dict:
    ctx = context_of(runtime)
    message = state["message"]
    turn_index = state["turn_index"]
    options = dict(stubs=ctx.view.all_stub_names, extra_phrases=ctx.policy.outsourcing_phrases,
                   previous_outsourcing=state.get("last_outsourcing_turn") == turn_index - 1,
                   vocabulary=ctx.view.vocabulary, quiz_pending=bool(state.get("quiz")) and looks_like_answer(message),
                   has_history=bool(state.get("topics")))
    # the deterministic verdict first: an outsourcing attempt, a traceback or a progress
    # question needs no embedding (coaching uses no passages; debug retrieves by its error line)
    result = classify_message(message, **options)
    if result.source != "outsourcing":
        request = check_request(message, ctx.view, state["focus"])
        if request is not None and (request["code"] is not None or not DEBUG_STRONG.search(message.lower())):
            # a pasted TODO function or "check my code": the lab's checks answer it, no embedding needed
            update = {"vector": None, "intent": "code_check", "action": ctx.policy.action_for("code_check"),
                      "intent_source": "pattern", "model_belief": None, "check_request": request}
            if request["lesson"] is not None:
                update["focus"] = request["lesson"]
            return update
    vector = None
    if not (result.source == "outsourcing" or (result.source == "pattern" and result.intent in ("progress", "debug"))):
        vector = _embed(ctx, message)  # the one embedding of this turn, shared with retrieval and diagnosis
        prototypes = None
        if ctx.embeddings_now:
            try:
                prototypes = IntentPrototypes.for_embedder(ctx.embedder)
            except Exception:  # noqa: BLE001
                prototypes = None
        result = classify_message(message, vector=vector, prototypes=prototypes, **options)
    intent, source, belief = result.intent, result.source, None
    if ctx.capable_model and source != "outsourcing":
        lessons = [state["focus"], *ctx.view.prerequisites(state["focus"])]
        candidates = [e for e in ctx.view.catalogue if e.lesson in lessons]
        refined = await classify_with_model(ctx.model, message, candidates)
        if refined:
            # the model may make the verdict stricter (outsourcing), never looser
            if source != "context" or refined["intent"] in (SOLUTION, REPORT):
                intent, source = refined["intent"], "model"
            if refined.get("belief_id") in {e.id for e in candidates}:
                belief = refined["belief_id"]
    update = {"vector": vector, "intent": intent, "action": ctx.policy.action_for(intent), "intent_source": source,
              "model_belief": belief}
    if intent in (SOLUTION, REPORT):
        detection = result.outsourcing
        update["outsourcing"] = {"kind": intent, "reason": detection.reason if detection else "model classification",
                                 "stub": detection.stub if detection else None, "step": detection.step if detection else None}
        update["attempts"] = state.get("attempts", 0) + 1
        update["last_outsourcing_turn"] = turn_index
    return update


def _query(state) -> str:
    message = state["message"]
    topics = state.get("topics") or []
    if topics and len(re.findall(r"[a-z]{3,}", message.lower())) < 3:
        return f"{topics[-1].split(' ', 1)[-1]} {message}"  # "go on": about the last topic
    if state.get("intent") == "debug":
        # an error line and the learner's words say more than a whole traceback
        lines = [line for line in message.splitlines() if re.search(r"error|exception|warning|nan|inf|[a-z]{4,} [a-z]{4,}", line, re.I)]
        return " ".join(lines[-3:])[:500] or message[:500]
    return message[:1000]


async def retrieve(state, runtime) -> dict:
    ctx = context_of(runtime)
    if ctx.retriever is None or state.get("action") in ("status", "redirect"):
        return {"hits": []}
    query = _query(state)
    vector = state.get("vector") if query == state["message"][:1000] else None
    focus = state["focus"]
    if not ctx.embeddings_now:
        # the embedding model is still loading: keyword search on the index now rather than a
        # wait; an index still being built (it needs the model) gives no passages this turn
        try:
            if not (ctx.retriever.loaded or ctx.retriever.index_ready()):
                return {"hits": []}
            return {"hits": [h.to_dict() for h in ctx.retriever.search(query, k=6, boost_lesson=focus, mode="bm25")]}
        except Exception:  # noqa: BLE001
            return {"hits": []}
    try:
        ranked = ctx.retriever.search(query, k=6, boost_lesson=focus, query_embedding=vector)
        dense = ctx.retriever.search(query, k=30, mode="dense", query_embedding=vector)
    except Exception:  # noqa: BLE001 - a broken index must not stop the turn; composers cope with no hits
        return {"hits": []}
    cos = {(h.file, h.lines): float(h.score) for h in dense}
    hits = [{**h.to_dict(), "cos": cos.get((h.file, h.lines), 0.0)} for h in ranked]
    in_focus = [h for h in hits if h["lesson"] == focus]
    best_focus = max((h["cos"] for h in in_focus), default=0.0)
    others = [h for h in hits if h["lesson"] != focus and h["cos"] >= best_focus - 0.03]
    return {"hits": (in_focus + others)[:6]}


async def diagnose(state, runtime) -> dict:
    """Misconceptions in what the learner says, and whether a detour is done."""
    ctx = context_of(runtime)
    if state.get("action") in ("coach", "status", "check"):
        return {}
    message = state["message"]
    detour = state.get("detour")
    if state.get("intent_source") == "context" and not detour:
        return {}  # an answer to a pending question is graded, not diagnosed
    if detour:
        turns = detour.get("turns", 0) + 1
        if answered_or_acknowledged(message) or turns >= 2:
            return {"resume": True, "detour": {**detour, "turns": turns}}
        return {"detour": {**detour, "turns": turns}}
    match = None
    if ctx.embeddings_now:
        try:
            catalogue = Catalogue.for_view(ctx.view, ctx.embedder)
            match = catalogue.match(message, state.get("vector"), state["lesson"])
        except Exception:  # noqa: BLE001
            match = None
    else:  # the embedding model is still loading: the catalogue's cue phrases only
        match = cue_match(ctx.view, message, state["lesson"])
    if match is not None:
        entry = match.entry
        return {"misconception": {"id": entry.id, "lesson": entry.lesson, "score": round(match.score, 3),
                                  "how": match.how, "prerequisite": match.prerequisite}}
    belief = state.get("model_belief")
    if belief and not is_neutral_question(message):
        entry = ctx.view.entry(belief)
        if entry is not None:
            return {"misconception": {"id": entry.id, "lesson": entry.lesson, "score": 1.0, "how": "model",
                                      "prerequisite": entry.lesson != state["lesson"]}}
    return {}
