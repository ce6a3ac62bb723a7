"""The deterministic check kinds of curriculum/FORMAT.md, each with its own time limit.

A check returns (passed, message, evidence paths). ``run_check`` wraps it: a timeout,
an exception or an unsafe path becomes a failed check with a message, never a crash.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from tutor.grading import notes_words, safe_io
from tutor.grading.submission import Submission, dotted, split_sections

STATUSES = ("passed", "failed", "skipped", "error")


@dataclass
class CheckContext:
    submission: Submission
    template_notes: str | None          # the lesson's notes.md template text
    smoke: bool = False
    sandbox_backend: str = "auto"
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckResult:
    id: str
    kind: str
    criterion: str
    weight: float
    status: str
    message: str
    evidence: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "criterion": self.criterion, "weight": self.weight,
                "status": self.status, "message": self.message, "evidence": self.evidence,
                "duration_s": round(self.duration_s, 4)}


class Skip(Exception):
    """The check does not apply in this mode (e.g. smoke_run without --smoke)."""


Outcome = tuple[bool, str, list[str]]


def required_files(check, ctx: CheckContext) -> Outcome:
    missing, unsafe = [], []
    for name in check.files:
        try:
            safe_io.regular_file(safe_io.inside(ctx.submission.root, name))
        except FileNotFoundError:
            missing.append(name)
        except safe_io.UnsafePath as exc:
            unsafe.append(str(exc))
    if missing or unsafe:
        parts = ([f"missing: {', '.join(missing)}"] if missing else []) + unsafe
        return False, "; ".join(parts), []
    return True, f"all present: {', '.join(check.files)}", list(check.files)


def notes_filled(check, ctx: CheckContext) -> Outcome:
    read = ctx.submission.text(check.file)
    if read is None:
        return False, f"{check.file} is missing", []
    if read.error:
        return False, f"{check.file} {read.error}", [check.file]
    template = split_sections(ctx.template_notes or "")
    mine = split_sections(read.text)
    wanted = list(template) or list(mine)
    if not wanted:
        return False, f"{check.file} has no '## ' sections", [check.file]
    counts = notes_words.own_word_counts(mine, template)
    short = []
    for title in wanted:
        found = notes_words.match_section(title, mine)
        if found is None:
            short.append(f"'{title}' missing")
        elif counts.get(found, 0) < check.min_words:
            short.append(f"'{title}' has {counts.get(found, 0)} own words (needs {check.min_words})")
    if short:
        return False, "; ".join(short), [check.file]
    return True, f"{len(wanted)} sections each with >= {check.min_words} words beyond the template", [check.file]


def min_runs(check, ctx: CheckContext) -> Outcome:
    runs = ctx.submission.runs
    valid = [r for r in runs if r.valid]
    problems = [p for r in runs for p in r.problems][:5]
    message = f"{len(valid)} valid run(s) of {len(runs)} (needs {check.min})"
    smoke = [r.id for r in runs if r.smoke]
    if smoke:
        message += f"; {len(smoke)} --smoke run(s) not counted ({', '.join(smoke[:3])})"
    if problems:
        message += "; " + "; ".join(problems)
    return len(valid) >= check.min, message, [f"runs/{r.id}" for r in valid]


def varied(check, ctx: CheckContext) -> Outcome:
    values = _values(ctx, check.key)
    distinct = {json.dumps(v, sort_keys=True) for v in values.values()}
    shown = ", ".join(sorted(distinct))[:200]
    ok = len(distinct) >= check.min_distinct
    return ok, f"{check.key}: {len(distinct)} distinct value(s) [{shown}] (needs {check.min_distinct})", \
        [f"runs/{r}/config.json" for r in values]


def held_fixed(check, ctx: CheckContext) -> Outcome:
    valid = ctx.submission.valid_runs
    if not valid:
        return False, "no valid runs to compare", []
    values = _values(ctx, check.key)
    lacking = [r.id for r in valid if r.id not in values]
    if lacking:
        return False, f"{check.key} is not recorded in runs {', '.join(lacking[:5])}", []
    distinct = {json.dumps(v, sort_keys=True) for v in values.values()}
    if len(distinct) > 1:
        return False, f"{check.key} changes across runs: {', '.join(sorted(distinct))[:200]}", \
            [f"runs/{r}/config.json" for r in values]
    return True, f"{check.key} = {distinct.pop()} in all {len(values)} runs", [f"runs/{r}/config.json" for r in values]


def metrics_present(check, ctx: CheckContext) -> Outcome:
    valid = ctx.submission.valid_runs
    if not valid:
        return False, "no valid runs with metrics.json", []
    gaps = []
    for run in valid:
        absent = [k for k in check.keys if not dotted(run.metrics, k)[0]]
        if absent:
            gaps.append(f"runs/{run.id} lacks {', '.join(absent)}")
    if gaps:
        return False, "; ".join(gaps[:5]), []
    return True, f"all {len(valid)} runs record {', '.join(check.keys)}", [f"runs/{r.id}/metrics.json" for r in valid]


def file_contains(check, ctx: CheckContext) -> Outcome:
    read = ctx.submission.text(check.file)
    if read is None:
        return False, f"{check.file} is missing", []
    if read.error:
        return False, f"{check.file} {read.error}", [check.file]
    # The text is capped (safe_io.TEXT_CAP), which also bounds the regular expression's work.
    match = re.search(check.pattern, read.text, re.MULTILINE)
    if not match:
        return False, f"{check.file} does not match /{check.pattern}/", [check.file]
    line = read.text.count("\n", 0, match.start()) + 1
    return True, f"{check.file}:{line} matches /{check.pattern}/", [f"{check.file}:{line}"]


def smoke_run(check, ctx: CheckContext) -> Outcome:
    if not ctx.smoke:
        raise Skip("runs code; only with --smoke")
    from tutor.grading.sandboxed import run_in_sandbox

    record = run_in_sandbox(ctx, list(check.command), check.timeout_s)
    ok = record.get("reason") == "ok"
    detail = record.get("detail") or f"exit {record.get('exit_code')}"
    return ok, f"`{' '.join(check.command)}`: {record.get('reason')} ({detail})", []


def reproduce(check, ctx: CheckContext) -> Outcome:
    if not ctx.smoke:
        raise Skip("re-runs a logged run; only with --smoke")
    from tutor.grading.sandboxed import reproduce_run

    return reproduce_run(ctx, check.metric, check.tolerance, check.timeout_s)


KINDS: dict[str, Callable[[Any, CheckContext], Outcome]] = {
    "required_files": required_files, "notes_filled": notes_filled, "min_runs": min_runs,
    "varied": varied, "held_fixed": held_fixed, "metrics_present": metrics_present,
    "file_contains": file_contains, "smoke_run": smoke_run, "reproduce": reproduce,
}


def _values(ctx: CheckContext, key: str) -> dict[str, Any]:
    found = {}
    for run in ctx.submission.valid_runs:
        present, value = dotted(run.config, key)
        if present:
            found[run.id] = value
    return found


def run_check(check, ctx: CheckContext) -> CheckResult:
    """One check in its own daemon thread, abandoned (and failed) after ``timeout_s``.

    A thread cannot be killed, but every check's work is bounded by the read caps, so an
    abandoned one finishes soon; code runs go through the sandbox, which kills its tree.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["outcome"] = KINDS[check.kind](check, ctx)
        except Skip as exc:
            box["skip"] = str(exc)
        except safe_io.UnsafePath as exc:
            box["outcome"] = (False, str(exc), [])
        except Exception as exc:  # a broken folder must give a message, not a crash
            box["error"] = f"{type(exc).__name__}: {exc}"

    started = time.perf_counter()
    worker = threading.Thread(target=target, name=f"check-{check.id}", daemon=True)
    worker.start()
    worker.join(check.timeout_s)
    elapsed = time.perf_counter() - started
    base = dict(id=check.id, kind=check.kind, criterion=check.criterion, weight=check.weight, duration_s=elapsed)
    if worker.is_alive():
        return CheckResult(**base, status="error", message=f"timed out after {check.timeout_s:g} s")
    if "skip" in box:
        return CheckResult(**base, status="skipped", message=box["skip"])
    if "error" in box:
        return CheckResult(**base, status="error", message=box["error"])
    passed, message, evidence = box["outcome"]
    return CheckResult(**base, status="passed" if passed else "failed", message=message, evidence=evidence)
