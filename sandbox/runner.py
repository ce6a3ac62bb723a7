"""run(): execute a lab command in the sandbox and leave runs/<run_id>/run.json behind."""

from __future__ import annotations

import os
import resource
import secrets
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

from sandbox import gpu as gpu_support
from sandbox import host, launch, reaper, run_plan, safe_files
from sandbox.capture import OnOutput, StreamCapture
from sandbox.cgroups import RunCgroups, group_name
from sandbox.limits import Limits
from sandbox.model_route import ModelRoute
from sandbox.outcome import classify
from sandbox.record import RunRecord
from sandbox.run_plan import RUN_MEMORY_WATCHDOG, Plan  # noqa: F401  (RUN_MEMORY_WATCHDOG: re-exported)
from sandbox.supervise import Supervisor
from sandbox.userns import RUN_UID_BASE, RUN_UID_SPAN  # a uid for one run alone, far above real accounts
from sandbox.workspace import DiskWatch, Workspace, copy_outputs, hand_back, make_run_folder

BACKENDS = ("auto", "bubblewrap", "process")
SCHEDULERS = ("local", "slurm")   # where the runner runs: here, or as a Slurm job
NETWORKS = ("none", "model")
METRICS_MAX_BYTES = 4 * 2**20
CHAIN_READY_S = 60.0   # bubblewrap builds a sandbox in ~10 ms; this only bounds a hung one


class SandboxError(Exception):
    """Bad input to run() (missing lab, empty command, unknown option): nothing was started."""


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def choose_backend(requested: str) -> str:
    if requested not in BACKENDS + ("bwrap",):
        raise SandboxError(f"unknown backend {requested!r}; use one of {', '.join(BACKENDS)}")
    requested = "bubblewrap" if requested == "bwrap" else requested
    if requested == "auto":
        return "bubblewrap" if host.bwrap_problem() is None else "process"
    if requested == "bubblewrap" and host.bwrap_problem():
        raise SandboxError(f"bubblewrap backend unavailable: {host.bwrap_problem()}")
    return requested


def run(lab_dir, command: list[str], limits: Limits | None = None, gpu: bool = False,
        network: str = "none", *, in_place: bool = False, seed: int | None = None,
        runs_dir=None, on_output: OnOutput | None = None, backend: str = "auto",
        model_url: str | None = None, model_name: str | None = None, stop=None,
        scheduler: str = "local", slurm=None) -> RunRecord:
    """``stop``: a ``threading.Event``; once set, the run is ended as if interrupted (Ctrl-C),
    still with a record. A runner on a thread other than the main one has no Ctrl-C.
    ``scheduler``: local (here) or slurm (this runner as a Slurm job; ``slurm``: SlurmOptions)."""
    if scheduler == "slurm":
        from sandbox.slurm import run_job
        return run_job(lab_dir, command, limits, gpu, network, in_place=in_place, seed=seed, runs_dir=runs_dir,
                       on_output=on_output, backend=backend, model_url=model_url, model_name=model_name,
                       stop=stop, options=slurm)
    if scheduler != "local":
        raise SandboxError(f"unknown run backend {scheduler!r}; use local or slurm")
    lab = checked_input(lab_dir, command, network)
    limits = limits or Limits()
    backend = choose_backend(backend)
    seed = 0 if seed is None else int(seed)
    run_id = new_run_id()
    runs_root = Path(runs_dir).resolve() if runs_dir else lab / "runs"
    run_dir = runs_root / run_id
    run_fd = open_run_dir(runs_root, run_id, parents=bool(runs_dir))
    model_url = model_url or os.environ.get("SANDBOX_MODEL_URL") or os.environ.get("OPENAI_BASE_URL")
    model_name = model_name or os.environ.get("SANDBOX_MODEL_NAME") or os.environ.get("LAB_MODEL")

    record = RunRecord(run_id=run_id, command=list(command), lab_dir=str(lab), cwd="", run_dir=str(run_dir),
                       seed=seed, limits=limits.to_dict(), backend=backend, mechanisms={}, isolation={},
                       network=network, versions=host.versions(), gpu=None, started_at=_now())
    started = time.monotonic()
    dropped_uid = _run_uid(backend)
    workspace: Workspace | None = None
    # A uid of its own already caps and finds every process of a bubblewrap run (RLIMIT_NPROC
    # counts per uid), so no pids cgroup then. Memory always gets a group of the run's own where
    # one can be made: the limit holds for the whole tree, enforced by the kernel.
    own_uid = backend == "bubblewrap" and dropped_uid is not None
    cgroups: RunCgroups | None = None

    def run_cgroups() -> RunCgroups:
        """Made while the chain starts (it waits for them at its first gate), once a run."""
        nonlocal cgroups
        if cgroups is None:
            cgroups = RunCgroups.create(group_name(run_id), None if own_uid else limits.max_procs,
                                        limits.memory_mb * 2**20)
        return cgroups

    route: ModelRoute | None = None
    chain: launch.Chain | None = None
    inner_fd: int | None = None     # in place: the lab's own runs/<id> (run_dir's unless a runs_dir is named)
    outputs = None                  # opens the lab's run folder for the copy back, once it has one
    try:
        workspace = Workspace.create(limits.disk_mb, dropped_uid, with_lab=not in_place,
                                     own_namespace=backend == "bubblewrap")
        if network == "model" and model_url and backend == "bubblewrap":
            route = ModelRoute(model_url, workspace.bridge())
            route.start()

        def replan() -> Plan:
            lab_host = lab if in_place else workspace.lab      # the sandbox's /lab (a bind, or its tmpfs)
            return run_plan.build(backend, lab_host, lab_host / "runs" / run_id, list(command), limits, gpu, network,
                                  route, model_url, model_name, seed, dropped_uid, workspace, run_id)

        logs = {name: run_dir / f"{name}.log" for name in ("stdout", "stderr")}
        # Linux carries the forking process's peak RSS into the child's ru_maxrss across exec, so
        # wait4's figure is the lab's own only where it exceeds the runner's peak at spawn time.
        runner_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        # The chain starts now and builds the sandbox while the runner goes on; it waits at its
        # last gate. With a scratch tmpfs, the runner has given it its limits once this returns.
        plan = replan()
        chain = _launch(plan, limits, gpu, run_cgroups, (run_fd, logs), on_output)
        if workspace.sandbox_tmpfs:
            chain, plan = _attach_tmpfs(chain, plan, replan, workspace, limits, gpu, run_cgroups, (run_fd, logs),
                                        on_output)
        _watch(chain)
        plan.mechanisms.update(run_plan.limit_mechanisms(limits, gpu, cgroups, plan, workspace, in_place))
        record.cwd, record.mechanisms, record.isolation = plan.lab_cwd, plan.mechanisms, plan.isolation
        record.network, record.env_keys = plan.network, sorted(plan.env)
        if plan.network_detail:
            record.isolation["network_detail"] = plan.network_detail
        if not in_place:
            try:
                workspace.copy_lab(lab, dropped_uid, limits.disk_mb * 2**20)
            except OSError as exc:
                record.reason = "error"
                record.detail = (f"the lab folder could not be copied into the {limits.disk_mb} MiB scratch "
                                 f"space ({_first_line(exc)}); raise the disk limit or run in place")
                return _finish(record, run_fd, started)
            workspace.make_run_dir(run_id, dropped_uid)
            outputs = lambda: workspace.open_run_dir(run_id)  # noqa: E731  (as the lab left it, links refused)
        else:
            # In place, only the run's own directory becomes the lab's; the learner's runs/ stays theirs.
            inner_fd = open_run_dir(lab / "runs", run_id) if runs_dir else os.dup(run_fd)
            if runs_dir:
                outputs = lambda: os.dup(inner_fd)  # noqa: E731
            if dropped_uid is not None:
                os.fchown(inner_fd, dropped_uid, dropped_uid)

        if gpu:
            record.gpu = gpu_support.nvml_facts() or {"error": "NVML not available on this host"}
            problem = _cuda_preflight(plan, limits)
            if problem:
                record.reason, record.detail = "error", problem
                return _finish(record, run_fd, started, outputs)

        _execute(record, plan, chain, runner_peak, limits, gpu, cgroups, logs, workspace,
                 lab if in_place else None, stop)
        if in_place:
            # The run folder stays in the learner's folder: no planted links, and the outputs are
            # the learner's again; through the descriptor, never a link put at its name.
            record.detail = _joined(record.detail, hand_back(inner_fd, lab.stat() if dropped_uid is not None else None))
        return _finish(record, run_fd, started, outputs)
    except Exception as exc:  # the sandbox itself failed: still leave a record saying so
        record.reason, record.detail = "error", f"sandbox failure: {type(exc).__name__}: {_first_line(exc)}"
        return _finish(record, run_fd, started, outputs)
    finally:
        for fd in (run_fd, inner_fd):
            if fd is not None:
                os.close(fd)
        if chain:
            chain.abandon()   # a chain never released exits unrun
        if route:
            route.stop()
        if cgroups:
            cgroups.kill_all(deadline_s=1.0)
            cgroups.remove()
        if workspace:
            workspace.cleanup()


def open_run_dir(runs_root: Path, run_id: str, parents: bool = False) -> int:
    """workspace.make_run_folder (the run's folder, by descriptor), or a one-line SandboxError."""
    try:
        return make_run_folder(runs_root, run_id, parents)
    except OSError as exc:
        raise SandboxError(f"cannot write the run record under {runs_root} ({exc.strerror or exc}); "
                           "pass a writable runs_dir") from exc


def checked_input(lab_dir, command: list[str], network: str) -> Path:
    """The lab folder, resolved, once the request makes sense; else SandboxError (nothing started)."""
    lab = Path(lab_dir).resolve()
    if not lab.is_dir():
        raise SandboxError(f"lab folder {lab} does not exist")
    if not command:
        raise SandboxError("no command to run; put it after `--`")
    if network not in NETWORKS:
        raise SandboxError(f"unknown network mode {network!r}; use none or model")
    return lab


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _run_uid(backend: str) -> int | None:
    """A uid for this run alone when the runner is root and bubblewrap can drop to it; None means
    'as the invoking user' (the process backend: the Python install may be readable by root only)."""
    if not host.is_root() or backend != "bubblewrap":
        return None
    return RUN_UID_BASE + secrets.randbelow(RUN_UID_SPAN)


def _nproc_limit(plan: Plan, limits: Limits) -> int | None:
    if plan.run_uid is not None:
        # In the runner's user namespace the sandbox's init (bwrap) runs as the run's uid too.
        return limits.max_procs + (1 if plan.userns else 0)
    if not host.is_root():
        from sandbox import proctree
        return len(proctree.pids_of_uid(os.getuid())) + limits.max_procs
    return None


def _cuda_preflight(plan: Plan, limits: Limits) -> str | None:
    argv, fds = launch.hidden_options(plan.prefix + [host.real_python(), "-c", gpu_support.PREFLIGHT],
                                      plan.env["TUTOR_RUN_DIR"], plan.files)
    try:
        done = subprocess.run(launch.with_userns(argv, plan.userns), env=None if plan.backend == "bubblewrap" else plan.env, cwd=plan.cwd,
                              capture_output=True, text=True, timeout=min(120, limits.timeout_s), pass_fds=fds)
    except subprocess.TimeoutExpired:
        return "CUDA pre-flight timed out inside the sandbox"
    finally:
        for fd in fds:
            os.close(fd)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"CUDA is not visible inside the sandbox (pre-flight exit {done.returncode}): {last}"
    return None


def _launch(plan: Plan, limits, gpu, run_cgroups, log_to, on_output) -> launch.Chain:
    """Start the chain; make the run's cgroups (``run_cgroups()``) meanwhile and let it join them
    at its first gate; start draining its output (``log_to``: the run folder's descriptor, and
    {stream: log path} in it)."""
    run_fd, logs = log_to
    argv, fds = launch.hidden_options(plan.argv, plan.env["TUTOR_RUN_DIR"], plan.files)
    gate = launch.gated(argv, limits, gpu, _nproc_limit(plan, limits), plan.userns)
    try:
        chain = launch.spawn(gate, plan.cwd, plan.env if plan.backend == "process" else {}, fds)
    finally:
        for fd in fds:
            os.close(fd)
    try:
        gate.open_first(run_cgroups().join_files())
        preamble = launch.READY if gate.sandboxed else b""
        chain.start_captures([
            StreamCapture("stdout", chain.proc.stdout, logs["stdout"], limits.output_bytes, on_output, preamble, run_fd),
            StreamCapture("stderr", chain.proc.stderr, logs["stderr"], limits.output_bytes, on_output, dir_fd=run_fd)])
    except BaseException:
        chain.abandon()
        raise
    return chain


def _attach_tmpfs(chain: launch.Chain, plan: Plan, replan, workspace, limits, gpu, run_cgroups, log_to,
                  on_output) -> tuple[launch.Chain, Plan]:
    """Once the sandbox is built, reach its scratch tmpfs and give it its limits; where that
    cannot be done, start again with the lab on the host disk, watched."""
    try:
        if not chain.ready(CHAIN_READY_S):
            raise OSError("the sandbox did not get ready")
        workspace.attach(chain.gate.sandbox_pid())
        return chain, plan
    except OSError:
        chain.abandon()
    except BaseException:
        chain.abandon()
        raise
    workspace.use_host_disk()
    plan = replan()
    return _launch(plan, limits, gpu, run_cgroups, log_to, on_output), plan


def _watch(chain: launch.Chain) -> None:
    """Should this process die, the sandbox dies too (sandbox/reaper.py); before the lab starts."""
    if not chain.gate.sandboxed:
        return
    try:
        pid = chain.gate.sandbox_pid()
    except OSError:
        return   # bwrap failed before making a sandbox: there is nothing to watch, the record says why
    reaper.watch(pid)


def _execute(record, plan: Plan, chain: launch.Chain, runner_peak: int, limits, gpu, cgroups, logs,
             workspace, in_place_lab, stop=None) -> None:
    proc = chain.proc
    captures = chain.captures
    chain.release()
    # RLIMIT_AS bounds each process; the run as a whole (fan-out of children) is bounded by its
    # memory cgroup where there is one, else by the run-wide watchdog.
    memory_watchdog = cgroups.mechanism("memory") is None
    disk_watch = None if workspace.mounted else DiskWatch(in_place_lab or workspace.lab)
    supervisor = Supervisor(proc=proc, timeout_s=limits.timeout_s, grace_s=limits.grace_s, cgroups=cgroups,
                            run_uid=plan.run_uid, marker=plan.isolation.get("marker"),
                            spare_root=plan.backend == "bubblewrap",
                            launcher=(host.bwrap_path(), plan.env["TUTOR_RUN_DIR"]) if plan.backend == "bubblewrap" else None,
                            rss_limit_bytes=limits.memory_mb * 2**20 if memory_watchdog else None,
                            disk_limit_bytes=limits.disk_mb * 2**20 if disk_watch else None, disk_usage=disk_watch,
                            stop=stop)
    poller = None
    if gpu:
        poller = gpu_support.GpuMemoryPoller(supervisor.run_pids)
        poller.start()
    try:
        outcome = supervisor.wait()
    finally:
        if disk_watch:
            disk_watch.close()
    for capture in captures:
        capture.join(timeout=5)
    if poller:
        record.peak_gpu_memory_mb, record.mechanisms["gpu_memory_measure"] = poller.stop()
    record.logs = {name: str(path) for name, path in logs.items()}
    record.truncated = {c.stream_name: c.truncated for c in captures}
    record.output_bytes = {c.stream_name: c.total for c in captures}
    record.leftover_processes_killed = outcome.leftovers_killed
    record.peak_processes = max(outcome.peak_processes, cgroups.pids_peak() or 0) or None
    waited = outcome.maxrss_bytes if outcome.maxrss_bytes > runner_peak else 0
    peaks = [waited, outcome.polled_peak_rss, cgroups.memory_peak_bytes() or 0]
    record.peak_rss_mb = round(max(peaks) / 2**20, 1)
    classify(record, outcome, proc.returncode, plan.backend, cgroups,
             "".join(c.tail() for c in captures if c.stream_name == "stderr"), gpu)
    record.detail = _joined(record.detail, disk_watch.note if disk_watch else "")
    if record.limit_hit is None and workspace.full():
        # The lab may catch ENOSPC and go on (or exit 0): the filled scratch still says which limit hit.
        record.limit_hit = "disk"
        record.detail = "; ".join(filter(None, [record.detail, f"the {limits.disk_mb} MiB scratch space "
                                                "(or its inode limit) filled up"]))


def _finish(record: RunRecord, run_fd: int, started: float, outputs=None) -> RunRecord:
    """Copy the lab's outputs back (``outputs()``: a descriptor of its run folder; None: nothing
    to copy), read metrics.json, write run.json: all of it through the run folder's descriptor."""
    if outputs is not None:
        record.detail = _joined(record.detail, _copy_back(outputs, run_fd))
    record.metrics = _read_metrics(run_fd)
    record.ended_at = _now()
    record.duration_s = round(time.monotonic() - started, 4)
    record.write(Path(record.run_dir) / "run.json", dir_fd=run_fd)
    return record


def _copy_back(outputs, run_fd: int) -> str:
    try:
        source = outputs()
    except OSError as exc:
        return f"no output copied back: {_first_line(exc)}"
    try:
        return copy_outputs(source, run_fd)[1]
    finally:
        os.close(source)


def _joined(*notes: str) -> str:
    return "; ".join(filter(None, notes))


def _read_metrics(run_fd: int) -> dict | None:
    """metrics.json as the lab left it: never through a link, bounded in size and depth."""
    try:
        data, too_big = safe_files.read_capped(run_fd, "metrics.json", METRICS_MAX_BYTES)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return {"_error": f"metrics.json not read: {_first_line(exc)}"}
    if too_big:
        return {"_error": f"metrics.json is larger than {METRICS_MAX_BYTES} bytes; not read"}
    value, problem = safe_files.load_json(data)
    if problem:
        return {"_error": f"metrics.json is {problem}"}
    return value


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")

