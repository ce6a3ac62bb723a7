"""design: the lab's experiment spec turned into a plan checklist, with the passage that
motivates it and what the grader will check."""

from __future__ import annotations

import re

from tutor.agent.compose.base import Draft, Turn, dedupe
from tutor.agent.passages import condense, label, words

TIMING = re.compile(r"\b(?:ms|latency|per second|throughput|time|speed|seconds|ttft)\b", re.I)


def _pick_experiments(turn: Turn) -> list:
    lesson = turn.lesson_obj
    if lesson is None:
        return []
    experiments = list(lesson.meta.lab.experiments)
    asked = set(words(turn.message))
    scored = [(len(asked & set(words(f"{e.name} {e.variable} {' '.join(e.measure)}"))), i, e) for i, e in enumerate(experiments)]
    scored.sort(key=lambda t: (-t[0], t[1]))
    if scored and scored[0][0] > 0:
        return [scored[0][2]]
    return experiments[:2]


def _checks(turn: Turn) -> list[str]:
    rubric = turn.view.course.rubrics.get(turn.lesson)
    if rubric is None:
        return []
    return [c.description for c in rubric.checks if c.kind in ("min_runs", "varied", "held_fixed", "metrics_present")]


def plan(turn: Turn, experiment) -> str:
    values = ", ".join(str(v) for v in experiment.values) or "the values the README lists"
    first = str(experiment.values[0]) if experiment.values else "the default"
    last = str(experiment.values[-1]) if experiment.values else "another value"
    measures = ", ".join(experiment.measure)
    held = ", ".join(experiment.held_fixed)
    lines = [
        f"**Plan for '{experiment.name}'** (lesson {turn.lesson} lab):",
        f"- [ ] **Hypothesis**, written before any run: \"If I change {experiment.variable} from {first} to {last}, "
        f"{experiment.measure[0]} will ... because ...\" (say which direction and roughly how much).",
        f"- [ ] **One variable**: only `{experiment.variable}` changes, over {values}.",
        f"- [ ] **Held fixed**: {held}. If any of these changes between runs, you cannot say which one caused the difference.",
        f"- [ ] **Baseline**: the run at {first} is the reference every other value is compared with; run it first and keep its run id.",
        "- [ ] **Seeds and repeats**: the same 3 or more seeds for every value, so the spread between seeds tells you how big noise is; report mean and spread, not one run.",
        f"- [ ] **Measure**: {measures}.",
        "- [ ] **Log every run**: the starter writes `runs/<run_id>/config.json` (with the seed) and `metrics.json`; "
        "also note the exact command, library versions and hardware.",
    ]
    if TIMING.search(measures):
        lines.append("- [ ] **Timing hygiene**: discard a warm-up run, repeat each timing at least 5 times and report the "
                     "median; keep the machine otherwise idle.")
    if turn.beginner_python:
        lines.append("- [ ] Start with the `--smoke` run, then one real run at the baseline value, and check its "
                     "`metrics.json` before you launch the rest.")
    return "\n".join(lines)


def design(turn: Turn) -> Draft:
    from tutor.agent.compose.answers import answerable_question
    from tutor.agent.compose.explain import explain

    if answerable_question(turn):
        return explain(turn)  # a plain question the lesson answers: the answer first, not a checklist
    experiments = _pick_experiments(turn)
    if not experiments:
        return Draft(f"Lesson {turn.lesson} has no lab spec yet, so I have no experiment to plan from. "
                     "The general rule: one variable, everything else held fixed, a baseline, several seeds, every run logged.")
    text = "\n\n".join(plan(turn, e) for e in experiments)
    checks = _checks(turn)
    if checks:
        text += "\n\nThe grader's deterministic checks for this lab: " + "; ".join(checks) + "."
    citations = []
    hits = [h for h in turn.hits if h["lesson"] == turn.lesson and h.get("cos", 1.0) >= 0.25][:2]
    if hits:
        groups = condense([h["text"] for h in hits], turn.message + " experiment measure baseline seed", max_units=2)
        for hit, units in zip(hits, groups):
            if units:
                text += f"\n\nFrom the lesson: {' '.join(units)} {label(hit['lesson'], hit['section'])}"
                citations.append(turn.cite(hit))
    text += "\n\nWhich result would make you reject your hypothesis? Write that down before the first run."
    return Draft(text, dedupe(citations))
