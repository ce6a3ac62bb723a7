"""What one run executes and how it is isolated: the sandbox's command line, environment and
/etc (a Plan), and the record's account of which mechanism enforced each limit on this host."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import gpu as gpu_support
from sandbox import devdir, host, userns
from sandbox.bwrap_args import BRIDGE_MOUNT, LAB_MOUNT, BwrapSpec, build_argv
from sandbox.cgroups import RunCgroups
from sandbox.env import lab_env
from sandbox.limits import Limits
from sandbox.model_route import INNER_PORT, SOCKET_NAME, inner_base_url

WEAK_ISOLATION = ("process backend: NO filesystem, network or user isolation; the lab runs as the "
                  "invoking user and can read and write whatever that user can. Only rlimits, "
                  "a scrubbed environment and process-tree cleanup apply.")


# The weaker run-wide memory mode, where no memory cgroup can be made for the run: the whole run
# is sampled instead; a burst between two samples can pass the limit briefly.
RUN_MEMORY_WATCHDOG = "WEAKER run-wide watchdog (PSS of all the run's processes, sampled every 0.1 s)"


DEV_NODES = "null, zero, full, random, urandom, tty and a private shm; no /dev/pts (no pseudo-terminals)"


@dataclass
class Plan:
    backend: str
    prefix: list[str]          # the sandbox around the command (empty for the process backend)
    command: list[str]
    cwd: str | None
    lab_cwd: str
    env: dict[str, str]
    run_uid: int | None
    mechanisms: dict[str, str]
    isolation: dict
    network: str
    network_detail: str = ""
    files: dict[str, bytes] = field(default_factory=dict)   # the data behind the prefix's DATA_FD options
    userns: str | None = None  # the user namespace the chain opens at USERNS_FD for bwrap (root runs)

    @property
    def argv(self) -> list[str]:
        return self.prefix + self.command


def build(backend, lab_host: Path, inner_run_dir: Path, command, limits, gpu, network, route,
          model_url, model_name, seed, dropped_uid, workspace, run_id) -> Plan:
    nodes = gpu_support.device_nodes() if gpu else []
    cuda_visible = gpu_support.visible_devices(nodes, os.environ.get("CUDA_VISIBLE_DEVICES")) if gpu else None
    path_dirs = [*host.python_path_dirs(), "/usr/local/bin", "/usr/bin", "/bin"]
    net_state, net_detail, url_for_lab = "none", "", None
    if network == "model":
        if not model_url:
            net_state, net_detail = "model-unavailable", "no model endpoint configured (TUTOR_BASE_URL / SANDBOX_MODEL_URL)"
        elif backend == "process":
            net_state, net_detail, url_for_lab = "host", "process backend cannot narrow the network: the lab has the host's", model_url
        else:
            net_state, url_for_lab = "model", inner_base_url(model_url)

    if backend == "process":
        marker = f"tutor-sandbox-{run_id}"
        env = lab_env(path=":".join(path_dirs), home=str(lab_host), seed=seed, run_dir=str(inner_run_dir),
                      cuda_visible_devices=cuda_visible, model_url=url_for_lab, model_name=model_name,
                      marker=marker)
        command = [resolve_python(command[0], path_dirs)] + command[1:]
        isolation = {"level": "weak", "warning": WEAK_ISOLATION, "filesystem": "none (runs in a scratch copy)"
                     if lab_host == workspace.lab else "none (runs in the lab folder)", "network": "host", "user": "invoking user",
                     "capabilities": "inherited", "marker": marker}
        return Plan("process", [], command, str(lab_host), str(lab_host), env, None, {}, isolation,
                     "host", net_detail or "process backend: the lab has the host's network")

    env = lab_env(path=":".join(path_dirs), home="/tmp", seed=seed, run_dir=f"{LAB_MOUNT}/runs/{run_id}",
                  cuda_visible_devices=cuda_visible, model_url=url_for_lab, model_name=model_name)
    inside_uid = dropped_uid if dropped_uid is not None else os.getuid()
    etc = sandbox_etc(inside_uid, host.ETC_COPIED)
    shared_ns = userns.path() if dropped_uid is not None else None
    command = [resolve_python(command[0], path_dirs)] + command[1:]
    if route:
        command = [host.real_python(), f"{BRIDGE_MOUNT}/inner_bridge.py", f"{BRIDGE_MOUNT}/{SOCKET_NAME}",
                   str(INNER_PORT), "--"] + command
    dev_dir = None if gpu else devdir.path()
    spec = BwrapSpec(bwrap=host.bwrap_path(), lab_host_dir=str(lab_host), command=[], env=env,
                     system_dirs=list(host.SYSTEM_DIRS),
                     python_dirs=list(host.python_prefixes()),
                     etc_files=[f"/etc/{n}" for n in host.ETC_BOUND if os.path.isdir(f"/etc/{n}")],
                     etc_generated=list(etc), drop_to_uid=dropped_uid,
                     userns_fd=userns.USERNS_FD if shared_ns else None, setpriv=host.setpriv_path() or "setpriv",
                     userns_uid=None if host.is_root() else os.getuid(), tmp_mb=limits.tmp_mb,
                     size_option=host.bwrap_supports("--size"), gpu_devices=nodes, show_sys=gpu,
                     bridge_dir=str(route.bridge_dir) if route else None,
                     lab_tmpfs=workspace.sandbox_tmpfs and lab_host == workspace.lab,
                     dev_dir=dev_dir)
    writable = "lab copy" if lab_host == workspace.lab else "run directory of the lab, in place"
    isolation = {"level": "strong", "filesystem": f"read-only system; writable {writable} and private /tmp",
                 "network": "none" if net_state != "model" else "model endpoint only, via a Unix socket",
                 "user": _user_isolation(dropped_uid, shared_ns),
                 "capabilities": "all dropped", "namespaces": "pid, net, ipc, uts, cgroup, mount",
                 "hidden": "home directories, /root, /etc/shadow, host processes",
                 "dev": DEV_NODES if dev_dir else "bubblewrap's /dev (with /dev/pts)"}
    return Plan("bubblewrap", build_argv(spec), command, None, LAB_MOUNT, env, dropped_uid, {}, isolation,
                 net_state, net_detail, files=etc, userns=shared_ns)


def _user_isolation(dropped_uid: int | None, shared_ns: str | None) -> str:
    if dropped_uid is None:
        return "user namespace"
    if shared_ns:
        return f"uid {dropped_uid} in a user namespace (bubblewrap switched; host root shows as nobody)"
    return f"uid {dropped_uid} (setpriv; no user namespace: {userns.problem()})"


# Only the sandbox's own files answer who is who: the host's NSS modules (systemd, sss, ldap,
# db) have no socket or database in here, and loading them costs each lookup (setpriv makes
# two) about 0.3 ms.
NSSWITCH = (b"passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n"
            b"protocols: files\nservices: files\n")


def sandbox_etc(uid: int, copied: tuple[str, ...]) -> dict[str, bytes]:
    """The generated files of the sandbox's /etc: passwd/group naming the lab's uid (getpass and
    friends work, no host accounts are shown), an nsswitch.conf that asks those files only, and
    copies of the few host files programs need to start (a host entry that is not a regular
    file is left out)."""
    files = {"passwd": (f"root:x:0:0::/root:/usr/sbin/nologin\n"
                        f"lab:x:{uid}:{uid}:lab:/tmp:/usr/sbin/nologin\n"
                        "nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n").encode(),
             "group": f"root:x:0:\nlab:x:{uid}:\nnogroup:x:65534:\n".encode(),
             "nsswitch.conf": NSSWITCH}
    for name in copied:
        content = _host_etc_file(name)
        if content is not None:
            files[name] = content
    return files


_HOST_ETC: dict[str, tuple[tuple, bytes | None]] = {}


def _host_etc_file(name: str) -> bytes | None:
    """A host /etc file's content (None: missing, or not a regular file), read again only when
    a stat says it changed (a stat instead of an open and a read each run)."""
    path = f"/etc/{name}"
    try:  # follows links: /etc/localtime is one
        info = os.stat(path)
    except OSError:
        return None
    key = (info.st_ino, info.st_dev, info.st_size, info.st_mtime_ns)
    cached = _HOST_ETC.get(path)
    if cached and cached[0] == key:
        return cached[1]
    content = None
    try:
        with open(path, "rb") as source:
            if stat.S_ISREG(os.fstat(source.fileno()).st_mode):
                content = source.read()
    except OSError:
        return None
    _HOST_ETC[path] = (key, content)
    return content


def resolve_python(program: str, path_dirs: list[str]) -> str:
    """`python` means this interpreter (never a pyenv shim, which costs ~70 ms a start)."""
    if program in ("python", "python3"):
        return host.real_python()
    return program


def limit_mechanisms(limits: Limits, gpu: bool, cgroups: RunCgroups, plan: Plan, workspace, in_place) -> dict:
    mech = {"timeout": "runner wall clock, SIGTERM then SIGKILL to the whole tree",
            "cpu": "RLIMIT_CPU", "file_size": "RLIMIT_FSIZE",
            "output": "capture cap with truncation marker"}
    procs = [m for m in [cgroups.mechanism("pids")] if m]
    if plan.run_uid is not None:
        procs.append(f"RLIMIT_NPROC on uid {plan.run_uid}, used by this run alone")
    elif not host.is_root():
        procs.append("RLIMIT_NPROC (counts all of the user's processes)")
    mech["processes"] = " + ".join(procs) or "NONE: root without a writable pids cgroup"
    run_wide = cgroups.mechanism("memory")
    run_wide = f"{run_wide} limit on the whole run" if run_wide else \
        f"{RUN_MEMORY_WATCHDOG}; no memory cgroup: {cgroups.problems.get('memory', 'unknown')}"
    mech["memory"] = run_wide if gpu else "RLIMIT_AS per process + " + run_wide
    mech["disk"] = workspace.disk_mechanism
    if plan.backend == "bubblewrap":
        mech["tmp"] = "tmpfs size" if host.bwrap_supports("--size") else "NONE: bwrap without --size"
    return mech
