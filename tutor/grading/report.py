"""report.json (schema in report.schema.json) and report.md, written as grading goes.

report.json is rewritten atomically (temp file + rename) after the checks and after each
criterion, with ``status: "partial"`` until the end, so a crash leaves what was done.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


def output_dir(submission: Path, out: Path | None) -> Path:
    """``<submission>/grading/`` by default, ``OUT/<submission-name>/`` with --out."""
    return (Path(out) / submission.name) if out else submission / "grading"


def _safe_dir(folder: Path) -> None:
    # Never write through a link the learner planted where the report goes.
    for candidate in (folder, folder.parent):
        try:
            if stat.S_ISLNK(os.lstat(candidate).st_mode):
                raise OSError(f"{candidate} is a symlink; not writing a report through it")
        except FileNotFoundError:
            pass
    folder.mkdir(parents=True, exist_ok=True)


def write_json(folder: Path, report: dict[str, Any]) -> Path:
    _safe_dir(folder)
    target = folder / "report.json"
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".json", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2, ensure_ascii=False, default=str)
    os.replace(tmp, target)
    return target


def read_existing(folder: Path) -> dict[str, Any] | None:
    path = folder / "report.json"
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode) or os.lstat(path).st_size > 8 * 1024 * 1024:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _fmt(score: float | None) -> str:
    return "n/a" if score is None else f"{score * 100:.0f}%"


def markdown(report: dict[str, Any]) -> str:
    sub = report["submission"]
    lines = [f"# Grading report: {sub['name']}", ""]
    if not report["gradable"]:
        lines += [f"**Not gradable:** {report['reason']}", ""]
        return "\n".join(lines)
    passed = report.get("passed")
    verdict = f"incomplete, {report['incomplete']}" if report.get("incomplete") else "passed" if passed else "not passed"
    lines += [f"Lesson {report['lesson']} · total **{_fmt(report.get('total'))}** "
              f"(pass mark {_fmt(report.get('pass_score'))}: {verdict})", ""]
    judge = report["judge"]
    lines += [f"Judge: {judge['model'] or 'none'}" + ("" if judge["ran"] else f" (not run: {judge['reason']})")]
    if judge.get("calibration"):
        lines.append(f"Calibration: {judge['calibration']['summary']}")
    lines.append("")
    lines += ["## Criteria", "", "| criterion | weight | checks | level | score | source |", "| --- | --- | --- | --- | --- | --- |"]
    for c in report["criteria"]:
        lines.append(f"| {c['id']} | {c['weight']:g} | {_fmt(c['deterministic_score'])} | "
                     f"{'n/a' if c['level'] is None else c['level']} | {_fmt(c['score'])} | {c['source']} |")
    for c in report["criteria"]:
        if c.get("rationale") or c.get("evidence") or c.get("not_judged_reason"):
            lines += ["", f"### {c['id']}"]
            if c.get("not_judged_reason"):
                lines.append(f"Not judged: {c['not_judged_reason']}")
            if c.get("rationale"):
                lines.append(c["rationale"])
            lines += [f"> {q}" for q in c.get("evidence", [])]
    lines += ["", "## Checks", "", "| check | criterion | status | message |", "| --- | --- | --- | --- |"]
    for check in report["checks"]:
        message = check["message"].replace("|", "\\|")
        lines.append(f"| {check['id']} | {check['criterion']} | {check['status']} | {message} |")
    if report["flags"]:
        lines += ["", "## Flags", ""] + [f"- **{f['code']}** ({f.get('where', '')}): {f['message']}" for f in report["flags"]]
    return "\n".join(lines) + "\n"


def write_markdown(folder: Path, report: dict[str, Any]) -> Path:
    _safe_dir(folder)
    path = folder / "report.md"
    path.write_text(markdown(report), encoding="utf-8")
    return path
