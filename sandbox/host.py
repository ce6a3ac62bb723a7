"""What this host offers: a working bubblewrap, setpriv (the fallback when sandbox/userns.py cannot make
its namespace), cgroups, a real Python. Probed once."""

from __future__ import annotations

import functools
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# The sandbox's /etc is a tmpfs filled per run from memory (passwd and group naming the lab's
# uid, an nsswitch.conf that asks only them, and copies of these small host files:
# run_plan.sandbox_etc); /etc/alternatives is bound on top (its links point into /usr).
# Copies, not binds: each bind costs bwrap start-up time.
ETC_COPIED = ("ld.so.cache", "localtime", "host.conf")
ETC_BOUND = ("alternatives",)


def is_root() -> bool:
    return os.geteuid() == 0


@functools.cache
def bwrap_path() -> str | None:
    return os.environ.get("SANDBOX_BWRAP") or shutil.which("bwrap")


@functools.cache
def setpriv_path() -> str | None:
    return shutil.which("setpriv")


@functools.cache
def bwrap_problem() -> str | None:
    """None when bubblewrap can create its namespaces here, else why not (one line)."""
    path = bwrap_path()
    if not path:
        return "bubblewrap (bwrap) is not installed"
    probe = [path, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent",
             "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    if not is_root():
        probe[1:1] = ["--unshare-user"]
    elif not setpriv_path():
        return "setpriv (util-linux) is missing, so the sandbox cannot drop root"
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap failed to start: {exc}"
    if done.returncode != 0:
        return "bwrap cannot create namespaces here: " + (done.stderr.strip().splitlines() or ["?"])[-1]
    return None


@functools.cache
def bwrap_supports(option: str) -> bool:
    path = bwrap_path()
    if not path:
        return False
    out = subprocess.run([path, "--help"], capture_output=True, text=True).stdout
    return option in out


@functools.cache
def real_python() -> str:
    """The interpreter itself (a venv's python, not a pyenv shim, which costs ~70 ms a start)."""
    exe = Path(sys.executable)
    return str(exe if exe.exists() else Path(os.path.realpath(exe)))


@functools.cache
def python_prefixes() -> tuple[str, ...]:
    """Directories the sandbox must show read-only so `python` and its packages work inside."""
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix,
                  str(Path(os.path.realpath(sys.executable)).parent.parent)}
    keep = []
    for path in sorted(candidates):
        if any(path == d or path.startswith(d + "/") for d in SYSTEM_DIRS):
            continue  # already visible with the system
        if Path(path).is_dir():
            keep.append(path)
    # Drop nested entries: binding a parent shows the child.
    return tuple(p for p in keep if not any(p != q and p.startswith(q + "/") for q in keep))


@functools.cache
def python_path_dirs() -> tuple[str, ...]:
    dirs = [str(Path(sys.executable).parent), str(Path(os.path.realpath(sys.executable)).parent)]
    return tuple(dict.fromkeys(dirs))


@functools.cache
def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version(), "platform": platform.platform()}
    for module in ("numpy", "torch"):
        found[module] = _dist_version(module)
    found["torch_cuda"] = _torch_cuda_version() if found["torch"] else None
    path = bwrap_path()
    if path:
        out = subprocess.run([path, "--version"], capture_output=True, text=True).stdout.strip()
        found["bubblewrap"] = out.split()[-1] if out else None
    return found


def _dist_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _torch_cuda_version() -> str | None:
    """torch.version.cuda without importing torch (an import costs seconds per run)."""
    import importlib.util
    import re

    spec = importlib.util.find_spec("torch")
    if not spec or not spec.origin:
        return None
    version_file = Path(spec.origin).parent / "version.py"
    try:
        match = re.search(r"^cuda(?::\s*[^=]+)?\s*=\s*['\"]?([^'\"\n]+)", version_file.read_text(), re.M)
    except OSError:
        return None
    value = match.group(1).strip() if match else None
    return None if value in (None, "None") else value
