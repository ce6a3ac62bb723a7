"""report.json (schema in report.schema.json) and report.md, written as grading goes.

report.json is rewritten atomically (temp file + rename) after the checks and after each
criterion, with ``status: "partial"`` until the end, so a crash leaves what was done. The
report folder is inside the learner's submission: every write goes through a directory
descriptor and never follows a link (sandbox/safe_files.py). Nothing read back from it is
trusted: reuse decisions come from the grader's own store (batch.py).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from sandbox import safe_files
from tutor import untrusted

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


def output_dir(submission: Path, out: Path | None) -> Path:
    """``<submission>/grading/`` by default, ``OUT/<submission-name>/`` with --out."""
    return (Path(out) / submission.name) if out else submission / "grading"


REPORT_MODE = 0o644                      # report.json, report.md and results.json alike
STALE_TEMPS = (safe_files.TEMP_PREFIX, ".report-")


def open_output(folder: Path) -> int:
    """A descriptor for the report folder, made if missing. Neither it nor its parent may be a
    link the learner planted (``grading -> /dir``): both are opened with O_NOFOLLOW. Temp files
    a killed writer left there are removed."""
    parent_fd = safe_files.open_dir(folder.parent, create=True)
    try:
        try:
            os.mkdir(folder.name, 0o755, dir_fd=parent_fd)
        except FileExistsError:
            pass
        try:
            fd = os.open(folder.name, os.O_RDONLY | os.O_DIRECTORY | safe_files.NOFOLLOW, dir_fd=parent_fd)
        except OSError as exc:
            raise safe_files.UnsafeFile(f"{folder} is a symlink or not a folder; not writing a report through it") from exc
    finally:
        os.close(parent_fd)
    safe_files.remove_stale_temps(fd, STALE_TEMPS)
    return fd


def write_file(folder: Path, name: str, text: str) -> Path:
    """Atomically replace folder/name: a kill leaves the old file or the new one, never a
    0-byte or half file, and a planted link is replaced, not written through."""
    try:
        data = text.encode("utf-8")
    except UnicodeError:  # a lone surrogate (a folder name that is not UTF-8) must not stop the batch
        data = text.encode("utf-8", "backslashreplace")
    fd = open_output(folder)
    try:
        safe_files.write_atomic(fd, name, data, REPORT_MODE)
    finally:
        os.close(fd)
    return folder / name


def write_json(folder: Path, report: dict[str, Any]) -> Path:
    # a name that is not UTF-8 is kept as a \udcff escape: json.loads gives the same string back
    return write_file(folder, "report.json",
                      untrusted.json_text(json.dumps(report, indent=2, ensure_ascii=False, default=str)))


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
    """Everything from the submission or the judge is escaped (tutor/untrusted.py): a name with a
    newline cannot add a heading, a rationale cannot carry HTML."""
    md, block = untrusted.markdown_inline, untrusted.markdown_block
    sub = report["submission"]
    lines = [f"# Grading report: {md(sub['name'])}", ""]
    if not report["gradable"]:
        lines += [f"**Not gradable:** {md(report['reason'])}", ""]
        return "\n".join(lines)
    passed = report.get("passed")
    verdict = f"incomplete, {report['incomplete']}" if report.get("incomplete") else "passed" if passed else "not passed"
    lines += [f"Lesson {report['lesson']} · total **{_fmt(report.get('total'))}** "
              f"(pass mark {_fmt(report.get('pass_score'))}: {verdict})", ""]
    judge = report["judge"]
    lines += [f"Judge: {md(judge['model'] or 'none')}" + ("" if judge["ran"] else f" (not run: {md(judge['reason'])})")]
    if judge.get("calibration"):
        lines.append(f"Calibration: {md(judge['calibration']['summary'])}")
    lines.append("")
    lines += ["## Criteria", "", "| criterion | weight | checks | level | score | source |", "| --- | --- | --- | --- | --- | --- |"]
    for c in report["criteria"]:
        lines.append(f"| {md(c['id'])} | {c['weight']:g} | {_fmt(c['deterministic_score'])} | "
                     f"{'n/a' if c['level'] is None else c['level']} | {_fmt(c['score'])} | {md(c['source'])} |")
    for c in report["criteria"]:
        if c.get("rationale") or c.get("evidence") or c.get("not_judged_reason"):
            lines += ["", f"### {md(c['id'])}"]
            if c.get("not_judged_reason"):
                lines.append(f"Not judged: {md(c['not_judged_reason'])}")
            if c.get("rationale"):
                lines.append(block(c["rationale"]))
            lines += [f"> {md(q)}" for q in c.get("evidence", [])]
    lines += ["", "## Checks", "", "| check | criterion | status | message |", "| --- | --- | --- | --- |"]
    for check in report["checks"]:
        lines.append(f"| {md(check['id'])} | {md(check['criterion'])} | {md(check['status'])} | {md(check['message'])} |")
    if report["flags"]:
        lines += ["", "## Flags", ""] + [f"- **{md(f['code'])}** ({md(f.get('where', ''))}): {md(f['message'])}"
                                         for f in report["flags"]]
    return "\n".join(lines) + "\n"


def write_markdown(folder: Path, report: dict[str, Any]) -> Path:
    return write_file(folder, "report.md", markdown(report))
