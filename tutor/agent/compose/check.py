"""check: the reply to "check my code" from what the lab's checks found.

The first failing check is named, with its case and (when the check may reveal it) what was
expected and what came back; then one guiding question about that case (the check's hint)
and the lesson section that teaches it. A TODO that passes gets "all N checks pass" and the
next step. The reply holds no code of the learner's TODO, corrected or not: only the check's
call, a value, the exception line.
"""

from __future__ import annotations

from tutor.agent.compose.base import Draft, Turn, dedupe
from tutor.agent.compose.scaffold import stub_section

STUCK = ("failed", "error", "timed_out")


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def _problem(turn: Turn, outcome: dict) -> str:
    lesson = outcome.get("lesson") or turn.lesson
    problem = outcome.get("problem")
    if problem == "no_lab_dir":
        return (f"I looked for your lab at `{outcome.get('path')}` under the folder the tutor was started in and "
                f"found no starter.py there, so there is nothing of yours to check. Paste the function you want "
                f"checked into the chat, or run `tutor check PATH/TO/lesson_{lesson or 0:02d}` on your folder.")
    if problem in ("no_lab", "no_checks"):
        return f"Lesson {lesson}'s lab has no checks to run yet, so I cannot check that code against it."
    if problem == "input":
        return f"I could not run the checks: {outcome.get('detail')}."
    return (f"The sandbox could not run the checks ({outcome.get('detail') or 'no reason given'}). "
            f"Try `tutor doctor`, then `tutor check labs/lesson_{lesson or 0:02d}`.")


def _ordered(turn: Turn, todos: list[dict]) -> list[dict]:
    lab = turn.view.lab(turn.lesson)
    order = {name: i for i, name in enumerate(lab.stub_names)} if lab else {}
    return sorted(todos, key=lambda t: order.get(t["todo"], len(order)))


def _failure(turn: Turn, todo: dict, call: str | None) -> tuple[str, list[dict]]:
    name, check = todo["todo"], todo.get("check_id") or "?"
    passed = f"{todo['passed']} of {todo['total']} checks pass"
    parts = [f"`{name}`: {passed}; the first that does not is **{check}**."]
    case = f"On the case `{call}`" if call else "On that case"
    if todo["status"] == "failed":
        if todo.get("expected") is not None and todo.get("got") is not None:
            parts.append(f"{case} it should give `{todo['expected']}`, and yours gives `{todo['got']}`.")
        else:
            parts.append(f"{case} your result is not what the lab needs (the expected value stays hidden: "
                         "it would give the answer away).")
    elif todo["status"] == "timed_out":
        parts.append(f"{case} it did not finish within the time limit: which loop's condition never changes "
                     "for that input?")
    else:
        error = _last_line(todo.get("error"))
        parts.append(f"{case} it raised an error: `{error}`." if error else f"{case} it raised an error.")
    citations: list[dict] = []
    hint = (todo.get("hint") or "").strip()
    if "?" in hint:
        parts.append(f"A question about that case: {hint}")
    else:  # a hint that is not a question: the question is about the learner's step on that case
        lead = f"A hint for that case: {hint} " if hint else ""
        parts.append(f"{lead}A question about that case: which step of your code does it exercise, and what should "
                     "that step give there when you work it out by hand?")
    citation, where = turn.section_citation(turn.lesson, todo.get("section") or "")
    stub = turn.lab.stub(name) if turn.lab else None
    if citation is None and stub is not None:
        citation, where = stub_section(turn, stub)  # a section the lesson does not have: the one teaching the TODO
    if citation:
        parts.append(f"Reread {where}, then change your code and ask me to check it again.")
        citations.append(citation)
    else:
        parts.append("Work that case out by hand, then change your code and ask me to check it again.")
    return " ".join(parts), citations


def _next_step(turn: Turn, todos: list[dict]) -> str:
    lab = turn.view.lab(turn.lesson)
    done = {t["todo"] for t in todos if t["status"] == "passed"}
    later = [s for s in (lab.stubs if lab else []) if s.name not in done]
    last = max((s.number for s in (lab.stubs if lab else []) if s.name in done), default=0)
    after = [s for s in later if s.number > last] or later
    if after:
        stub = after[0]
        return (f"Next step: TODO {stub.number}, `{stub.name}` ({stub.decision}); paste it here or say "
                "\"check my code\" when you have an attempt.")
    return (f"Next step: every TODO of the lab passes its checks, so run the experiment "
            f"(`tutor run labs/lesson_{turn.lesson:02d}`) and write up what you see in notes.md.")


def check(turn: Turn, outcome: dict | None) -> Draft:
    outcome = outcome or {"problem": "sandbox", "detail": "no result"}
    if outcome.get("problem"):
        return Draft(_problem(turn, outcome))
    todos = _ordered(turn, list(outcome.get("todos") or []))
    where = "your pasted code" if outcome.get("source") == "paste" else f"`labs/lesson_{turn.lesson:02d}`"
    lead = f"I ran lesson {turn.lesson}'s lab checks on {where} in the sandbox."
    if outcome.get("import_error"):
        error = _last_line(outcome["import_error"])
        return Draft(f"{lead} Your code could not even be loaded, so no check ran: `{error}`. Which line does that "
                     "point at, and what does Python expect there? Fix that first, then ask me to check again.")
    stuck = [t for t in todos if t["status"] in STUCK]
    passed = [t for t in todos if t["status"] == "passed"]
    waiting = [t for t in todos if t["status"] == "not_started"]
    parts, citations = [lead], []
    if stuck:
        first = stuck[0]
        text, cited = _failure(turn, first, (outcome.get("calls") or {}).get(first["todo"]))
        parts.append(text)
        citations += cited
        others = [f"`{t['todo']}` ({t['status'].replace('_', ' ')} at {t.get('check_id')})" for t in stuck[1:]]
        if others:
            parts.append("Also not passing yet: " + ", ".join(others) + "; one at a time, this one first.")
    for t in passed:
        parts.append(f"`{t['todo']}`: all {t['total']} checks pass.")
    if waiting:
        names = ", ".join(f"`{t['todo']}`" for t in waiting)
        parts.append(f"Not started (still raising NotImplementedError): {names}.")
    if not stuck:
        if passed:
            parts.append(_next_step(turn, todos))
        elif waiting:
            parts.append("Nothing of yours ran: replace the `raise NotImplementedError` of the TODO with your "
                         "attempt, or paste the function here.")
    box = outcome.get("sandbox") or {}
    if box.get("isolation") == "weak":
        parts.append("(The checks ran with the process backend: no filesystem or network isolation.)")
    return Draft("\n\n".join(parts), dedupe(citations))
