"""The LLM judge: one call per criterion and sample, validated, verified, reduced to a median.

Every sample uses temperature 0 and the same explicit seed (JUDGE_SEED). Samples are still
taken (default 3) because served models are not bit-deterministic under batching; the seed
is not varied per sample so that a disagreement means the server really wavered. A sample is
dropped when its JSON does not validate, or when any evidence quote is not found verbatim
(whitespace-normalised) in the anonymised submission, or when it claims a level above 0
with no quote, or quotes only lines flagged as prompt injection. A kept sample claiming
level 3 or 4 needs at least one *specific* quote (a number, a run id, or a logged config or
metric key); otherwise it is capped at level 2, so filler prose, however much of it, cannot
carry a high level.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from tutor.grading.judge_prompt import Materials, build_messages, is_specific, new_boundary, quote_verifies, squash
from tutor.llm.base import ModelError, complete

JUDGE_SEED = 20240607
JUDGE_TEMPERATURE = 0.0
DISAGREEMENT_SPREAD = 2
UNSPECIFIC_CAP = 2


class Verdict(BaseModel):
    level: int = Field(ge=0, le=4)
    rationale: str = Field(max_length=4000)
    evidence: list[str] = Field(default_factory=list, max_length=20)


VERDICT_SCHEMA = Verdict.model_json_schema()
JSON_BLOCK = re.compile(r"\{.*\}", re.DOTALL)


def parse_verdict(content: str) -> Verdict:
    match = JSON_BLOCK.search(content)
    if not match:
        raise ValueError("no JSON object in the reply")
    try:
        return Verdict.model_validate(json.loads(match.group(0)))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ValueError(str(exc).splitlines()[0][:200]) from None


def check_sample(verdict: Verdict, corpus_squashed: str, injected: list[str]) -> tuple[list[str], str]:
    """(verified quotes, reason the sample is dropped or '')."""
    injected_squashed = [squash(t) for t in injected if t]
    verified, bad = [], []
    for quote in verdict.evidence:
        if not quote_verifies(quote, corpus_squashed):
            bad.append(quote)
        elif any(squash(quote) in line or line in squash(quote) for line in injected_squashed):
            bad.append(quote)
        else:
            verified.append(quote)
    if bad:
        return verified, f"{len(bad)} evidence quote(s) not found in the submission (or inside flagged text): {bad[0][:80]!r}"
    if verdict.level > 0 and not verified:
        return verified, "a level above 0 with no evidence quote"
    return verified, ""


async def judge_criterion(model, criterion, look_for: str, checks: list[dict], materials: Materials,
                          injected: list[str], samples: int) -> dict[str, Any]:
    token = new_boundary(materials)
    messages = build_messages(criterion, look_for, checks, materials, token)
    corpus = squash(materials.corpus)

    async def one(index: int) -> dict[str, Any]:
        try:
            reply = await complete(model, messages, json_schema=VERDICT_SCHEMA, temperature=JUDGE_TEMPERATURE,
                                   seed=JUDGE_SEED)
        except ModelError as exc:
            return {"index": index, "level": None, "verified": False, "dropped": f"model error: {exc}"}
        try:
            verdict = parse_verdict(reply.content)
        except ValueError as exc:
            return {"index": index, "level": None, "verified": False, "dropped": f"invalid output: {exc}"}
        quotes, dropped = check_sample(verdict, corpus, injected)
        level, capped = verdict.level, ""
        if level > UNSPECIFIC_CAP and not any(is_specific(q, materials.terms) for q in quotes):
            level, capped = UNSPECIFIC_CAP, f"level {verdict.level} rests on no specific quote; capped at {UNSPECIFIC_CAP}"
        return {"index": index, "level": level, "claimed_level": verdict.level, "capped": capped,
                "rationale": verdict.rationale, "evidence": quotes, "claimed_evidence": verdict.evidence,
                "verified": not dropped, "dropped": dropped}

    results = list(await asyncio.gather(*(one(i) for i in range(samples))))
    kept = [s for s in results if s["verified"]]
    flags = [{"code": "unverified_quote" if "quote" in s["dropped"] else "sample_dropped",
              "message": f"{criterion.id} sample {s['index'] + 1} dropped: {s['dropped']}", "where": criterion.id}
             for s in results if not s["verified"]]
    outcome: dict[str, Any] = {"samples": results, "flags": flags, "boundary": token}
    if not kept:
        outcome.update(level=None, rationale="", evidence=[], disagreement=False,
                       reason="no judge sample survived validation and quote verification")
        return outcome
    levels = [s["level"] for s in kept]
    median = int(statistics.median_low(levels))
    chosen = next(s for s in kept if s["level"] == median)
    spread = max(levels) - min(levels)
    if spread >= DISAGREEMENT_SPREAD:
        flags.append({"code": "judge_disagreement", "message": f"{criterion.id}: samples span levels "
                      f"{min(levels)}-{max(levels)}", "where": criterion.id})
    evidence = list(dict.fromkeys(q for s in kept for q in s["evidence"]))
    outcome.update(level=median, rationale=chosen["rationale"], evidence=evidence, disagreement=spread >= DISAGREEMENT_SPREAD,
                   reason="")
    return outcome
