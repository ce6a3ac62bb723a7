"""Coaching, not refusing: one sentence of no, then real help from the coaching ladder.

The rung comes from AGENTS.md (``policy.ladder_step(attempt)``); the attempt count lives in
the checkpointed thread, so repeated attempts climb: a guiding question, the next concrete
step with the section to reread, the TODO with its inputs/outputs and check, then the
structure as scaffold code with TODO bodies and the offer to run the lab's checks on an
attempt (the conversation's code check, ``code_check.py``). Never the solution. Everything is specific to the learner's lab: its real stubs and lesson sections.
"""

from __future__ import annotations

import re

from tutor.agent.compose.base import Draft, Turn, dedupe
from tutor.agent.compose.scaffold import stub_section
from tutor.agent.passages import condense

REFUSAL = {
    "solution": "I won't write {target} for you, but I will help you write it yourself.",
    "override": "I follow AGENTS.md whatever a message asks, so I won't write {target} for you, but I will help you write it yourself.",
    "report": "I won't write your notes for you, because what you expected, saw and now believe has to be yours, but I will help you write them.",
    "guard": "I held back part of that answer because it would have {what}, which the course contract leaves to you.",
}
GUARD_WHAT = {
    "todo_stub_filled": "written one of your lab's TODO functions",
    "todo_stub_fragment": "written the body of one of your lab's TODOs",
    "max_code_lines": "handed you more working code than the contract allows",
    "protected_notes_section": "filled a section of your notes.md",
    "reflection_written": "written your reflection",
}


def _target(stub, lesson: int) -> str:
    return f"`{stub.name}`" if stub is not None else f"the lesson {lesson} lab"


def pick_stub(turn: Turn, named: str | None, step: int | None, requested: list[str]):
    """The TODO the learner is after: named, numbered ("just step 2"), next after the last
    one they asked for (salami slicing), or the first."""
    lab = turn.lab
    if lab is None or not lab.stubs:
        return None
    if named and lab.stub(named):
        return lab.stub(named)
    if step is not None and lab.stub(step):
        return lab.stub(step)
    if re.search(r"\bnext\b", turn.message.lower()) and requested:
        last = lab.stub(requested[-1])
        if last is not None:
            return lab.stub(min(last.number + 1, len(lab.stubs)))
    if requested and lab.stub(requested[-1]):
        return lab.stub(requested[-1])
    return lab.stubs[0]


def _section_passage(turn: Turn, stub) -> tuple[str, list[dict], str]:
    citation, where = stub_section(turn, stub)
    if citation is None:
        return "", [], ""
    lesson = turn.view.lessons[citation["lesson"]]
    section = lesson.section(citation["section"])
    units = condense([section.text], f"{stub.name.replace('_', ' ')} {stub.docstring}", max_units=2)[0] if section else []
    return " ".join(units), [citation], where


def _hint_sentence(stub) -> str:
    """The docstring sentence that tells the learner what to think about (not its first line)."""
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(stub.docstring.split()))
    for sentence in sentences[1:]:
        if not re.match(r"(?i)(check|example|e\.g\.)\b", sentence) and len(sentence) > 20:
            return sentence
    return ""


def _structure(stub) -> str:
    shape = "the shape or type the docstring promises"
    steps = [
        "# TODO: read the sizes you need from the inputs (write each shape in a comment)",
        f"# TODO: {stub.decision}",
        f"# TODO: return the result in {shape}",
    ]
    doc = f'    """{stub.docstring.splitlines()[0]}"""\n' if stub.docstring else ""
    body = "\n".join(f"    {s}" for s in steps)
    return f"```python\n{stub.signature}\n{doc}{body}\n    raise NotImplementedError(\"TODO: your code\")\n```"


def solution_rung(turn: Turn, level: int, stub) -> tuple[str, list[dict]]:
    if stub is None:
        entry = turn.view.plan_entry(turn.lesson)
        lead = f"Lesson {turn.lesson}'s lab is not written yet. " if not turn.view.has(turn.lesson) else ""
        plan = f"From the course plan: {entry} " if entry else ""
        return (f"{lead}{plan}What is the one variable that lab changes, and what would you measure? "
                "Write that down first; the code follows from it.", [])
    check = stub.check
    passage, citations, where = _section_passage(turn, stub)
    reread = f" Reread {where}." if where else ""
    if level == 1:
        if stub.question:
            question = stub.question
        elif check:
            question = (f"The docstring's check says {check.rstrip('.')}. Which of the inputs produce that number, "
                        "and how would you get it by hand?")
        else:
            question = "What should it return for the smallest input you can think of, and why?"
        hint = _hint_sentence(stub)
        hint = f" The docstring's hint: \"{hint}\"" if hint else ""
        return (f"Coaching step 1 (a guiding question): `{stub.name}` decides {stub.decision}. {question}{hint} "
                f"Work it out on paper before writing code.{reread}", citations)
    if level == 2:
        example = f"then check that your reasoning gives {check.rstrip('.')}" if check else "then work out a tiny example by hand"
        text = (f"Coaching step 2 (the next step): write down the shape or type of each input of `{stub.name}` "
                f"({', '.join(stub.params)}) and of what it returns, {example}.")
        if passage:
            text += f"\n\nReread {where}: {passage}"
        return text, citations
    if level == 3:
        text = (f"Coaching step 3 (the TODO): TODO {stub.number} in starter.py, line {stub.line}:\n\n"
                f"```python\n{stub.scaffold()}\n```\n\n"
                f"- Inputs: {', '.join(f'`{p}`' for p in stub.params)}.\n"
                f"- Output: what the docstring promises.\n"
                f"- It works when: {check or 'it reproduces a tiny example you worked out by hand'}.{reread}")
        return text, citations
    text = (f"Coaching step 4 (the structure): `{stub.name}` in three moves, each a TODO for you:\n\n{_structure(stub)}\n\n"
            f"Write your attempt, then paste your `{stub.name}` here (or say \"check my code\"): I'll run the "
            "lab's checks on it in the sandbox and coach you on the first one that fails, without writing the fix. "
            f"`tutor check labs/lesson_{turn.lesson:02d}` runs the same checks from the terminal.")
    return text, citations


def report_rung(turn: Turn, level: int) -> tuple[str, list[dict]]:
    lab = turn.lab
    headings = [h for h, _ in lab.notes_headings] if lab and lab.notes_headings else list(turn.policy.protected_notes_sections)
    citation, where = turn.section_citation(turn.lesson, "What would change your mind")
    citations = [citation] if citation else []
    if level == 1:
        return ("Coaching step 1 (a guiding question): which number in your runs surprised you most, and what "
                "did you expect it to be before you ran anything?", citations)
    if level == 2:
        return ("Coaching step 2 (the next step): open `runs/`, put every run in one table (run id, the variable, "
                "seed, the measures), then write one sentence per notes section that points at a row of it."
                + (f" Reread {where} for what would change your mind." if where else ""), citations)
    if level == 3:
        sections = "\n".join(f"- `## {h}`" for h in headings)
        return (f"Coaching step 3 (the sections): your notes.md has:\n{sections}\n\nEach needs your own words and "
                "your run ids; the grader counts words beyond the template and the judge looks for evidence.", citations)
    frames = ("- before running: the number you predicted, and the mechanism behind the prediction\n"
              "- after running: the number you got, with its run id and the spread over seeds\n"
              "- the gap between the two, and one explanation you could test\n"
              "- the next experiment: one variable, what stays fixed\n"
              "- the claim you now hold, the runs behind it, and the result that would overturn it")
    return (f"Coaching step 4 (the structure): one bullet of notes per line below, in your words:\n{frames}\n\n"
            "Write a draft and paste it: I'll tell you where a claim lacks evidence.", citations)


def coach(turn: Turn, *, kind: str, reason: str = "", named_stub: str | None = None, step: int | None = None,
          attempt: int = 1, requested: list[str] | None = None, guard_rule: str | None = None) -> Draft:
    """The coaching reply for an outsourcing attempt (or a guarded model reply)."""
    rung = turn.policy.ladder_step(attempt)
    if kind == "report_request":
        refusal = REFUSAL["report"]
        body, citations = report_rung(turn, rung.level)
        stub = None
    else:
        stub = pick_stub(turn, named_stub, step, requested or [])
        if guard_rule:
            refusal = REFUSAL["guard"].format(what=GUARD_WHAT.get(guard_rule, "done your lab for you"))
        elif any(word in reason for word in ("override", "role-play", "contract phrase")):
            refusal = REFUSAL["override"].format(target=_target(stub, turn.lesson))
        else:
            refusal = REFUSAL["solution"].format(target=_target(stub, turn.lesson))
        body, citations = solution_rung(turn, rung.level, stub)
    updates = {"requested_stubs": [stub.name]} if stub is not None else {}
    return Draft(body, dedupe(citations), updates, lead=refusal)
