"""Check results as text for the terminal (plain; Rich callers escape markup) and one-line summaries.

What the learner's code raised or returned, and the lab's own names, are untrusted: their control,
escape and bidi codes are shown (``\\x1b]0;...``), never sent to the terminal."""

from __future__ import annotations

from tutor.checks.evaluate import Evaluation
from tutor.untrusted import terminal

MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "timed_out": "TIMEOUT", "not_started": "TODO"}


def todo_line(t) -> str:
    return terminal(_todo_line(t), one_line=False)


def _todo_line(t) -> str:
    if t.status == "passed":
        return f"{MARK[t.status]:<7} {t.todo}: all {t.total} checks pass"
    if t.status == "not_started":
        return f"{MARK[t.status]:<7} {t.todo}: not started (still raises NotImplementedError)"
    where = f" at check {t.check_id}" if t.check_id else ""
    lines = [f"{MARK[t.status]:<7} {t.todo}: {t.status.replace('_', ' ')}{where} ({t.passed}/{t.total} checks pass)"]
    if t.expected is not None:
        lines.append(f"        expected {t.expected}")
    if t.got is not None:
        lines.append(f"        got      {t.got}")
    if t.error:
        lines += [f"        {line}" for line in t.error.splitlines()]
    if t.hint:
        lines.append(f"        hint: {t.hint} (see \"{t.section}\")")
    return "\n".join(lines)


def text(evaluation: Evaluation) -> str:
    lines = [_todo_line(t) for t in evaluation.todos]  # escaped once, with the rest, below
    if evaluation.import_error:
        lines.insert(0, "starter.py could not be imported:\n" + evaluation.import_error)
    box = evaluation.sandbox
    if box.get("reason") not in (None, "ok"):
        lines.append(f"sandbox: {box.get('reason')}" + (f" ({box['detail']})" if box.get("detail") else ""))
    if box.get("isolation") == "weak":
        lines.append("sandbox: WARNING: process backend, no filesystem/network isolation")
    counts = {s: sum(1 for t in evaluation.todos if t.status == s) for s in MARK}
    lines.append(", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n))
    return terminal("\n".join(lines), one_line=False)
