"""The sandbox's /dev from a folder of device nodes the runner made (sandbox/devdir.py)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import Limits, devdir, run, run_plan
from tests.sandbox.conftest import requires_bwrap

pytestmark = [requires_bwrap, pytest.mark.skipif(os.geteuid() != 0, reason="device nodes need a root runner")]

PROBE = """
import os
print(sorted(os.listdir("/dev")))
with open("/dev/null", "w") as sink:
    sink.write("gone")
print(len(open("/dev/urandom", "rb").read(16)), open("/dev/zero", "rb").read(2) == bytes(2))
for path in ("/dev/planted", "/dev/shm/mine"):
    try:
        open(path, "w").close()
        print("wrote", path)
    except OSError as exc:
        print("refused", path, exc.errno)
for change in (lambda: os.chmod("/dev/null", 0o777), lambda: os.mknod("/dev/shm/disk", 0o600 | 0o060000, os.makedev(8, 0))):
    try:
        change()
        print("changed")
    except OSError as exc:
        print("refused", exc.errno)
print(oct(os.stat("/dev").st_mode), os.path.exists("/dev/pts"))
"""


def test_a_cpu_run_gets_the_nodes_and_can_change_none_of_them(tmp_path):
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "probe.py").write_text(PROBE)
    record = run(lab, ["python", "probe.py"], Limits(timeout_s=60), backend="bubblewrap", runs_dir=tmp_path / "runs")
    assert record.reason == "ok", record.detail
    assert record.isolation["dev"] == run_plan.DEV_NODES
    lines = Path(record.logs["stdout"]).read_text().splitlines()
    assert lines[0] == str(sorted(devdir.NODES + tuple(n for n, _ in devdir.LINKS) + devdir.DIRS))
    assert lines[1] == "16 True"
    assert lines[2] == "refused /dev/planted 13" and lines[3] == "wrote /dev/shm/mine"
    assert lines[4] == "refused 1" and lines[5] == "refused 1"     # EPERM: not the owner, no CAP_MKNOD
    assert lines[6] == "0o40755 False"
    folder = devdir.path()
    assert folder and sorted(os.listdir(folder)) == sorted(lines[0].strip("[]").replace("'", "").split(", "))
    assert not os.path.exists(os.path.join(folder, "shm", "mine"))     # the run's own tmpfs, not the folder


def test_the_folder_holds_exactly_the_hosts_nodes():
    folder = devdir.path()
    assert folder, devdir.problem()
    assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o755 and os.lstat(folder).st_uid == 0
    assert stat.S_IMODE(os.lstat(os.path.dirname(folder)).st_mode) == 0o700
    for name in devdir.NODES:
        made, host = os.lstat(os.path.join(folder, name)), os.stat(f"/dev/{name}")
        assert stat.S_ISCHR(made.st_mode) and made.st_rdev == host.st_rdev
        assert stat.S_IMODE(made.st_mode) == stat.S_IMODE(host.st_mode) and made.st_uid == 0
    for name, target in devdir.LINKS:
        assert os.readlink(os.path.join(folder, name)) == target


def test_where_no_nodes_can_be_made_runs_keep_bwraps_dev(tmp_path, monkeypatch):
    monkeypatch.setattr(devdir, "_state", {})
    monkeypatch.setattr(devdir, "candidate_parents", lambda: [str(tmp_path / "missing")])
    assert devdir.path() is None and "device nodes cannot be used here" in devdir.problem()
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "probe.py").write_text("import os; print(os.path.isdir('/dev/pts'), os.path.exists('/dev/null'))")
    record = run(lab, ["python", "probe.py"], Limits(timeout_s=60), backend="bubblewrap", runs_dir=tmp_path / "runs")
    assert record.reason == "ok", record.detail
    assert Path(record.logs["stdout"]).read_text().split() == ["True", "True"]
    assert "/dev/pts" in record.isolation["dev"] and record.isolation["dev"] != run_plan.DEV_NODES


def test_a_killed_runners_folder_is_removed_by_the_next_runner(tmp_path):
    parent = tmp_path / "parent"
    parent.mkdir()
    script = ("import os, signal, sys, tempfile; sys.path.insert(0, %r); tempfile.tempdir = %r\n"
              "from sandbox import devdir; print(devdir.path(), flush=True)\n"
              "os.kill(os.getpid(), signal.SIGKILL if sys.argv[1] == 'kill' else 0)\n")
    script %= (str(Path(__file__).resolve().parents[2]), str(parent))
    first = subprocess.run([sys.executable, "-c", script, "kill"], capture_output=True, text=True)
    assert first.returncode == -9
    killed = Path(first.stdout.strip()).parent
    assert killed.parent == parent and (killed / "dev" / "null").exists()      # SIGKILL: no cleanup
    second = subprocess.run([sys.executable, "-c", script, "live"], capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert not killed.exists()
    assert list(parent.iterdir()) == []        # and the second removed its own on exit


def test_a_folder_removed_under_a_live_runner_is_made_again(monkeypatch, tmp_path):
    monkeypatch.setattr(devdir, "_state", {})
    monkeypatch.setattr(devdir, "candidate_parents", lambda: [str(tmp_path)])
    first = devdir.path()
    assert first and Path(first).parent.parent == tmp_path
    import shutil

    shutil.rmtree(Path(first).parent)          # a temp cleaner under a TUI open for weeks
    second = devdir.path()
    assert second and second != first and os.path.exists(os.path.join(second, "null"))
