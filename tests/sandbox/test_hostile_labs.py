"""Hostile labs, each contained: the record says why it ended, the host is untouched, nothing survives.

Run with both backends where the process backend can contain the attack; where it cannot, the
test asserts the record admits it (see test_process_backend.py). The whole suite runs twice: on
the scratch copy and `--in-place` (the lab's own folder bound in, only its run folder writable).
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import pytest

from sandbox import Limits
from sandbox import run as sandbox_run
from tests.sandbox.conftest import PROCESS_BACKEND_CAPS_PROCESSES, assert_no_process_left, requires_bwrap, slurm_options

BOTH = pytest.mark.parametrize("backend", [pytest.param("bubblewrap", marks=requires_bwrap), "process"])
# The same hostile labs through the Slurm backend: bubblewrap inside a Slurm job, same assertions.
SLURM = pytest.param("slurm", marks=requires_bwrap)
ALL = pytest.mark.parametrize("backend", [pytest.param("bubblewrap", marks=requires_bwrap), "process", SLURM])
STRONG = pytest.mark.parametrize("backend", [pytest.param("bubblewrap", marks=requires_bwrap), SLURM])


IN_PLACE = {"on": False}


def run(lab, command, limits=None, backend="auto", **kwargs):
    """The runner here, or (backend "slurm") as a Slurm job with bubblewrap inside it; in the
    mode of the `mode` fixture (copy or in place) unless a test names one."""
    kwargs.setdefault("in_place", IN_PLACE["on"])
    if backend == "slurm" and kwargs["in_place"]:
        pytest.skip("--in-place cannot run on Slurm: the node runs a copy from the shared directory")
    if backend == "slurm":
        return sandbox_run(lab, command, limits, backend="bubblewrap", scheduler="slurm", slurm=slurm_options(),
                           **kwargs)
    return sandbox_run(lab, command, limits, backend=backend, **kwargs)


SMALL = dict(timeout_s=5, memory_mb=512, max_procs=32, disk_mb=16, tmp_mb=8, file_size_mb=64, grace_s=0.3)


def limits(**overrides) -> Limits:
    return Limits(**{**SMALL, **overrides})


@pytest.fixture(autouse=True, params=[False, True], ids=["copy", "in-place"])
def mode(request):
    """Every test of this file in both modes; `run` above takes the mode unless a test names one."""
    IN_PLACE["on"] = request.param
    yield request.param
    IN_PLACE["on"] = False


@pytest.mark.parametrize("backend", [
    pytest.param("bubblewrap", marks=requires_bwrap),
    pytest.param("process", marks=pytest.mark.skipif(
        not PROCESS_BACKEND_CAPS_PROCESSES, reason="root without a writable pids cgroup: the process "
        "backend cannot cap processes here (its record says so), so a fork bomb is not run")),
    SLURM,
])
def test_fork_bomb_is_capped_and_leaves_nothing(make_lab, marker, backend):
    lab = make_lab("""
        import os, time
        while True:
            try:
                os.fork()
            except OSError:
                time.sleep(0.05)
    """)
    record = run(lab, ["python", "main.py", marker], limits(timeout_s=2, max_procs=24), backend=backend)
    assert record.reason == "timeout"
    assert record.limit_hit == "processes"
    assert "pids" in record.mechanisms["processes"] or "NPROC" in record.mechanisms["processes"]
    assert_no_process_left(marker)


@ALL
def test_memory_bomb_ends_with_reason_memory(make_lab, backend):
    lab = make_lab("""
        hoard = []
        while True:
            hoard.append(bytearray(32 * 1024 * 1024))
    """)
    record = run(lab, ["python", "main.py"], limits(memory_mb=256), backend=backend)
    assert record.reason == "memory", record.detail
    assert record.mechanisms["memory"].startswith("RLIMIT_AS per process")
    assert record.peak_rss_mb < 256


@ALL
def test_infinite_loop_times_out(make_lab, marker, backend):
    lab = make_lab("while True:\n    pass\n")
    record = run(lab, ["python", "main.py", marker], limits(timeout_s=0.5), backend=backend)
    assert record.reason == "timeout"
    assert record.duration_s < 0.5 + SMALL["grace_s"] + 3
    assert_no_process_left(marker)


@requires_bwrap
def test_disk_fill_stops_at_the_scratch_limit(make_lab):
    """In place only the run folder is writable (on the host's disk): the disk watchdog stops it."""
    lab = make_lab("""
        import os, time
        chunk = b"x" * (1024 * 1024)
        try:
            out = open("fill.bin", "wb")
        except OSError:  # in place: the lab folder is read-only, its run folder is not
            out = open(os.path.join(os.environ["TUTOR_RUN_DIR"], "fill.bin"), "wb")
        with out:
            for _ in range(200):
                out.write(chunk)
                out.flush()
                time.sleep(0.005)
    """)
    record = run(lab, ["python", "main.py"], limits(disk_mb=8))
    assert record.reason in ("error", "killed"), record.detail
    assert record.limit_hit == "disk"
    assert not (lab / "fill.bin").exists()
    left = Path(record.run_dir) / "fill.bin"
    assert not left.exists() or left.stat().st_size < 100 * 2**20


def test_disk_fill_in_place_is_stopped_by_the_watchdog(make_lab):
    lab = make_lab("""
        import time
        chunk = b"x" * (1024 * 1024)
        with open("fill.bin", "wb") as out:
            for _ in range(64):
                out.write(chunk)
                out.flush()
                time.sleep(0.01)
        time.sleep(30)
    """)
    record = run(lab, ["python", "main.py"], limits(disk_mb=8, timeout_s=10), backend="process", in_place=True)
    assert record.mechanisms["disk"].startswith("disk watchdog")
    assert record.reason == "killed" and record.limit_hit == "disk", record.detail
    assert record.duration_s < 9
    assert (lab / "fill.bin").stat().st_size < 64 * 1024 * 1024


@ALL
def test_stdout_flood_is_capped_with_a_visible_marker(make_lab, backend):
    lab = make_lab("""
        import sys
        line = "flood " * 1000 + "\\n"
        while True:
            sys.stdout.write(line)
    """)
    record = run(lab, ["python", "main.py"], limits(timeout_s=0.5, output_bytes=100_000), backend=backend)
    assert record.reason == "timeout"
    assert record.truncated["stdout"] is True
    log = Path(record.logs["stdout"]).read_bytes()
    assert b"output truncated after 100000 bytes" in log
    assert len(log) < 100_000 + 200
    assert record.output_bytes["stdout"] > 100_000


@STRONG
def test_secrets_and_private_files_are_invisible(make_lab, monkeypatch, tmp_path, backend):
    monkeypatch.setenv("SECRET_API_KEY", "sk-should-never-leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-should-never-leak")
    private = tmp_path / "home" / ".ssh"
    private.mkdir(parents=True)
    (private / "id_ed25519").write_text("PRIVATE KEY")
    probes = [str(private / "id_ed25519"), "/root/.ssh", "/etc/shadow", os.path.expanduser("~/.ssh"), "/root"]
    lab = make_lab("""
        import json, os, sys
        seen = {}
        for path in sys.argv[1:]:
            try:
                seen[path] = sorted(os.listdir(path)) if os.path.isdir(path) else open(path).read()
            except OSError as exc:
                seen[path] = type(exc).__name__
        print(json.dumps({"env": dict(os.environ), "seen": seen}))
    """)
    record = run(lab, ["python", "main.py", *probes], limits(), backend=backend)
    assert record.reason == "ok", record.detail
    report = json.loads(Path(record.logs["stdout"]).read_text())
    assert "SECRET_API_KEY" not in report["env"] and "AWS_SECRET_ACCESS_KEY" not in report["env"]
    assert report["env"]["HOME"] == "/tmp"
    assert set(report["env"]) <= {"PATH", "LANG", "TERM", "PYTHONHASHSEED", "SEED", "TUTOR_RUN_DIR", "HOME", "PWD"} | {
        k for k in report["env"] if k.startswith("LC_")}
    for path in probes:
        value = report["seen"][path]
        # /root exists inside only as the path to the Python install; nothing private shows.
        assert value in ("FileNotFoundError", "PermissionError") or value == [".pyenv"] or value == [], (path, value)
    assert "should-never-leak" not in Path(record.logs["stdout"]).read_text()


@ALL
def test_parent_env_secrets_do_not_reach_the_lab(make_lab, monkeypatch, backend):
    monkeypatch.setenv("SECRET_API_KEY", "sk-should-never-leak")
    lab = make_lab("import os, json; print(json.dumps(dict(os.environ)))\n")
    record = run(lab, ["python", "main.py"], limits(), backend=backend)
    env = json.loads(Path(record.logs["stdout"]).read_text())
    assert "SECRET_API_KEY" not in env
    assert env["SEED"] == "0" and env["PYTHONHASHSEED"] == "0"


@STRONG
def test_network_connections_fail(make_lab, backend):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    lab = make_lab("""
        import socket, sys
        for host, port in [("127.0.0.1", int(sys.argv[1])), ("1.1.1.1", 53), ("example.com", 80)]:
            try:
                socket.create_connection((host, port), timeout=1).close()
                print("CONNECTED", host, port)
            except OSError as exc:
                print("blocked", host, port, type(exc).__name__)
    """)
    record = run(lab, ["python", "main.py", str(port)], limits(), backend=backend)
    out = Path(record.logs["stdout"]).read_text()
    assert record.reason == "ok" and out.count("blocked") == 3, out
    assert record.network == "none"
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody reached the host's listener
    listener.close()


@STRONG
def test_writes_outside_the_lab_fail_and_the_original_lab_is_untouched(make_lab, tmp_path, backend):
    outside = tmp_path / "outside.txt"
    lab = make_lab("""
        import sys
        for path in sys.argv[1:]:
            try:
                open(path, "w").write("pwned")
                print("WROTE", path)
            except OSError as exc:
                print("refused", path, type(exc).__name__)
        try:
            open("inside.txt", "w").write("fine")  # the scratch copy takes it; in place it is refused
        except OSError as exc:
            print("refused inside.txt", type(exc).__name__)
    """)
    targets = [str(outside), "/usr/pwned", "/etc/pwned", str(Path(sys.executable).parent / "pwned"),
               "/work/pwned", "/pwned"]
    record = run(lab, ["python", "main.py", *targets], limits(), backend=backend)
    out = Path(record.logs["stdout"]).read_text()
    assert record.reason == "ok" and "WROTE" not in out, out
    for target in targets:
        assert not Path(target).exists()
    assert not (lab / "inside.txt").exists()  # the lab wrote into its scratch copy only (or nowhere)


@STRONG
def test_symlink_to_root_reaches_only_the_sandbox(make_lab, tmp_path, backend):
    secret = tmp_path / "host-secret.txt"
    secret.write_text("host only")
    lab = make_lab("""
        import os, sys
        for path in ["escape/etc/shadow", "escape" + sys.argv[1]]:
            try:
                print("READ", path, open(path).read())
            except OSError as exc:
                print("refused", path, type(exc).__name__)
        try:
            open("escape/tmp/dropped.txt", "w").write("stays inside")
        except OSError as exc:
            print("refused write", type(exc).__name__)
        run_dir = os.environ["TUTOR_RUN_DIR"]
        os.symlink("/etc/shadow", os.path.join(run_dir, "leak"))
    """)
    os.symlink("/", lab / "escape")
    record = run(lab, ["python", "main.py", str(secret)], limits(), backend=backend)
    out = Path(record.logs["stdout"]).read_text()
    assert record.reason == "ok", record.detail
    assert "READ" not in out, out
    assert not Path("/tmp/dropped.txt").exists()
    assert not (Path(record.run_dir) / "leak").exists()  # symlinks never come back out


# a lab whose grandchild, in a session of its own, sleeps on after the lab itself has ended
DAEMON_LAB = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", sys.argv[1]])
    os._exit(0)
time.sleep(0.3)
"""


@ALL
def test_double_forked_daemon_does_not_outlive_the_run(make_lab, marker, backend):
    lab = make_lab(DAEMON_LAB + 'print("parent done")\n')
    record = run(lab, ["python", "main.py", marker], limits(), backend=backend)
    assert record.reason == "ok", record.detail
    assert_no_process_left(marker)


@BOTH
def test_a_clean_run_claims_no_leftover_process(make_lab, backend):
    """bwrap's own init in the sandbox, still exiting when the launcher has gone, is not the lab's."""
    record = run(make_lab("pass"), ["python", "-c", "pass"], limits(), backend=backend)
    assert record.reason == "ok", record.detail
    assert record.leftover_processes_killed == 0


@BOTH
def test_a_daemon_that_outlives_the_lab_is_counted_and_killed(make_lab, marker, backend):
    lab = make_lab(DAEMON_LAB)
    record = run(lab, ["python", "main.py", marker], limits(), backend=backend)
    assert record.reason == "ok", record.detail
    assert record.leftover_processes_killed >= 1
    assert_no_process_left(marker)


@BOTH
def test_sigterm_trap_is_killed_after_the_grace_period(make_lab, marker, backend):
    lab = make_lab("""
        import signal, time
        signal.signal(signal.SIGTERM, lambda *_: print("ignoring SIGTERM", flush=True))
        while True:
            time.sleep(0.05)
    """)
    record = run(lab, ["python", "main.py", marker], limits(timeout_s=0.5, grace_s=0.3), backend=backend)
    assert record.reason == "timeout"
    assert "ignoring SIGTERM" in Path(record.logs["stdout"]).read_text()
    assert_no_process_left(marker)


@requires_bwrap
def test_in_place_run_writes_only_its_run_dir_and_hands_it_back(make_lab):
    lab = make_lab("""
        import os, sys
        for path in ["main.py", "new.txt"]:
            try:
                open(path, "a").write("# tampered")
                print("WROTE", path)
            except OSError as exc:
                print("refused", path, type(exc).__name__)
        import getpass
        print("user", getpass.getuser())  # torch and friends ask; the sandbox's passwd answers
        open(os.path.join(os.environ["TUTOR_RUN_DIR"], "metrics.json"), "w").write('{"ok": 1}')
    """)
    before = (lab / "main.py").read_text()
    record = run(lab, ["python", "main.py"], limits(), in_place=True)
    assert record.reason == "ok", record.detail
    out = Path(record.logs["stdout"]).read_text()
    assert "WROTE" not in out and "user " in out, out
    assert (lab / "main.py").read_text() == before and not (lab / "new.txt").exists()
    assert record.metrics == {"ok": 1}
    owner = lab.stat().st_uid
    assert all(p.stat().st_uid == owner for p in Path(record.run_dir).rglob("*"))
    assert (lab / "runs").stat().st_uid == owner


@STRONG
def test_the_sandboxs_etc_names_only_the_lab_and_cannot_be_changed(make_lab, backend, mode):
    lab = make_lab("""
        import os
        print("uid", os.getuid())
        print("passwd", open("/etc/passwd").read().replace(chr(10), "|"))
        for path, how in [("/etc/passwd", "a"), ("/etc/planted", "w")]:
            try:
                open(path, how).write("x")
                print("WROTE", path)
            except OSError as exc:
                print("refused", path, exc.errno)
    """)
    record = run(lab, ["python", "main.py"], limits(), backend=backend)
    out = Path(record.logs["stdout"]).read_text()
    assert record.reason == "ok" and "WROTE" not in out, (record.detail, out)
    uid = out.split("uid ", 1)[1].split()[0]
    accounts = out.split("passwd ", 1)[1].splitlines()[0].strip("|").split("|")
    assert [a.split(":")[:3] for a in accounts] == [["root", "x", "0"], ["lab", "x", uid], ["nobody", "x", "65534"]]
    assert out.count("refused") == 2


@requires_bwrap
@pytest.mark.skipif(os.geteuid() != 0, reason="the size-capped scratch tmpfs needs a root runner")
def test_a_lab_too_big_for_the_scratch_space_leaves_an_error_record(make_lab, mode):
    if mode:
        pytest.skip("in place nothing is copied into a scratch space: no copy can be too big")
    lab = make_lab("print('never')\n")
    (lab / "big.bin").write_bytes(b"x" * (3 * 1024 * 1024))
    record = run(lab, ["python", "main.py"], limits(disk_mb=1))
    assert record.reason == "error" and "could not be copied" in record.detail
    assert (Path(record.run_dir) / "run.json").exists()


@requires_bwrap
def test_tmp_and_shm_are_writable_private_and_capped(make_lab):
    lab = make_lab("""
        import multiprocessing, os
        multiprocessing.Lock()  # needs a writable /dev/shm
        for target in ["/tmp", "/dev/shm"]:
            written = 0
            try:
                with open(os.path.join(target, "fill"), "wb") as out:
                    while written < 64 * 1024 * 1024:
                        out.write(b"x" * 1024 * 1024)
                        out.flush()
                        written += 1024 * 1024
                print("UNCAPPED", target)
            except OSError as exc:
                print("capped", target, written // (1024 * 1024), exc.strerror)
    """)
    record = run(lab, ["python", "main.py"], limits(tmp_mb=8, file_size_mb=128))
    out = Path(record.logs["stdout"]).read_text()
    assert record.reason == "ok", (record.detail, Path(record.logs["stderr"]).read_text())
    assert "UNCAPPED" not in out and out.count("capped") == 2, out
    assert not Path("/tmp/fill").exists()


@BOTH
def test_interrupting_the_runner_kills_the_run_and_still_records_it(make_lab, marker, backend, monkeypatch):
    from sandbox import supervise

    def interrupted(self, seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(supervise._ExitWatch, "wait", interrupted)
    lab = make_lab("import time\ntime.sleep(30)\n")
    record = run(lab, ["python", "main.py", marker], limits(timeout_s=30), backend=backend)
    assert record.reason == "killed" and "interrupt" in record.detail
    assert (Path(record.run_dir) / "run.json").exists()
    assert_no_process_left(marker)


@BOTH
def test_runs_leave_no_scratch_mount_or_cgroup_behind(make_lab, marker, backend, monkeypatch, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("SANDBOX_SCRATCH", str(scratch))
    lab = make_lab("import os\nos.fork()\nwhile True:\n    pass\n")
    record = run(lab, ["python", "main.py", marker], limits(timeout_s=0.5), backend=backend)
    assert record.reason == "timeout"
    assert list(scratch.iterdir()) == []
    assert str(scratch) not in Path("/proc/self/mounts").read_text()
    assert not list(Path("/sys/fs/cgroup").glob(f"**/tutor-sandbox-{record.run_id}"))
    assert_no_process_left(marker)
