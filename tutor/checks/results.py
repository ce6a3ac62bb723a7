"""The harness's result line, read as hostile input, and the per-TODO status made from it.

Status of a TODO: not_started (a check hit NotImplementedError), error (learner code raised),
timed_out, failed (a wrong value or false property), passed (every check held).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from tutor.checks.spec import ChecksFile, Todo

STATUSES = ("passed", "failed", "error", "timed_out", "not_started")
OUTCOMES = ("ok", "wrong", "not_implemented", "error", "timeout")
TEXT_CHARS = 400
MAX_DEPTH = 6


@dataclass
class TodoResult:
    todo: str
    status: str
    section: str
    total: int                       # checks of this TODO
    passed: int = 0
    check_id: str | None = None      # the first check that did not hold
    failed_checks: list[str] = field(default_factory=list)
    expected: str | None = None      # shown only when the check reveals it
    got: str | None = None
    hint: str | None = None
    error: str | None = None         # the learner's traceback, trimmed to their frames

    def to_dict(self) -> dict:
        return asdict(self)


def _depth(value, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()] or [level])
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value] or [level])
    return level


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 3] + "..."


def find_result(stdout: str, nonce: str) -> dict | None:
    """The harness's report from the line that starts with the nonce, or None; only known
    fields of the right type are kept."""
    line = next((l for l in reversed(stdout.splitlines()) if l.startswith(nonce)), None)
    if line is None:
        return None
    try:
        data = json.loads(line[len(nonce):])
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or _depth(data) > MAX_DEPTH:
        return None
    imported = data.get("import") if isinstance(data.get("import"), dict) else {}
    checks = data.get("checks") if isinstance(data.get("checks"), dict) else {}
    timing = {k: float(data[k]) for k in ("import_s", "checks_s") if isinstance(data.get(k), (int, float))}
    return {"import_error": None if imported.get("ok") is True else _text(imported.get("error") or "import failed"),
            "checks": {str(k): v for k, v in checks.items() if isinstance(v, list)}, "timing": timing,
            "judge_protected": data.get("judge_protected") is True}


def todo_result(todo: Todo, raw: list | None) -> TodoResult:
    by_id = {str(r.get("id")): r for r in raw or [] if isinstance(r, dict)}
    result = TodoResult(todo=todo.name, status="error", section=todo.section, total=len(todo.checks))
    if raw is None:  # the import failed: no check ran
        result.error = "starter.py could not be imported, so no check ran"
        return result
    outcomes = []
    for check in todo.checks:
        outcome = by_id.get(check.id, {}).get("outcome")
        outcomes.append((check, outcome if outcome in OUTCOMES else "error", by_id.get(check.id, {})))
    todo_stubs = [r for _, o, r in outcomes if o == "not_implemented"]
    if todo_stubs:
        raised_in = str(todo_stubs[0].get("raised_in") or todo.name)
        if raised_in == todo.name:
            result.status = "not_started"
            return result
        result.error = _text(f"it calls {raised_in}, which still raises NotImplementedError: finish that TODO first")
        result.check_id = next(c.id for c, o, _ in outcomes if o == "not_implemented")
        return result
    result.passed = sum(1 for _, o, _ in outcomes if o == "ok")
    bad = [(c, o, r) for c, o, r in outcomes if o != "ok"]
    result.failed_checks = [c.id for c, _, _ in bad]
    if not bad:
        result.status = "passed"
        return result
    check, outcome, raw_check = bad[0]
    result.status = {"wrong": "failed", "timeout": "timed_out"}.get(outcome, "error")
    result.check_id, result.hint = check.id, check.hint
    if check.reveal and outcome == "wrong":
        result.expected, result.got = _text(raw_check.get("expected")), _text(raw_check.get("got"))
    if outcome == "error":
        result.error = _text(raw_check.get("error")) or "the check raised an error"
    return result


def unfinished(checks: ChecksFile, names: list[str], record) -> list[TodoResult]:
    """No result line came back: the run was stopped (a limit) or the code ended it early."""
    status = "timed_out" if record.reason == "timeout" else "error"
    why = {"timeout": "the checks did not finish within the time limit",
           "memory": "the code went over the memory limit",
           "killed": "the run was killed",
           "preempted": "Slurm preempted the check run; run it again",
           "node_failure": "the Slurm node running the checks failed; run it again"}.get(record.reason, "the code ended the check run before it reported")
    detail = f" ({record.detail})" if record.detail else ""
    out = []
    for name in names:
        todo = checks.todo(name)
        out.append(TodoResult(todo=name, status=status, section=todo.section, total=len(todo.checks),
                              error=_text(why + detail)))
    return out
