"""One lab run as one Slurm job: the same runner, on a node, through a shared directory.

JOB_DIR = <shared_dir>/tutor-run-<id>/ holds lab/ (the copy), spec.json, job.sh, the job's
stdout/stderr (streamed back while it runs) and runs/<run_id>/ (the runner's record). When the
job ends, the run directory is copied back (bounded, never through a link) to the runs dir the
local backend would use, the record gains `scheduler` (job id, node, queue wait) and, when Slurm
itself ended the job, a `reason` that says so; JOB_DIR is then removed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import signal
import sys
import threading
import time
from pathlib import Path

from sandbox import fdtree, host, safe_files
from sandbox.capture import OnOutput
from sandbox.limits import Limits
from sandbox.record import RunRecord
from sandbox.runner import SandboxError, _now, checked_input, choose_backend, new_run_id, open_run_dir
from sandbox.slurm import commands
from sandbox.slurm.commands import JobInfo, SlurmError
from sandbox.slurm.options import HEARTBEAT, STARTED, SlurmOptions
from sandbox.workspace import copy_lab_tree, copy_outputs

NOT_SHARED_EXIT = 86        # job.sh's exit status when the node does not see JOB_DIR
RECORD_MAX_BYTES = 32 * 2**20   # the node's run.json (metrics.json is at most 4 MiB of it)
RUN_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,99}")   # a run id that is one plain folder name
CANCEL_WAIT_S = 60.0        # after scancel, how long to wait for the job to end


def shared_dir_problem(options: SlurmOptions) -> str | None:
    if not options.shared_dir:
        return ("slurm backend needs a shared directory: set TUTOR_SLURM_SHARED_DIR (config slurm_shared_dir) "
                "to a folder this machine and the nodes both see")
    path = Path(options.shared_dir)
    if not path.is_dir():
        return f"the Slurm shared directory {path} does not exist here; create it on the shared filesystem"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"the Slurm shared directory {path} is not writable here"
    return None


def job_script(job_dir: Path) -> str:
    """What the node runs: check it sees JOB_DIR, then the runner (PYTHONPATH: this sandbox)."""
    package_root = Path(__file__).resolve().parents[2]
    spec = job_dir / "spec.json"
    return "\n".join([
        "#!/bin/sh",
        f"if [ ! -r {shlex.quote(str(spec))} ]; then",
        f"  echo \"tutor: node $(hostname) does not see the shared directory {shlex.quote(str(job_dir.parent))}\" >&2",
        f"  exit {NOT_SHARED_EXIT}",
        "fi",
        "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        f"export PYTHONPATH={shlex.quote(str(package_root))}",
        f"exec {shlex.quote(host.real_python())} -m sandbox.slurm.inner {shlex.quote(str(spec))}",
        ""])


def sbatch_args(options: SlurmOptions, limits: Limits, gpu: bool, job_dir: Path, name: str) -> list[str]:
    args = [f"--job-name={name}", f"--output={job_dir / 'stdout'}", f"--error={job_dir / 'stderr'}",
            f"--chdir={job_dir}", f"--time={options.time_minutes(limits.timeout_s)}",
            f"--mem={limits.memory_mb + options.memory_margin_mb}M", f"--cpus-per-task={options.cpus}",
            "--ntasks=1", "--nodes=1", "--export=NONE", "--no-requeue", *options.placement_args()]
    if gpu:
        args.append(f"--gres=gpu:{options.gpus}")
    return args


class _Tail:
    """Reads what the job wrote to one of its log files since the last call."""

    def __init__(self, name: str, path: Path, on_output: OnOutput | None):
        self.name, self.path, self.on_output, self.offset = name, path, on_output, 0

    def poll(self) -> None:
        if self.on_output is None:
            return
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read(1 << 20)
        except OSError:
            return
        if chunk:
            self.offset += len(chunk)
            try:
                self.on_output(self.name, chunk.decode("utf-8", "replace"))
            except Exception:
                self.on_output = None


def run_job(lab_dir, command: list[str], limits: Limits | None = None, gpu: bool = False, network: str = "none",
            *, in_place: bool = False, seed: int | None = None, runs_dir=None, on_output: OnOutput | None = None,
            backend: str = "auto", model_url: str | None = None, model_name: str | None = None, stop=None,
            options: SlurmOptions | None = None) -> RunRecord:
    """sandbox.run's contract, on Slurm: same exit reasons and record, plus record.scheduler."""
    options = options or SlurmOptions.from_env()
    lab = checked_input(lab_dir, command, network)
    if in_place:
        raise SandboxError("--in-place cannot run on Slurm: the node runs a copy from the shared directory")
    problem = shared_dir_problem(options)
    if problem:
        raise SandboxError(problem)
    missing = commands.missing_tools()
    if missing:
        raise SandboxError(f"slurm backend: {', '.join(missing)} not found on PATH; install Slurm's "
                           "client tools or use the local backend")
    limits = limits or Limits()
    backend = "bubblewrap" if backend == "bwrap" else backend
    if backend not in ("auto", "bubblewrap", "process"):
        choose_backend(backend)  # raises the one-line error for an unknown name
    token = new_run_id()
    job_dir = Path(options.shared_dir).resolve() / f"tutor-run-{token}"
    job_dir.mkdir(mode=0o700)
    try:
        return _run(job_dir, lab, list(command), limits, gpu, network, seed, runs_dir, on_output, backend,
                    model_url, model_name, stop, options)
    finally:
        _remove(job_dir)


def _remove(job_dir: Path) -> None:
    """JOB_DIR and all in it, at any depth (shutil.rmtree recurses), never following a link."""
    try:
        parent = safe_files.open_dir(job_dir.parent)
    except OSError:
        return
    try:
        fdtree.remove_tree(parent, job_dir.name)
    finally:
        os.close(parent)


def _run(job_dir, lab, command, limits, gpu, network, seed, runs_dir, on_output, backend, model_url, model_name,
         stop, options) -> RunRecord:
    seed = 0 if seed is None else int(seed)
    model_url = model_url or os.environ.get("SANDBOX_MODEL_URL") or os.environ.get("OPENAI_BASE_URL")
    model_name = model_name or os.environ.get("SANDBOX_MODEL_NAME") or os.environ.get("LAB_MODEL")
    local_runs = Path(runs_dir).resolve() if runs_dir else lab / "runs"
    try:  # counted at the files' full sizes before each is copied: a sparse file is no way round it
        copy_lab_tree(lab, job_dir / "lab", max_bytes=limits.disk_mb * 2**20)
    except fdtree.TooBig as exc:
        raise SandboxError(f"the lab folder is larger than the {limits.disk_mb} MiB disk limit ({exc})") from exc
    except OSError as exc:
        raise SandboxError(f"the lab could not be copied into the shared directory ({exc})") from exc
    spec = {"command": command, "limits": dataclasses.asdict(limits), "gpu": gpu, "network": network,
            "seed": seed, "backend": backend, "model_url": model_url, "model_name": model_name,
            "heartbeat_s": options.heartbeat_s}
    (job_dir / "spec.json").write_text(json.dumps(spec))
    script = job_dir / "job.sh"
    script.write_text(job_script(job_dir))
    script.chmod(0o700)
    (job_dir / HEARTBEAT).touch()
    submitted_at, started_mono = time.time(), time.monotonic()
    args = sbatch_args(options, limits, gpu, job_dir, "tutor-run")
    try:
        job_id = commands.sbatch(args, str(script))
    except SlurmError as exc:
        raise SandboxError(str(exc)) from exc
    info, note, interrupted = _follow(job_id, job_dir, on_output, stop, options)
    record, dest_fd = _collect(job_dir, lab, command, limits, network, seed, backend, local_runs, bool(runs_dir))
    try:
        _describe(record, job_id, info, note, interrupted, job_dir, args, submitted_at, started_mono, options)
        record.write(Path(record.run_dir) / "run.json", dir_fd=dest_fd)
    finally:
        os.close(dest_fd)
    return record


def _describe(record, job_id, info, note, interrupted, job_dir, args, submitted_at, started_mono, options) -> None:
    started = _started(job_dir)
    record.scheduler = {
        "kind": "slurm", "job_id": job_id, "node": (info.node if info else "") or started.get("node", ""),
        "state": info.state if info else "UNKNOWN", "slurm_exit_code": info.exit_code if info else None,
        "queue_wait_s": info.queue_wait_s if info else None,
        "submit_to_start_s": round(started["at"] - submitted_at, 3) if "at" in started else None,
        "partition": options.partition, "account": options.account, "qos": options.qos,
        "state_from": info.source if info else None, "note": note,
        "sbatch": [a for a in args if not a.startswith(("--output", "--error", "--chdir"))]}
    _apply_slurm_end(record, info, started, interrupted, job_dir)
    record.duration_s = round(time.monotonic() - started_mono, 4) if not record.duration_s else record.duration_s


def _follow(job_id: str, job_dir: Path, on_output, stop, options) -> tuple[JobInfo | None, str, bool]:
    """Stream the job's logs until it ends; Ctrl-C, SIGTERM or `stop` cancel it (scancel)."""
    tails = [_Tail("stdout", job_dir / "stdout", on_output), _Tail("stderr", job_dir / "stderr", on_output)]
    term = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: term.set())
    interrupted, cancel_deadline, info, note = False, None, None, ""
    try:
        while True:
            try:
                for tail in tails:
                    tail.poll()
                os.utime(job_dir / HEARTBEAT)
                info, note = commands.job_info(job_id)
                if info is None or info.done:
                    break
                if not interrupted and ((stop is not None and stop.is_set()) or term.is_set()):
                    raise KeyboardInterrupt
                if cancel_deadline and time.monotonic() > cancel_deadline:
                    note = f"job {job_id} did not end within {CANCEL_WAIT_S:.0f} s of scancel"
                    break
                time.sleep(options.poll_s)
            except KeyboardInterrupt:
                if interrupted:
                    continue
                interrupted, cancel_deadline = True, time.monotonic() + CANCEL_WAIT_S
                commands.scancel(job_id)
        for tail in tails:
            tail.poll()
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return info, note, interrupted


def _started(job_dir: Path) -> dict:
    try:
        return json.loads((job_dir / STARTED).read_text())
    except (OSError, ValueError):
        return {}


def _collect(job_dir, lab, command, limits, network, seed, backend, local_runs, parents) -> tuple[RunRecord, int]:
    """The runner's record from the node, its run directory copied back; or, when the job never
    got that far, a record made here. Everything through descriptors: the local runs dir may be
    the learner's. (record, descriptor of its new local run folder)."""
    inner, record = _node_run(job_dir)
    if record is None:
        record = RunRecord(run_id=new_run_id(), command=command, lab_dir=str(lab), cwd="", run_dir="", seed=seed,
                           limits=limits.to_dict(), backend=backend, mechanisms={}, isolation={}, network=network,
                           versions=host.versions(), gpu=None, started_at=_now(), ended_at=_now())
        record.detail = "the job ended without a run record"
    if not isinstance(record.run_id, str) or not RUN_ID.fullmatch(record.run_id):
        record.run_id = new_run_id()   # it names a folder here: one plain name, never a path
    try:
        dest_fd = open_run_dir(local_runs, record.run_id, parents)
        if inner is not None:
            _, left = copy_outputs(inner, dest_fd)
            record.detail = "; ".join(filter(None, [record.detail, left]))
    finally:
        if inner is not None:
            os.close(inner)
    dest = local_runs / record.run_id
    record.lab_dir, record.run_dir = str(lab), str(dest)
    record.logs = {name: str(dest / f"{name}.log") for name in ("stdout", "stderr") if _is_file(dest_fd, f"{name}.log")}
    return record, dest_fd


def _node_run(job_dir: Path) -> tuple[int | None, RunRecord | None]:
    """The node runner's run folder in JOB_DIR/runs (a descriptor; None: there is none) and its
    record (None: unreadable)."""
    try:
        runs = safe_files.open_dir(job_dir / "runs")
    except OSError:
        return None, None
    try:
        for name in sorted(e.name for e in os.scandir(runs) if e.is_dir(follow_symlinks=False)):
            try:
                folder = safe_files.open_subdir(runs, name)
            except OSError:
                continue
            try:
                data, too_big = safe_files.read_capped(folder, "run.json", RECORD_MAX_BYTES)
            except OSError:
                os.close(folder)
                continue
            value, problem = safe_files.load_json(data, max_depth=safe_files.JSON_MAX_DEPTH + 2)
            try:
                record = RunRecord.from_dict(value) if not (too_big or problem) and isinstance(value, dict) else None
            except TypeError:
                record = None
            return folder, record
    finally:
        os.close(runs)
    return None, None


def _is_file(dir_fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return False
    return True


def _apply_slurm_end(record: RunRecord, info: JobInfo | None, started: dict, interrupted: bool, job_dir) -> None:
    slurm_end = commands.slurm_reason(info)
    if interrupted:
        record.reason, record.limit_hit = "killed", None
        record.detail = "stopped by the user (interrupt); the Slurm job was cancelled (scancel)"
        return
    if slurm_end:  # Slurm ended it: that is the truth, whatever the runner wrote on its SIGTERM
        record.reason, record.limit_hit, detail = slurm_end
        record.detail = f"{detail} (state {info.state}, job {info.job_id})"
        return
    if info is not None and info.exit_code == NOT_SHARED_EXIT and not started:
        record.reason = "error"
        record.detail = (f"node {info.node or '?'} does not see the shared directory {job_dir.parent}: "
                         "set TUTOR_SLURM_SHARED_DIR to a folder mounted on the nodes at the same path")
    elif not started and record.detail == "the job ended without a run record":
        state = info.state if info else "unknown"
        record.reason = "error"
        record.detail = (f"the Slurm job ended ({state}) before the runner started on the node; is "
                         f"{job_dir.parent} shared with the nodes? (job log: {_last_line(job_dir / 'stderr')})")


def _last_line(path: Path) -> str:
    try:
        return (path.read_text(errors="replace").strip().splitlines() or ["empty"])[-1][:200]
    except OSError:
        return "none"
