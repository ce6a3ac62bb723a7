"""run(): execute a lab command in the sandbox and leave runs/<run_id>/run.json behind."""

from __future__ import annotations

import os
import resource
import secrets
import shutil
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
from sandbox.workspace import Workspace, chown_tree, copy_outputs, drop_links, tree_bytes

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
    run_dir = (Path(runs_dir).resolve() if runs_dir else lab / "runs") / run_id
    try:
        run_dir.mkdir(parents=True)
    except OSError as exc:
        raise SandboxError(f"cannot write the run record under {run_dir.parent} ({exc.strerror}); "
                           "pass a writable runs_dir") from exc
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
    inner_run_dir = run_dir
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
        chain = _launch(plan, limits, gpu, run_cgroups, logs, on_output)
        if workspace.sandbox_tmpfs:
            chain, plan = _attach_tmpfs(chain, plan, replan, workspace, limits, gpu, run_cgroups, logs, on_output)
        _watch(chain)
        plan.mechanisms.update(run_plan.limit_mechanisms(limits, gpu, cgroups, plan, workspace, in_place))
        record.cwd, record.mechanisms, record.isolation = plan.lab_cwd, plan.mechanisms, plan.isolation
        record.network, record.env_keys = plan.network, sorted(plan.env)
        if plan.network_detail:
            record.isolation["network_detail"] = plan.network_detail
        if not in_place:
            try:
                workspace.copy_lab(lab, dropped_uid)
            except (OSError, shutil.Error) as exc:
                record.reason = "error"
                record.detail = (f"the lab folder could not be copied into the {limits.disk_mb} MiB scratch "
                                 f"space ({_first_line(exc)}); raise the disk limit or run in place")
                return _finish(record, run_dir, started, run_dir)
        lab_access = lab if in_place else workspace.lab_access     # the runner reaches it this way
        inner_run_dir = lab_access / "runs" / run_id
        inner_run_dir.mkdir(parents=True, exist_ok=True)
        if dropped_uid is not None:
            # In place, only the run's own directory becomes the lab's; the learner's runs/ stays theirs.
            for path in ([inner_run_dir] if in_place else [inner_run_dir.parent, inner_run_dir]):
                os.lchown(path, dropped_uid, dropped_uid)

        if gpu:
            record.gpu = gpu_support.nvml_facts() or {"error": "NVML not available on this host"}
            problem = _cuda_preflight(plan, limits)
            if problem:
                record.reason, record.detail = "error", problem
                return _finish(record, run_dir, started, inner_run_dir)

        _execute(record, plan, chain, runner_peak, limits, gpu, cgroups, logs, workspace,
                 lab if in_place else None, stop)
        if in_place:
            drop_links(inner_run_dir)  # the run folder stays in the learner's folder: no planted links
        if in_place and dropped_uid is not None:
            owner = lab.stat()
            chown_tree(inner_run_dir, owner.st_uid, owner.st_gid)  # hand the outputs back to the learner
        return _finish(record, run_dir, started, inner_run_dir)
    except Exception as exc:  # the sandbox itself failed: still leave a record saying so
        record.reason, record.detail = "error", f"sandbox failure: {type(exc).__name__}: {_first_line(exc)}"
        return _finish(record, run_dir, started, inner_run_dir)
    finally:
        if chain:
            chain.abandon()   # a chain never released exits unrun
        if route:
            route.stop()
        if cgroups:
            cgroups.kill_all(deadline_s=1.0)
            cgroups.remove()
        if workspace:
            workspace.cleanup()


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


def _launch(plan: Plan, limits, gpu, run_cgroups, logs, on_output) -> launch.Chain:
    """Start the chain; make the run's cgroups (``run_cgroups()``) meanwhile and let it join them
    at its first gate; start draining its output."""
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
            StreamCapture("stdout", chain.proc.stdout, logs["stdout"], limits.output_bytes, on_output, preamble),
            StreamCapture("stderr", chain.proc.stderr, logs["stderr"], limits.output_bytes, on_output)])
    except BaseException:
        chain.abandon()
        raise
    return chain


def _attach_tmpfs(chain: launch.Chain, plan: Plan, replan, workspace, limits, gpu, run_cgroups, logs,
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
    return _launch(plan, limits, gpu, run_cgroups, logs, on_output), plan


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
    disk_watch = None
    if not workspace.mounted:
        target = in_place_lab or workspace.lab_access
        baseline = tree_bytes(target)
        disk_watch = lambda: tree_bytes(target) - baseline  # noqa: E731
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
    outcome = supervisor.wait()
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
    classify(record, outcome, proc.returncode, plan.backend, cgroups, logs["stderr"], gpu)
    if record.limit_hit is None and workspace.full():
        # The lab may catch ENOSPC and go on (or exit 0): the filled scratch still says which limit hit.
        record.limit_hit = "disk"
        record.detail = "; ".join(filter(None, [record.detail, f"the {limits.disk_mb} MiB scratch space "
                                                "(or its inode limit) filled up"]))


def _finish(record: RunRecord, run_dir: Path, started: float, inner_run_dir: Path) -> RunRecord:
    if inner_run_dir.resolve() != run_dir.resolve():
        _, left = copy_outputs(inner_run_dir, run_dir)
        if left:
            record.detail = "; ".join(filter(None, [record.detail, left]))
    record.metrics = _read_metrics(run_dir)
    record.ended_at = _now()
    record.duration_s = round(time.monotonic() - started, 4)
    record.write(run_dir / "run.json")
    return record


def _read_metrics(run_dir: Path) -> dict | None:
    """metrics.json as the lab left it: never through a link, bounded in size and depth."""
    try:
        dir_fd = safe_files.open_dir(run_dir)
    except OSError:
        return None
    try:
        data, too_big = safe_files.read_capped(dir_fd, "metrics.json", METRICS_MAX_BYTES)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return {"_error": f"metrics.json not read: {_first_line(exc)}"}
    finally:
        os.close(dir_fd)
    if too_big:
        return {"_error": f"metrics.json is larger than {METRICS_MAX_BYTES} bytes; not read"}
    value, problem = safe_files.load_json(data)
    if problem:
        return {"_error": f"metrics.json is {problem}"}
    return value


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")

