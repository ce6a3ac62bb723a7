"""`tutor grade --backend slurm`: a batch as one Slurm job array, at most N tasks at once (%N).

BATCH_DIR = <shared_dir>/tutor-grade-<key>/, key = the batch's folders, contents and options, so
the same command run again finds it: subs/<i>/<name> (the copies), manifest.json, logs/, and
reports/<i>.json (written whole by each task, tutor/grading/slurm_task.py). Reports are collected
as they appear: report.json/report.md next to the learner's folder and the progress-store row,
exactly what a local batch writes. Interrupted (Ctrl-C), the array is cancelled and what finished
is kept; run again, stored grades are skipped, reports already in BATCH_DIR are collected, and
an earlier array still running is cancelled first. A task that ends without a report is retried
once in a second array; twice, the folder is reported not gradable with Slurm's reason.
BATCH_DIR is removed only once every report in it has been collected.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

from sandbox.slurm import SlurmError, commands
from sandbox.slurm.job import NOT_SHARED_EXIT, shared_dir_problem
from tutor.grading import safe_io
from tutor.grading.grader import not_gradable, write_report
from tutor.grading.slurm_task import report_path

TASK_MODULE = "tutor.grading.slurm_task"
COPY_MAX_BYTES = 512 * 2**20       # a submission larger than this is not copied to the shared directory
GRADE_MEMORY_MB = 4096 + 512


class SlurmBatchError(Exception):
    """The batch cannot go to Slurm at all (no shared directory, sbatch refused): bad setup, exit 2."""


def _copy_submission(source: Path, dest: Path) -> str | None:
    """The folder as it is: links stay links (the grader flags them), only files and folders are
    copied (a FIFO would block the copy), its grading/ output is left out. Every entry is opened
    relative to its folder's descriptor, never followed (safe_io.copy_tree): a learner swapping
    a file for a link meanwhile gets the link copied, not what it points to. None, or why not;
    a copy that fails part-way is removed (a later run would take it for a finished one)."""
    existed = os.path.lexists(dest)
    try:
        safe_io.copy_tree(source, dest, max_bytes=COPY_MAX_BYTES, skip_top=("grading",))
    except (OSError, safe_io.UnsafePath) as exc:
        if not existed and os.path.isdir(dest) and not os.path.islink(dest):
            shutil.rmtree(dest, ignore_errors=True)
        return f"could not be copied to the Slurm shared directory ({str(exc)[:200]})"
    return None


def _batch_key(folders, opened, options: dict) -> str:
    digest = hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode())
    for folder in folders:
        item = opened.get(folder)
        digest.update(f"{Path(folder).absolute()}\0{item[1] if item else ''}\n".encode())
    return digest.hexdigest()[:16]


def _job_script(manifest: Path, task_module: str) -> str:
    import tutor

    root = Path(tutor.__file__).resolve().parents[1]
    return "\n".join([
        "#!/bin/sh",
        f"[ -r {shlex.quote(str(manifest))} ] || {{ echo \"tutor: node $(hostname) does not see "
        f"{shlex.quote(str(manifest.parent))}\" >&2; exit {NOT_SHARED_EXIT}; }}",
        f"export PYTHONPATH={shlex.quote(str(root))}${{PYTHONPATH:+:$PYTHONPATH}}",
        f"exec {shlex.quote(sys.executable)} -m {task_module} {shlex.quote(str(manifest))}", ""])


def _array_spec(indices: list[int], limit: int) -> str:
    return ",".join(str(i) for i in indices) + f"%{max(1, limit)}"


class SlurmGrader:
    """Submits, follows and collects one batch; `collect(index, report)` is the caller's."""

    def __init__(self, options, batch_dir: Path, items: dict[int, dict], minutes: int, on_report, on_failed):
        self.options, self.batch_dir, self.items, self.minutes = options, batch_dir, items, minutes
        self.on_report, self.on_failed = on_report, on_failed
        self.pending: set[int] = set(items)
        self.task_module = TASK_MODULE

    def submit(self, indices: list[int], attempt: int) -> str:
        script = self.batch_dir / "job.sh"
        script.write_text(_job_script(self.batch_dir / "manifest.json", self.task_module))
        script.chmod(0o700)
        logs = self.batch_dir / "logs"
        args = ["--job-name=tutor-grade", f"--array={_array_spec(indices, self.options.array_limit)}",
                f"--output={logs / f'%a.{attempt}.out'}", f"--error={logs / f'%a.{attempt}.err'}",
                f"--chdir={self.batch_dir}", f"--time={self.minutes}", f"--mem={GRADE_MEMORY_MB}M",
                f"--cpus-per-task={self.options.cpus}", "--ntasks=1", "--nodes=1", "--no-requeue",
                "--export=ALL", *self.options.placement_args()]
        job_id = commands.sbatch(args, str(script))
        (self.batch_dir / "state.json").write_text(json.dumps({"job_id": job_id, "attempt": attempt}))
        return job_id

    def sweep(self) -> None:
        for index in sorted(self.pending):
            path = report_path(self.batch_dir, index)
            if path.is_file():
                try:
                    report = json.loads(path.read_text())
                except (OSError, ValueError):
                    continue
                self.pending.discard(index)
                self.on_report(index, report)

    def follow(self, job_id: str) -> dict[int, str]:
        """Collect reports until the array ends; {index: why} of tasks that left none."""
        infos: list = []
        while True:
            self.sweep()
            infos, note = commands.job_infos(job_id)
            if not infos or all(i.done for i in infos):
                break
            time.sleep(max(self.options.poll_s, 1.0))
        self.sweep()
        by_task = {i.array_task: i for i in infos}
        failed = {}
        for index in sorted(self.pending):
            info = by_task.get(str(index))
            failed[index] = _why(info, note if not infos else "")
        return failed

    def run(self) -> None:
        self.sweep()
        attempt, todo = 1, sorted(self.pending)
        while todo:
            job_id = self.submit(todo, attempt)
            try:
                failed = self.follow(job_id)
            except BaseException:
                commands.scancel(job_id)
                self.sweep()
                raise
            if attempt == 2:
                for index, why in failed.items():
                    self.pending.discard(index)
                    self.on_failed(index, why)
                return
            attempt, todo = 2, sorted(failed)


def _why(info, note: str) -> str:
    if info is None:
        return note or "the task left no report and Slurm no longer knows it"
    end = commands.slurm_reason(info)
    if info.exit_code == NOT_SHARED_EXIT:
        return "the node does not see the Slurm shared directory"
    if end:
        return f"{end[2]} (state {info.state})"
    return f"the task ended {info.state} with exit code {info.exit_code} and no report (node {info.node or '?'})"


def cancel_earlier(batch_dir: Path) -> None:
    """An array of an interrupted earlier run still going: cancel it (its reports are kept)."""
    try:
        job_id = json.loads((batch_dir / "state.json").read_text())["job_id"]
    except (OSError, ValueError, KeyError):
        return
    info, _ = commands.job_info(job_id)
    if info is not None and not info.done:
        commands.scancel(job_id)
        for _ in range(60):
            infos, _ = commands.job_infos(job_id)
            if not infos or all(i.done for i in infos):
                break
            time.sleep(0.5)


def grade_on_slurm(folders, opened, same, *, todo, lesson, model, smoke, out, samples, options, minutes,
                   finish, settings: dict | None = None, task_module: str | None = None) -> None:
    """Grade `todo` (folders not reused from the store) as one array. ``finish(folder, report)``
    records each report (files, store, progress) as it comes back."""
    problem = shared_dir_problem(options)
    if problem:
        raise SlurmBatchError(problem)
    missing = commands.missing_tools()
    if missing:
        raise SlurmBatchError(f"slurm backend: {', '.join(missing)} not found on PATH")
    key = _batch_key(folders, opened, {"lesson": lesson, "smoke": smoke, "out": out, "samples": samples,
                                       "judge": getattr(model, "name", None)})
    batch_dir = Path(options.shared_dir).resolve() / f"tutor-grade-{key}"
    (batch_dir / "reports").mkdir(parents=True, exist_ok=True)
    (batch_dir / "logs").mkdir(exist_ok=True)
    cancel_earlier(batch_dir)
    index_of = {folder: i for i, folder in enumerate(folders)}
    items: dict[int, dict] = {}
    for folder in todo:
        i = index_of[folder]
        copy = batch_dir / "subs" / str(i) / folder.name
        if not copy.exists() and not report_path(batch_dir, i).exists():
            why = _copy_submission(folder, copy)
            if why:
                finish(folder, not_gradable(folder, why, out, True, opened[folder][1]))
                continue
        items[i] = {"copy": str(copy), "others": same.get(folder) or []}
    (batch_dir / "manifest.json").write_text(json.dumps(
        {"items": {str(i): item for i, item in items.items()}, "lesson": lesson, "smoke": smoke,
         "samples": samples, "use_judge": model is not None, "settings": settings or {}}))

    def on_report(index: int, report: dict) -> None:
        folder = folders[index]
        report.setdefault("submission", {}).update(name=folder.name, path=str(folder.absolute()))
        write_report(folder, out, report, final=True)
        finish(folder, report)

    def on_failed(index: int, why: str) -> None:
        folder = folders[index]
        finish(folder, not_gradable(folder, f"grading failed twice on Slurm: {why}", out, True, opened[folder][1]))

    grader = SlurmGrader(options, batch_dir, items, minutes, on_report, on_failed)
    grader.task_module = task_module or TASK_MODULE
    try:
        grader.run()
    except SlurmError as exc:
        raise SlurmBatchError(str(exc)) from exc
    shutil.rmtree(batch_dir, ignore_errors=True)   # every report in it is collected
