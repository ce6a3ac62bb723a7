"""Issue 13: nothing a lab leaves in a folder the host reads is trusted, and limits hold for the
run as a whole (inodes, a full scratch space, copy-back; children together: test_run_cgroup.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sandbox import Limits, locked_dirs, run, workspace
from tests.sandbox.conftest import assert_no_process_left, processes_with, requires_bwrap

SMALL = dict(timeout_s=10, memory_mb=512, max_procs=32, disk_mb=16, tmp_mb=8, file_size_mb=64, grace_s=0.3)
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="the lab's own uid (and so a host file it cannot "
                               "read) needs a root runner")


def limits(**overrides) -> Limits:
    return Limits(**{**SMALL, **overrides})


@pytest.fixture
def host_files(tmp_path):
    """A root-only 0600 file the lab must not overwrite and a root-only secret it must not read."""
    victim, secret = tmp_path / "victim.txt", tmp_path / "secret.json"
    victim.write_text("host owned\n")
    secret.write_text('{"secret": "host-only-4711"}')
    for path in (victim, secret):
        os.chmod(path, 0o600)
    return victim, secret


@requires_bwrap
@root_only
def test_in_place_run_never_writes_or_reads_through_links_the_lab_planted(make_lab, host_files):
    victim, secret = host_files
    lab = make_lab(f"""
        import os
        run_dir = os.environ["TUTOR_RUN_DIR"]
        for name in ("run.json.tmp", "run.json", ".tmp-run.json"):
            os.symlink({str(victim)!r}, os.path.join(run_dir, name))
        os.symlink({str(secret)!r}, os.path.join(run_dir, "metrics.json"))
        print("planted")
    """)
    record = run(lab, ["python", "main.py"], limits(), in_place=True)
    assert "planted" in Path(record.logs["stdout"]).read_text()
    assert victim.read_text() == "host owned\n"
    assert "host-only-4711" not in json.dumps(record.metrics)
    assert record.metrics is None or "symlink" in record.metrics["_error"]
    assert not [p for p in Path(record.run_dir).iterdir() if p.is_symlink()]  # none left for the learner
    run_json = Path(record.run_dir) / "run.json"
    assert not run_json.is_symlink() and json.loads(run_json.read_text())["run_id"] == record.run_id


@requires_bwrap
@root_only
@pytest.mark.parametrize("in_place", [False, True])
def test_hostile_suite_holds_in_place_too(make_lab, marker, in_place, tmp_path):
    """Fork bomb, double-forked daemon, writes outside: the same containment in place."""
    outside = tmp_path / "outside.txt"
    lab = make_lab(f"""
        import os, sys, time
        try:
            open({str(outside)!r}, "w").write("escaped")
        except OSError:
            pass
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(60)
            os._exit(0)
        while True:
            try:
                os.fork()
            except OSError:
                time.sleep(0.05)
    """)
    record = run(lab, ["python", "main.py", marker], limits(timeout_s=2, max_procs=24), in_place=in_place)
    assert record.reason == "timeout" and record.limit_hit == "processes"
    assert not outside.exists()
    assert_no_process_left(marker)


@requires_bwrap
@root_only
def test_a_full_scratch_space_is_reported_even_when_the_lab_carries_on(make_lab):
    lab = make_lab("""
        chunk = b"x" * (1024 * 1024)
        try:
            with open("fill.bin", "wb") as out:
                while True:
                    out.write(chunk)
                    out.flush()
        except OSError as exc:
            print("caught", exc.errno)
    """)
    record = run(lab, ["python", "main.py"], limits(disk_mb=8))
    assert record.reason == "ok"
    assert record.limit_hit == "disk", record.detail


@requires_bwrap
@root_only
def test_the_scratch_space_has_an_inode_limit(make_lab, monkeypatch):
    monkeypatch.setattr(workspace, "SCRATCH_MAX_INODES", 2000)
    lab = make_lab("""
        import os
        os.mkdir("many")
        made = 0
        try:
            while made < 50000:
                open(f"many/{made}", "w").close()
                made += 1
        except OSError as exc:
            print("stopped", made, exc.errno)
    """)
    record = run(lab, ["python", "main.py"], limits(disk_mb=64))
    out = Path(record.logs["stdout"]).read_text()
    assert "stopped" in out and int(out.split()[1]) < 2000, out
    assert record.limit_hit == "disk" and "inode" in record.mechanisms["disk"]


def test_copy_back_is_bounded(make_lab, monkeypatch):
    monkeypatch.setattr(workspace, "COPY_BACK_MAX_BYTES", 3 * 2**20)
    lab = make_lab("""
        import os
        for i in range(6):
            with open(os.path.join(os.environ["TUTOR_RUN_DIR"], f"out{i}.bin"), "wb") as f:
                f.write(b"x" * 2**20)
    """)
    record = run(lab, ["python", "main.py"], limits(disk_mb=32))
    copied = sorted(p.name for p in Path(record.run_dir).glob("out*.bin"))
    assert len(copied) == 3, copied
    assert "not copied back" in record.detail


def test_deeply_nested_metrics_give_a_one_line_reason_and_a_record(make_lab):
    lab = make_lab("""
        import os
        with open(os.path.join(os.environ["TUTOR_RUN_DIR"], "metrics.json"), "w") as f:
            f.write("[" * 100000 + "]" * 100000)
    """)
    record = run(lab, ["python", "main.py"], limits())
    assert record.reason == "ok"
    assert record.metrics == {"_error": "metrics.json is nested too deeply to parse"}
    assert json.loads((Path(record.run_dir) / "run.json").read_text())["metrics"] == record.metrics


def _tmpfs_mounts() -> list[str]:
    """Any run's scratch tmpfs (told apart by its inode limit): on the host (findmnt), then in
    any process's mount namespace."""
    import subprocess

    mark = f"nr_inodes={workspace.SCRATCH_MAX_INODES + 1}"
    found = [f"host: {line}" for line in subprocess.run(["findmnt", "-rn", "-o", "TARGET,OPTIONS"], capture_output=True,
                                                        text=True).stdout.splitlines() if mark in line]
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if mark.encode() in Path(f"/proc/{entry.name}/mounts").read_bytes():
                    found.append(f"namespace of pid {entry.name}")
            except OSError:
                pass
    return found


@requires_bwrap
@root_only
def test_sigkill_of_the_runner_leaves_no_scratch_mount(make_lab, marker, tmp_path, monkeypatch):
    import signal
    import subprocess
    import sys
    import time

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("SANDBOX_SCRATCH", str(scratch))
    lab = make_lab("import time\ntime.sleep(60)\n")
    runner = subprocess.Popen([sys.executable, "-c", "import sys; from sandbox import Limits, run; "
                               "run(sys.argv[1], ['python', 'main.py', sys.argv[2]], Limits(timeout_s=60))",
                               str(lab), marker], cwd=Path(__file__).resolve().parents[2])
    deadline = time.monotonic() + 20
    while not _tmpfs_mounts() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _tmpfs_mounts(), "the run never mounted its scratch space"
    time.sleep(0.3)
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    deadline = time.monotonic() + 5
    while _tmpfs_mounts() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _tmpfs_mounts() == []
    assert_no_process_left(marker)


@requires_bwrap
@root_only
def test_the_scratch_tmpfs_lives_only_while_the_run_does_and_never_in_the_hosts_namespace(make_lab, tmp_path,
                                                                                          monkeypatch):
    """bubblewrap mounts it in the sandbox's own namespace; the runner reaches it through a
    directory descriptor it closes at the end: no mount on the host during the run, none
    anywhere after it, no descriptor kept, nothing left in the scratch folder, and the lab's
    outputs still came back."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("SANDBOX_SCRATCH", str(scratch))
    lab = make_lab("""
        import os
        fs = os.statvfs("/lab")
        print(fs.f_blocks * fs.f_frsize // 2**20, fs.f_files, flush=True)
        open(os.path.join(os.environ["TUTOR_RUN_DIR"], "out.txt"), "w").write("made in the tmpfs")
        import time; time.sleep(1)   # alive while the runner looks for the tmpfs (on_output)
    """)
    fds_before = set(os.listdir("/proc/self/fd"))
    seen_during = []
    record = run(lab, ["python", "main.py"], limits(disk_mb=16),
                 on_output=lambda stream, text: seen_during.extend(_tmpfs_mounts()))
    host_mounts_during = [m for m in seen_during if m.startswith("host")]
    assert any(m.startswith("namespace") for m in seen_during), seen_during   # it was there, elsewhere
    assert record.reason == "ok", record.detail
    assert "tmpfs" in record.mechanisms["disk"]
    size_mb, inodes = map(int, Path(record.logs["stdout"]).read_text().split())
    assert size_mb == 16 and inodes == workspace.SCRATCH_MAX_INODES + 1
    assert (Path(record.run_dir) / "out.txt").read_text() == "made in the tmpfs"
    assert host_mounts_during == []
    assert _tmpfs_mounts() == []
    assert set(os.listdir("/proc/self/fd")) <= fds_before
    assert list(scratch.iterdir()) == []


@requires_bwrap
def test_pid_1_inside_the_sandbox_shows_no_host_paths(make_lab):
    lab = make_lab("""
        print(open("/proc/1/cmdline", "rb").read().replace(b"\\0", b" ").decode())
    """)
    record = run(lab, ["python", "main.py"], limits())
    seen = Path(record.logs["stdout"]).read_text()
    assert record.reason == "ok" and seen.strip(), record.detail
    assert str(lab) not in seen and "tutor-sandbox-" not in seen, seen


def _runner_folders(scratch: Path) -> set[str]:
    return {p.name for p in scratch.iterdir() if (p / workspace.LOCK_NAME).exists()}


def _start_runner(lab: Path, marker: str, scratch: Path):
    """A runner in a process of its own, once its scratch folder (with its lock) is there: a
    process-backend run keeps its lab copy there (a bubblewrap run as root has none: its copy
    lives in the sandbox's own tmpfs)."""
    import subprocess
    import sys
    import time

    before = _runner_folders(scratch)
    runner = subprocess.Popen([sys.executable, "-c", "import sys; from sandbox import Limits, run; "
                               "run(sys.argv[1], ['python', 'main.py', sys.argv[2]], Limits(timeout_s=60), "
                               "backend='process')", str(lab), marker], cwd=Path(__file__).resolve().parents[2])
    deadline = time.monotonic() + 20
    while not (_runner_folders(scratch) - before) and time.monotonic() < deadline:
        time.sleep(0.05)
    new = _runner_folders(scratch) - before
    assert len(new) == 1, "the runner never made its scratch folder"
    return runner, new.pop()


def test_a_sigkilled_runners_folder_is_swept_by_a_later_run_and_a_live_runners_is_not(make_lab, marker, tmp_path,
                                                                                      monkeypatch):
    import signal
    import time

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("SANDBOX_SCRATCH", str(scratch))
    monkeypatch.setattr(locked_dirs, "SWEEP_EVERY_S", 0.0)
    monkeypatch.setattr(locked_dirs, "_next_sweep", {})
    lab = make_lab("import time\ntime.sleep(60)\n")
    live, live_folder = _start_runner(lab, f"{marker}-live", scratch)
    try:
        killed, killed_folder = _start_runner(lab, marker, scratch)
        deadline = time.monotonic() + 20
        while not processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes_with(marker), "the lab never started"
        os.kill(killed.pid, signal.SIGKILL)   # mid-run: the lab is running
        killed.wait()
        assert (scratch / killed_folder).is_dir()   # a SIGKILLed runner cleans nothing up
        record = run(make_lab("pass"), ["python", "main.py"], limits(), backend="process")
        assert record.reason == "ok", record.detail
        assert not (scratch / killed_folder).exists()
        assert (scratch / live_folder).is_dir()
    finally:
        os.kill(live.pid, signal.SIGKILL)
        live.wait()
    assert workspace.sweep_abandoned(scratch) == [live_folder]   # abandoned now, and only now
    # A process-backend lab outlives its SIGKILLed runner until a later run sweeps the stale
    # cgroups (test_run_cgroup.py); this test is about the folders: end the labs here.
    for pid in processes_with(marker) + processes_with(f"{marker}-live"):
        os.kill(pid, signal.SIGKILL)


def test_the_sweep_follows_no_link_and_leaves_folders_without_a_lock(tmp_path):
    scratch, elsewhere = tmp_path / "scratch", tmp_path / "elsewhere"
    for folder in (scratch, elsewhere, scratch / f"{workspace.PREFIX}nolock"):
        folder.mkdir()
    (elsewhere / workspace.LOCK_NAME).write_text("")
    (elsewhere / "keep.txt").write_text("host file")
    (scratch / f"{workspace.PREFIX}link").symlink_to(elsewhere)
    inner = scratch / f"{workspace.PREFIX}inner"
    inner.mkdir()
    (inner / workspace.LOCK_NAME).write_text("")
    (inner / "out").symlink_to(elsewhere)
    assert workspace.sweep_abandoned(scratch) == [inner.name]
    assert (elsewhere / "keep.txt").read_text() == "host file" and (elsewhere / workspace.LOCK_NAME).exists()
    assert (scratch / f"{workspace.PREFIX}nolock").is_dir() and (scratch / f"{workspace.PREFIX}link").is_symlink()


def test_the_sweep_removes_a_bounded_number_of_folders(tmp_path):
    for i in range(workspace.SWEEP_MAX + 2):
        (tmp_path / f"{workspace.PREFIX}{i}").mkdir()
        (tmp_path / f"{workspace.PREFIX}{i}" / workspace.LOCK_NAME).write_text("")
    assert len(workspace.sweep_abandoned(tmp_path)) == workspace.SWEEP_MAX
    assert len(list(tmp_path.iterdir())) == 2


@requires_bwrap
@root_only
def test_a_scratch_tmpfs_that_cannot_be_mounted_leaves_the_run_on_the_watched_host_disk(make_lab, monkeypatch):
    real_create = workspace.Workspace.create.__func__

    def unmountable(cls, *args, **kwargs):
        space = real_create(cls, *args, **kwargs)
        space.mount_options = {**space.mount_options, "size": "not-a-size"}
        return space

    monkeypatch.setattr(workspace.Workspace, "create", classmethod(unmountable))
    record = run(make_lab("print('ran')"), ["python", "main.py"], limits())
    assert record.reason == "ok", record.detail
    assert record.mechanisms["disk"] == workspace.WATCHDOG
    assert Path(record.logs["stdout"]).read_text() == "ran\n"
