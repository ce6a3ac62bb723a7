"""Fixtures for the sandbox tests: tiny labs written into tmp dirs, and leftover-process checks."""

from __future__ import annotations

import dataclasses
import os
import secrets
import textwrap
import time
from pathlib import Path

import pytest

from sandbox import host

BWRAP_PROBLEM = host.bwrap_problem()
requires_bwrap = pytest.mark.skipif(BWRAP_PROBLEM is not None, reason=f"bubblewrap unusable here: {BWRAP_PROBLEM}")
HAS_GPU = os.path.exists("/dev/nvidia0")


def _process_backend_can_cap_processes() -> bool:
    """As root, RLIMIT_NPROC does nothing: the process backend then needs a writable pids cgroup."""
    if os.geteuid() != 0:
        return True
    from sandbox.cgroups import RunCgroups

    probe = RunCgroups.create(f"tutor-sandbox-probe-{os.getpid()}", 8, None)
    try:
        return "pids" in probe.paths
    finally:
        probe.remove()


PROCESS_BACKEND_CAPS_PROCESSES = _process_backend_can_cap_processes()


@pytest.fixture
def make_lab(tmp_path):
    """make_lab(code, **files) -> a lab folder whose main.py is `code`."""

    def make(code: str, **files: str) -> Path:
        lab = tmp_path / f"lab-{secrets.token_hex(2)}"
        lab.mkdir()
        (lab / "main.py").write_text(textwrap.dedent(code))
        for name, text in files.items():
            (lab / name).write_text(text)
        return lab

    return make


@pytest.fixture
def marker() -> str:
    """A string put in a hostile lab's argv, to find any of its processes afterwards."""
    return f"sandbox-test-marker-{secrets.token_hex(4)}"


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes()
            state = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmdline and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def assert_no_process_left(marker: str, within_s: float = 3.0) -> None:
    """Killed processes may take a moment to vanish from /proc: poll with a deadline."""
    deadline = time.monotonic() + within_s
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert processes_with(marker) == [], f"processes left behind: {processes_with(marker)}"


def slurm_missing() -> str | None:
    """Why no Slurm can take a job here (None: one can). .ci/services/slurm.sh starts one."""
    from sandbox.slurm import commands

    missing = commands.missing_tools()
    if missing:
        return f"no Slurm here: {', '.join(missing)} not on PATH (.ci/services/slurm.sh starts one)"
    if not os.environ.get("TUTOR_SLURM_SHARED_DIR"):
        return "no Slurm for the tests: TUTOR_SLURM_SHARED_DIR is not set (.ci/services/slurm.sh sets it)"
    try:
        up, detail = commands.controller_status()
    except commands.SlurmError as exc:
        return f"no Slurm controller reachable: {exc}"
    return None if up else f"no Slurm controller reachable: {detail}"


def slurm_options():
    """SlurmOptions for a test that needs a real Slurm: skips (fails under .ci/run) without one."""
    from sandbox.slurm import SlurmOptions
    from tests.conftest import needs_service

    needs_service("slurm", slurm_missing())
    return dataclasses.replace(SlurmOptions.from_env(), poll_s=0.2)
