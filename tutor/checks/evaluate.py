"""Run a lab's checks on the learner's code, always in the sandbox, and read back the result.

The lab folder's files and subfolders (data/) are copied into a scratch folder (never following
links; depth, file count and sizes bounded) with the harness and its spec next to them; the
folder is held locked while the check lives, so that a later check removes the folder of one
that was SIGKILLed (sandbox/locked_dirs.py). The sandbox copies that again and runs
``python -I _tutor_check/check_harness.py``: the judge, which starts the learner's code as a
process of its own (check_worker.py) and compares what comes back itself. The judge's one result
line is still read as hostile input: it is found by a nonce, bounded in size and depth, and only
the fields asked for are read.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import fdtree
from tutor.checks import results
from tutor.checks.spec import ChecksFile

STAGE_DIR = "_tutor_check"
FILE_MAX_BYTES = 8 * 2**20
TOTAL_MAX_BYTES = 64 * 2**20
RESULT_MAX_BYTES = 512 * 1024
CODE_MAX_CHARS = 100_000
MAX_DEPTH = 4          # subfolder levels staged below the lab folder (data/docs/...)
MAX_FILES = 2000
SKIP_DIRS = ("runs", "__pycache__", "grading")
SCRATCH_PREFIX = "tutor-check-"


class CheckInputError(Exception):
    """Bad input (no starter.py, code too large): nothing was run."""


@dataclass
class Evaluation:
    todos: list[results.TodoResult]
    sandbox: dict                      # reason, detail, backend, isolation, duration_s of the run
    import_error: str | None = None
    timing: dict = field(default_factory=dict)   # sandbox_s, import_s, checks_s

    @property
    def implemented(self) -> list[results.TodoResult]:
        return [t for t in self.todos if t.status != "not_started"]

    @property
    def all_pass(self) -> bool:
        return bool(self.implemented) and all(t.status == "passed" for t in self.implemented)

    def to_dict(self) -> dict:
        return {"todos": [t.to_dict() for t in self.todos], "sandbox": self.sandbox,
                "import_error": self.import_error, "timing": self.timing}


HARNESS_FILES = ("check_harness.py", "check_worker.py", "check_values.py")


def _harness_dir() -> Path:
    import sandbox

    return Path(sandbox.__file__).resolve().parent


def _stage(lab_dir: Path, into: Path) -> None:
    """Copy the lab's regular files and subfolders (data/, say) into ``into``: no links followed,
    no dotfiles, runs/ and caches skipped, depth, file count and sizes bounded (an oversized file
    is left out). fdtree opens every folder and file below the lab folder relative to its
    parent's descriptor, so a name swapped for a link (or a FIFO) after the listing is refused,
    never followed or waited on."""
    try:
        top = os.open(lab_dir, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise CheckInputError(f"cannot read {lab_dir} ({exc.strerror})") from exc
    try:
        target = os.open(into, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fdtree.copy_tree(top, target, max_bytes=TOTAL_MAX_BYTES, max_files=MAX_FILES,
                             max_file_bytes=FILE_MAX_BYTES, skip_top=frozenset({STAGE_DIR}),
                             skip_any=frozenset(SKIP_DIRS), skip_hidden=True, max_depth=MAX_DEPTH)
        finally:
            os.close(target)
    except OSError as exc:
        raise CheckInputError(f"cannot read the lab folder ({exc.strerror or exc})") from exc
    finally:
        os.close(top)
    starter = into / "starter.py"
    if not starter.is_file():
        raise CheckInputError(f"{lab_dir} has no starter.py (a regular file) to check")


def _spec(checks: ChecksFile, names: list[str], code: str | None, nonce: str) -> dict:
    todos = []
    for todo in checks.todos:
        if todo.name not in names:
            continue
        todos.append({"name": todo.name, "checks": [
            {"id": c.id, "call": c.call, "expect": c.expect, "property": c.property, "setup": c.setup,
             "tol": c.tol, "reveal": c.reveal, "timeout_s": c.timeout_s or checks.timeout_s}
            for c in todo.checks]})
    return {"nonce": nonce, "starter": "starter.py", "extra_code": code, "setup": checks.setup, "todos": todos,
            "judge_starter": _course_starter_source(checks)}


def _course_starter_source(checks: ChecksFile) -> str | None:
    """The course's own starter.py (trusted: it ships with the checks), whose names the judge
    gives expect and property; None when the checks came from nowhere on disk."""
    path = checks.course_starter
    try:
        return path.read_text(encoding="utf-8") if path is not None else None
    except (OSError, UnicodeDecodeError):
        return None


def evaluate(lab_dir: Path, checks: ChecksFile, *, code: str | None = None, todo: str | None = None,
             backend: str = "auto", timeout_s: float | None = None, memory_mb: int = 4096,
             scheduler: str = "local", slurm=None) -> Evaluation:
    """Run the checks (of one TODO, or all) on ``lab_dir``'s starter.py, with ``code`` (a pasted
    function, say) executed into its namespace first. ``scheduler``/``slurm``: see sandbox.run."""
    import sandbox
    from sandbox import locked_dirs

    if code is not None and len(code) > CODE_MAX_CHARS:
        raise CheckInputError(f"the code to check is over {CODE_MAX_CHARS} characters")
    names = [t for t in checks.names if todo is None or t == todo]
    if todo is not None and not names:
        raise CheckInputError(f"this lab has no TODO {todo!r} with checks; it has {', '.join(checks.names)}")
    nonce = "TUTOR-CHECK-" + secrets.token_hex(16) + ":"
    spec = _spec(checks, names, code, nonce)
    per_check = sum(len(t["checks"]) for t in spec["todos"]) * checks.timeout_s
    limit = timeout_s or min(600.0, 60.0 + per_check + sum(
        (c["timeout_s"] or 0) for t in spec["todos"] for c in t["checks"]))
    # Held locked while the check lives: a SIGKILLed check's folder is removed by a later check.
    with locked_dirs.held(SCRATCH_PREFIX) as scratch:
        stage = scratch / "lab"
        stage.mkdir()
        _stage(Path(lab_dir), stage)
        (stage / STAGE_DIR).mkdir()
        for name in HARNESS_FILES:
            shutil.copyfile(_harness_dir() / name, stage / STAGE_DIR / name)
        (stage / STAGE_DIR / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        for path in (stage / STAGE_DIR, stage / STAGE_DIR / "spec.json"):
            path.chmod(path.stat().st_mode | stat.S_IWOTH | stat.S_IROTH | stat.S_IXOTH)  # the run's uid deletes it
        started = time.perf_counter()
        record = sandbox.run(stage, ["python", "-I", "-B", f"{STAGE_DIR}/check_harness.py", f"{STAGE_DIR}/spec.json"],
                             sandbox.Limits(timeout_s=limit, memory_mb=memory_mb), runs_dir=scratch / "runs",
                             backend=backend, scheduler=scheduler, slurm=slurm)
        sandbox_s = time.perf_counter() - started
        stdout = _read_bounded(record.logs.get("stdout"))
    info = {"reason": record.reason, "detail": record.detail, "backend": record.backend,
            "isolation": record.isolation.get("level"), "duration_s": record.duration_s,
            "limit_hit": record.limit_hit, **({"scheduler": record.scheduler} if record.scheduler else {})}
    raw = results.find_result(stdout, nonce)
    if raw is not None:
        info["judge"] = "protected" if raw.get("judge_protected") else "unprotected"
    timing = {"sandbox_s": round(sandbox_s, 4)}
    if raw is None:
        return Evaluation(results.unfinished(checks, names, record), info, timing=timing)
    timing.update(raw.get("timing", {}))
    todos = [results.todo_result(checks.todo(n), raw["checks"].get(n)) for n in names]
    return Evaluation(todos, info, raw.get("import_error"), timing)


def _read_bounded(path: str | None) -> str:
    if not path:
        return ""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        handle.seek(max(0, size - RESULT_MAX_BYTES))
        return handle.read(RESULT_MAX_BYTES).decode("utf-8", "replace")
