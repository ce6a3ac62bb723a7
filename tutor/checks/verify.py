"""Prove a lab's checks: the shipped starter reports every TODO not started, the reference
passes every check, each wrong attempt fails the check it names.

    python -m tutor.checks.verify curriculum/labs/lesson_05 [more labs] [--backend process]

Exit 0 when all of that holds, 1 when something does not, 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from tutor.checks.evaluate import evaluate
from tutor.checks.references import reference_code, wrong_attempts
from tutor.checks.spec import load_checks


@dataclass
class Case:
    lab: str
    name: str
    ok: bool
    detail: str


def verify_lab(lab_dir: Path, backend: str = "auto", course_root: Path | None = None) -> list[Case]:
    lab = Path(lab_dir).name
    checks, problems = load_checks(lab_dir)
    if problems:
        return [Case(lab, "checks.yaml", False, "; ".join(str(p) for p in problems))]
    if checks is None:
        return [Case(lab, "checks.yaml", False, "no checks.yaml")]
    cases = []
    starter = evaluate(lab_dir, checks, backend=backend)
    started = [f"{t.todo}={t.status}" for t in starter.todos if t.status != "not_started"]
    cases.append(Case(lab, "starter", not started and starter.import_error is None,
                      "every TODO not_started" if not started else f"not all not_started: {', '.join(started)}"))
    reference = reference_code(lab_dir, course_root)
    if reference is None:
        cases.append(Case(lab, "reference", False, "no tests/course/references file for this lab"))
    else:
        run = evaluate(lab_dir, checks, code=reference, backend=backend)
        bad = [f"{t.todo}={t.status}" + (f" at {t.check_id}: {t.error or ''}" if t.check_id or t.error else "")
               for t in run.todos if t.status != "passed"]
        cases.append(Case(lab, "reference", not bad and run.import_error is None,
                          f"all {sum(t.total for t in run.todos)} checks pass" if not bad else "; ".join(bad)))
    attempts = wrong_attempts(lab_dir, course_root)
    per_todo = {name: 0 for name in checks.names}
    for i, attempt in enumerate(attempts):
        todo = attempt.get("todo")
        if todo not in per_todo:
            cases.append(Case(lab, f"attempt {i}", False, f"names no TODO with checks: {todo!r}"))
            continue
        per_todo[todo] += 1
        run = evaluate(lab_dir, checks, code=attempt.get("code", ""), todo=todo, backend=backend)
        [result] = run.todos
        ok = result.status in ("failed", "error") and attempt.get("fails") in result.failed_checks
        cases.append(Case(lab, f"attempt {i} {todo} ({attempt.get('why', '')})", ok,
                          f"{result.status}, failing {result.failed_checks}, expected to fail {attempt.get('fails')!r}"))
    for name, count in per_todo.items():
        if count < 2:
            cases.append(Case(lab, f"attempts for {name}", False, f"{count} wrong attempt(s); need >= 2"))
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tutor.checks.verify", description=__doc__.splitlines()[0])
    parser.add_argument("labs", nargs="+", type=Path)
    parser.add_argument("--backend", default="auto", choices=["auto", "bubblewrap", "process"])
    args = parser.parse_args(argv)
    failed = 0
    for lab in args.labs:
        if not (lab / "starter.py").is_file():
            print(f"verify: {lab} is not a lab folder (no starter.py)", file=sys.stderr)
            return 2
        for case in verify_lab(lab, args.backend):
            failed += not case.ok
            print(f"{'ok  ' if case.ok else 'FAIL'} {case.lab} {case.name}: {case.detail}")
    print(f"{failed} failing case(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
