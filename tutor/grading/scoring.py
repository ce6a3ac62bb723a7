"""From check results and judge levels to criterion scores and a total.

Deterministic score of a criterion: the weighted fraction of its checks that passed
(skipped checks are left out; an errored check counts as failed; a lab TODO check earns its
``credit``, the share of its checks that hold; a failed ``gate`` check makes the criterion 0).
With no applicable check the criterion has no deterministic score.

When the judge produced a verified median level L for a criterion, its score is
``min(L / 4, 0.5 + 0.5 * D)`` where D is the deterministic score: the evidence caps the
prose, so a criterion whose checks all fail cannot score above level 2 however well it is
written, and passing checks never lift a judged level. Without a judged level the
criterion's score is D. The total is the lesson-weighted mean over the criteria that have a
score, renormalised by their weights (``total_basis`` in the report says which ones).
"""

from __future__ import annotations

from typing import Any


def deterministic_scores(checks: list[dict[str, Any]]) -> dict[str, float]:
    """A check with ``credit`` (0-1, the lab's TODO checks) earns that share of its weight; a
    ``gate`` check earns nothing but, when it does not pass, makes its criterion 0."""
    earned: dict[str, float] = {}
    possible: dict[str, float] = {}
    closed: set[str] = set()
    for check in checks:
        if check["status"] == "skipped":
            continue
        if check.get("gate"):
            if check["status"] != "passed":
                closed.add(check["criterion"])
            continue
        possible[check["criterion"]] = possible.get(check["criterion"], 0.0) + check["weight"]
        share = check.get("credit")
        share = (1.0 if check["status"] == "passed" else 0.0) if share is None else min(1.0, max(0.0, float(share)))
        earned[check["criterion"]] = earned.get(check["criterion"], 0.0) + check["weight"] * share
    return {c: (0.0 if c in closed else earned.get(c, 0.0) / w) for c, w in possible.items() if w > 0}


def combine(judge_level: int | None, deterministic: float | None) -> float | None:
    if judge_level is None:
        return deterministic
    judged = judge_level / 4
    if deterministic is None:
        return judged
    return min(judged, 0.5 + 0.5 * deterministic)


def level_of(score: float | None) -> int | None:
    return None if score is None else int(round(score * 4))


def total(criteria: list[dict[str, Any]]) -> tuple[float | None, list[str]]:
    scored = [c for c in criteria if c.get("score") is not None and c["weight"] > 0]
    weight = sum(c["weight"] for c in scored)
    if not scored or weight <= 0:
        return None, []
    return sum(c["score"] * c["weight"] for c in scored) / weight, [c["id"] for c in scored]
