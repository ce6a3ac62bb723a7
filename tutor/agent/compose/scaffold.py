"""scaffold: the lab's real TODO stubs (signature, docstring, ``raise NotImplementedError``),
a run checklist, the notes.md headings, a results table or a test/plot skeleton.
Scaffolding shows where a decision goes, never which decision to make."""

from __future__ import annotations

import re

from tutor.agent.compose.base import Draft, Turn, dedupe
from tutor.agent.passages import words

NOTES_ASK = re.compile(r"\bnotes(?:\.md)?\b|\breflection\b|\bheadings?\b|\bsections?\b|what i (?:expected|would test)|surprised|goes? in")
TABLE_ASK = re.compile(r"\btable\b|\blayout\b|\bresults? (?:format|sheet)\b")
TEST_ASK = re.compile(r"\btests?\b.{0,40}\b(?:check|function|implementation|my)\b|\bunit test|\bhow do i (?:test|check)\b")
PLOT_ASK = re.compile(r"\bplot|\bfigure\b|\bchart\b|\bgraph\b|\bcurves?\b")


def stub_for(turn: Turn, detection_stub: str | None = None):
    """The TODO this turn is about: named, numbered, "next", or the first one."""
    lab = turn.lab
    if lab is None or not lab.stubs:
        return None
    text = turn.message.lower()
    named = detection_stub or next((s.name for s in lab.stubs if s.name.lower() in text), None)
    if named and lab.stub(named):
        return lab.stub(named)
    m = re.search(r"\b(?:todo|step|function|task)\s*#?(\d)\b", text)
    if m and lab.stub(int(m.group(1))):
        return lab.stub(int(m.group(1)))
    seen = [n for n in turn.thread.get("scaffolded") or [] if lab.stub(n)]
    if re.search(r"\bnext\b", text) and seen:
        last = lab.stub(seen[-1])
        return lab.stub(min(last.number + 1, len(lab.stubs)))
    if re.search(r"\bfirst\b", text):
        return lab.stubs[0]
    return None


def stub_section(turn: Turn, stub) -> tuple[dict | None, str]:
    """The lesson section that teaches what a stub decides (by word overlap)."""
    lesson = turn.lesson_obj
    if lesson is None:
        return None, ""
    mine = set(words(f"{stub.name.replace('_', ' ')} {stub.docstring} {stub.todo}"))
    best, best_score = None, 0
    for section in lesson.sections:
        if section.level < 3 and section.title.lower() != "lab":
            continue
        overlap = len(mine & set(words(section.title + " " + section.text[:1500])))
        if overlap > best_score:
            best, best_score = section, overlap
    if best is None:
        return None, ""
    return turn.section_citation(turn.lesson, best.path)


def stub_card(turn: Turn, stub, *, small_steps: bool = False) -> tuple[str, list[dict]]:
    citation, where = stub_section(turn, stub)
    lines = [f"**TODO {stub.number}: `{stub.name}`** (starter.py line {stub.line}) decides: {stub.decision}.",
             f"```python\n{stub.scaffold()}\n```",
             f"- In: {', '.join(f'`{p}`' for p in stub.params) or 'nothing'}; out: what the docstring promises."]
    if stub.check:
        lines.append(f"- Check that tells you it works: {stub.check}")
    if stub.question:
        lines.append(f"- The question to answer first: {stub.question}")
    if where:
        lines.append(f"- Reread {where} before you write it.")
    if small_steps:
        lines.append("- Small steps: (1) write down the shape or type of each input, (2) write the shape of the "
                     "output, (3) compute the check example by hand on paper, (4) write one line at a time and "
                     "`print` the intermediate value, (5) run the check.")
    return "\n".join(lines), [citation] if citation else []


def notes_outline(turn: Turn) -> Draft:
    lab = turn.lab
    if lab is None or not lab.notes_headings:
        headings = [(h, "") for h in turn.policy.protected_notes_sections]
    else:
        headings = lab.notes_headings
    topic = ""
    m = re.search(r"\babout ([\w\s-]{3,40}?)(?:,|\?|$| in general)", turn.message.lower())
    if m:
        topic = m.group(1).strip()
    parts = [f"Your `notes.md` for lesson {turn.lesson} has these sections; the writing in them is yours "
             "(AGENTS.md). Strong notes quote run ids and numbers, keep the expectation (written before running) "
             "apart from what happened, and say what would change your mind. What each section is for:"]
    if topic:
        parts.append(f"About {topic}: in each section, point at where it shows in your own runs: which numbers, "
                     "which run ids, how big compared with the effect you measured?")
    for heading, guidance in headings:
        parts.append(f"## {heading}")
        if guidance.strip():
            parts.append(guidance.strip())
    return Draft("\n\n".join(parts))


def results_table(turn: Turn) -> Draft:
    lesson = turn.lesson_obj
    if lesson is None:
        return Draft("There is no lab spec for this lesson yet, so I have no columns to propose.")
    parts = []
    for exp in lesson.meta.lab.experiments:
        columns = ["run id", exp.variable, "seed", *exp.measure, "notes"]
        parts.append(f"**{exp.name}** (held fixed: {', '.join(exp.held_fixed)}):\n\n"
                     f"| {' | '.join(columns)} |\n|{'|'.join(' --- ' for _ in columns)}|\n"
                     f"| {' | '.join(' ' for _ in columns)} |")
    parts.append("One row per run; copy the run id from `runs/`, and add a summary row per value (mean and spread over seeds).")
    return Draft("\n\n".join(parts))


def test_skeleton(turn: Turn, stub) -> Draft:
    if stub is None:
        return Draft("Name the function you want to test (one of the lab's TODOs) and I'll give you a test skeleton.")
    check = stub.check or "a tiny input whose answer you can work out by hand"
    body = (f"def test_{stub.name}():\n"
            f"    # TODO: build the smallest input you can check by hand\n"
            f"    # TODO: call {stub.name}(...) on it\n"
            f"    # TODO: assert the result equals the value you worked out (np.allclose for floats)\n"
            f"    raise NotImplementedError(\"TODO: write this test\")")
    text = (f"A test for `{stub.name}` checks one known case and one property:\n\n```python\n{body}\n```\n\n"
            f"- Known case from the docstring: {check}\n"
            "- Property: something that must hold for any input (shapes, rows summing to 1, a value unchanged "
            "by a transformation that should not matter).\n"
            "- Run it with `python -m pytest test_lab.py -q`; make it fail once on purpose to see that it can.")
    return Draft(text)


def plot_skeleton(turn: Turn) -> Draft:
    body = ("import json\nfrom pathlib import Path\n\n"
            "def load_runs(runs_dir):\n"
            "    \"\"\"Read every runs/*/config.json and metrics.json into one list of rows.\"\"\"\n"
            "    raise NotImplementedError(\"TODO: one dict per run with the variable, seed and metrics\")\n\n"
            "def plot(rows, variable, metric, out_path):\n"
            "    \"\"\"One point per run, the mean per value as a line, axes labelled with units.\"\"\"\n"
            "    raise NotImplementedError(\"TODO: group by variable, plot runs and means, save to out_path\")")
    return Draft(f"A plot skeleton that reads your run records:\n\n```python\n{body}\n```\n\n"
                 "Label both axes with units, show every seed as a point (not only the mean), and put the run ids "
                 "in the caption or notes.")


def checklist(turn: Turn) -> Draft:
    lab = turn.lab
    lesson = turn.lesson_obj
    folder = f"labs/lesson_{turn.lesson:02d}"
    if lab is None or lesson is None:
        return Draft(f"Lesson {turn.lesson}'s lab is not written yet. {turn.view.plan_entry(turn.lesson)}".strip())
    steps = [f"**Lesson {turn.lesson} lab checklist** ({lesson.meta.lab.summary})",
             "- [ ] Read the lab README: the question, the experiments, what to hand in.",
             "- [ ] `python starter.py --smoke` runs in seconds and shows which TODOs are still placeholders."]
    for stub in lab.stubs:
        steps.append(f"- [ ] TODO {stub.number}: `{stub.name}` ({stub.decision})"
                     + (f"; check: {stub.check}" if stub.check else ""))
    for exp in lesson.meta.lab.experiments:
        steps.append(f"- [ ] Experiment '{exp.name}': vary {exp.variable} over "
                     f"{', '.join(map(str, exp.values)) or 'the README values'}, same seeds, everything else fixed.")
    steps.append("- [ ] Fill every `notes.md` section with your numbers and run ids.")
    steps.append(f"- [ ] Self-check: `tutor grade {folder}` before you hand in.")
    text = "\n".join(steps)
    if lab.stubs:
        first = lab.stubs[0]
        card, citations = stub_card(turn, first, small_steps=turn.beginner_python)
        text += f"\n\nStart with the first TODO:\n\n{card}"
        return Draft(text, dedupe(citations), {"scaffolded": [first.name]})
    return Draft(text)


def scaffold(turn: Turn, detection_stub: str | None = None) -> Draft:
    from tutor.agent.compose.answers import orientation, question_type

    text = turn.message.lower()
    stub = stub_for(turn, detection_stub)
    if stub is None and question_type(turn.message) == "orientation":
        return orientation(turn)  # "no ML, where do I start?" asks for the path, not the lab checklist
    if TEST_ASK.search(text):
        return test_skeleton(turn, stub or (turn.lab.stubs[0] if turn.lab and turn.lab.stubs else None))
    if NOTES_ASK.search(text) and not stub:
        return notes_outline(turn)
    if TABLE_ASK.search(text):
        return results_table(turn)
    if PLOT_ASK.search(text) and not stub:
        return plot_skeleton(turn)
    if stub is not None:
        card, citations = stub_card(turn, stub, small_steps=turn.beginner_python)
        return Draft(card, dedupe(citations), {"scaffolded": [stub.name]})
    return checklist(turn)


__all__ = ["scaffold", "stub_for", "stub_card", "stub_section"]
