"""The pure parts of the sandbox: bwrap argv, GPU device discovery, environment, outcome, capture."""

from __future__ import annotations

import ast
import io
import os
from pathlib import Path

import pytest

from sandbox import gpu
from sandbox.bwrap_args import BwrapSpec, build_argv
from sandbox.capture import StreamCapture
from sandbox.env import lab_env
from sandbox.outcome import exit_and_signal


def _spec(**overrides) -> BwrapSpec:
    base = dict(bwrap="/usr/bin/bwrap", lab_host_dir="/scratch/lab", command=["python", "main.py"],
                env={"PATH": "/usr/bin"}, system_dirs=[], python_dirs=["/opt/py/venv"], etc_files=[])
    return BwrapSpec(**{**base, **overrides})


def _pairs(argv: list[str], flag: str) -> list[tuple[str, str]]:
    return [(argv[i + 1], argv[i + 2]) for i, a in enumerate(argv) if a == flag]


def test_argv_in_the_runners_user_namespace_lets_bwrap_switch_uid_without_setpriv():
    argv = build_argv(_spec(drop_to_uid=1234567, userns_fd=3))
    at = argv.index("--userns")
    assert argv[at:at + 6] == ["--userns", "3", "--uid", "1234567", "--gid", "1234567"]
    assert argv[argv.index("--") + 1:] == ["python", "main.py"]       # the command itself, no setpriv
    assert "--cap-add" not in argv and argv[argv.index("--cap-drop") + 1] == "ALL"
    # /etc is a folder of the sandbox's root tmpfs, and that root is made read-only after its mount
    # points and /etc's files (bwrap made them as the lab's uid), before the lab can run
    assert ("--dir", "/etc") in _pairs1(argv, "--dir") and ("--tmpfs", "/etc") not in _pairs1(argv, "--tmpfs")
    assert _pairs1(argv, "--remount-ro") == [("--remount-ro", "/")]
    assert argv.index("--dir", argv.index("/etc") - 1) < argv.index("--remount-ro") < argv.index("--chdir")


def _pairs1(argv: list[str], flag: str) -> list[tuple[str, str]]:
    return [(a, argv[i + 1]) for i, a in enumerate(argv) if a == flag]


def test_cpu_runs_bind_a_prepared_dev_folder_and_gpu_runs_keep_bwraps_dev():
    cpu = build_argv(_spec(dev_dir="/run/tutor-dev/dev"))
    assert ("/run/tutor-dev/dev", "/dev") in _pairs(cpu, "--dev-bind") and "--dev" not in cpu
    assert cpu.index("--dev-bind") < cpu.index("/dev/shm")        # its shm is the run's own tmpfs
    gpu_argv = build_argv(_spec(dev_dir="/run/tutor-dev/dev", gpu_devices=["/dev/nvidia0"]))
    assert "/run/tutor-dev/dev" not in gpu_argv and gpu_argv[gpu_argv.index("--dev") + 1] == "/dev"
    assert "--dev" in build_argv(_spec())


def test_fake_gpu_nodes_are_found_in_order(tmp_path):
    for name in ("nvidia1", "nvidia0", "nvidia10", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "null"):
        (tmp_path / name).touch()
    nodes = gpu.device_nodes(str(tmp_path))
    assert [Path(n).name for n in nodes] == ["nvidia0", "nvidia1", "nvidia10", "nvidiactl", "nvidia-uvm",
                                            "nvidia-uvm-tools"]


def test_gpu_nodes_are_dev_bound_after_dev_and_sys_is_read_only():
    nodes = ["/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"]
    argv = build_argv(_spec(gpu_devices=nodes, show_sys=True))
    assert _pairs(argv, "--dev-bind") == [(n, n) for n in nodes]
    assert argv.index("--dev") < argv.index("--dev-bind")
    assert ("/sys", "/sys") in _pairs(argv, "--ro-bind")
    assert not any(a == "--bind" and argv[i + 1].startswith("/dev/nvidia") for i, a in enumerate(argv))


def test_cpu_runs_bind_no_devices_and_hide_sys():
    argv = build_argv(_spec())
    assert "--dev-bind" not in argv
    assert ("/sys", "/sys") not in _pairs(argv, "--ro-bind")


def test_visible_devices_prefer_the_runner_setting():
    nodes = ["/dev/nvidia0", "/dev/nvidia1", "/dev/nvidiactl"]
    assert gpu.visible_devices(nodes, None) == "0,1"
    assert gpu.visible_devices(nodes, "1") == "1"


def test_argv_drops_root_with_setpriv_and_no_network():
    argv = build_argv(_spec(drop_to_uid=1234567))
    tail = argv[argv.index("--") + 1:]
    assert tail[:3] == ["/usr/bin/setpriv", "--reuid", "1234567"]
    assert tail[-2:] == ["python", "main.py"]
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in argv
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    assert ("/scratch/lab", "/lab") in _pairs(argv, "--bind")
    assert ("/opt/py/venv", "/opt/py/venv") in _pairs(argv, "--ro-bind")
    # parents of the Python install are made traversable for the dropped uid
    assert ("0755", "--dir") in [(argv[i + 1], argv[i + 2]) for i, a in enumerate(argv) if a == "--perms"]


def test_environment_is_an_allow_list():
    parent = {"PATH": "/x", "LANG": "C.UTF-8", "LC_ALL": "C", "OPENAI_API_KEY": "k", "AWS_ACCESS_KEY_ID": "a",
              "SECRET_API_KEY": "s", "HOME": "/root", "CUDA_VISIBLE_DEVICES": "3"}
    env = lab_env(path="/venv/bin:/usr/bin", home="/tmp", seed=7, run_dir="/lab/runs/r", parent=parent)
    assert env == {"PATH": "/venv/bin:/usr/bin", "LANG": "C.UTF-8", "LC_ALL": "C", "HOME": "/tmp", "SEED": "7",
                   "PYTHONHASHSEED": "7", "TUTOR_RUN_DIR": "/lab/runs/r"}
    gpu_env = lab_env(path="/p", home="/tmp", seed=0, run_dir="/r", parent=parent, cuda_visible_devices="0",
                      model_url="http://127.0.0.1:8000/v1", model_name="m")
    assert gpu_env["CUDA_VISIBLE_DEVICES"] == "0" and gpu_env["OPENAI_BASE_URL"].endswith("/v1")
    assert gpu_env["LAB_MODEL"] == "m"
    assert gpu_env["LAB_BASE_URL"] == gpu_env["OPENAI_BASE_URL"]  # the bridge is the only way out
    lab_settings = lab_env(path="/p", home="/tmp", seed=0, run_dir="/r", parent={
        "LAB_BACKEND": "vllm", "LAB_MODEL": "nemotron", "LAB_API_KEY": "k", "LAB_HF_TOKEN": "t", "LABEL": "x"})
    assert {k: v for k, v in lab_settings.items() if k.startswith("LAB")} == {"LAB_BACKEND": "vllm", "LAB_MODEL": "nemotron"}
    cuda_env = lab_env(path="/p", home="/tmp", seed=0, run_dir="/r", cuda_visible_devices="0",
                       parent={"LD_LIBRARY_PATH": "/usr/local/nvidia/lib64:/root/secret/lib"})
    assert cuda_env["LD_LIBRARY_PATH"] == "/usr/local/nvidia/lib64"
    assert "LD_LIBRARY_PATH" not in env


def test_gpu_memory_falls_back_to_the_device_rise_when_pids_are_not_visible():
    poller = gpu.GpuMemoryPoller(lambda: set())
    poller.baseline_used, poller.device_peak_used, poller.process_peak = 1000 * 2**20, 1512 * 2**20, 0
    poller.stop_event.set()
    assert poller.stop() == (512.0, "NVML device used-memory rise during the run (pids not visible)")
    poller.process_peak = 300 * 2**20
    assert poller.stop()[0] == 300.0


def test_exit_status_and_signals():
    assert exit_and_signal(0, "bubblewrap") == (0, None)
    assert exit_and_signal(-9, "process") == (None, 9)
    assert exit_and_signal(137, "bubblewrap") == (137, 9)
    assert exit_and_signal(137, "process") == (137, None)


def test_a_lab_copy_in_the_sandboxs_own_tmpfs_is_mounted_there_not_bound_from_the_host():
    spec = dict(bwrap="/usr/bin/bwrap", lab_host_dir="/host/scratch/lab", command=["python"], env={},
                system_dirs=[], python_dirs=[], etc_files=[])
    bound, own = build_argv(BwrapSpec(**spec)), build_argv(BwrapSpec(**spec, lab_tmpfs=True))
    assert "/host/scratch/lab" in bound and "/host/scratch/lab" not in own
    at = own.index("/lab")
    assert own[at - 1] == "--tmpfs" and own[at - 3:at - 1] == ["--perms", "0755"]


def test_capture_keeps_the_cap_and_marks_truncation(tmp_path):
    seen = []
    data = io.BufferedReader(io.BytesIO(b"z" * 5000))
    capture = StreamCapture("stdout", data, tmp_path / "out.log", 1000, lambda s, t: seen.append((s, t)))
    capture.run()
    log = (tmp_path / "out.log").read_bytes()
    assert log.startswith(b"z" * 1000) and b"truncated after 1000 bytes" in log
    assert capture.total == 5000 and capture.truncated
    assert "".join(t for _, t in seen).count("z") == 1000


def test_capture_without_overflow_is_not_marked(tmp_path):
    capture = StreamCapture("stderr", io.BufferedReader(io.BytesIO(b"hello\n")), tmp_path / "e.log", 1000, None)
    capture.run()
    assert (tmp_path / "e.log").read_bytes() == b"hello\n" and not capture.truncated


@pytest.mark.parametrize("stream, seen, logged", [
    (b"ready\nlab output\n", True, b"lab output\n"),            # the chain's line, then the lab's
    (b"bwrap: Can't mount tmpfs\n", False, b"bwrap: Can't mount tmpfs\n"),   # the sandbox failed
    (b"", False, b""),                                               # it died silently
])
def test_capture_takes_the_chains_ready_line_and_keeps_anything_else(tmp_path, stream, seen, logged):
    shown = []
    capture = StreamCapture("stdout", io.BufferedReader(io.BytesIO(stream)), tmp_path / "o.log", 1000,
                            lambda s, t: shown.append(t), preamble=b"ready\n")
    capture.run()
    assert capture.ready.is_set() and capture.preamble_seen is seen
    assert (tmp_path / "o.log").read_bytes() == logged and "".join(shown).encode() == logged
    assert capture.total == len(logged)


def test_sandbox_imports_nothing_from_tutor():
    root = Path(__file__).resolve().parents[2] / "sandbox"
    for source in root.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] == "tutor" for a in node.names), source.name
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] != "tutor", source.name
    assert os.path.exists(root / "inner_bridge.py")


def test_live_output_never_splits_a_utf8_character(tmp_path):
    class Chunks(io.RawIOBase):
        def __init__(self):
            self.parts = [b"caf\xc3", b"\xa9 ok\n"]

        def readable(self):
            return True

        def read1(self, n=-1):
            return self.parts.pop(0) if self.parts else b""

    seen = []
    capture = StreamCapture("stdout", Chunks(), tmp_path / "o.log", 1000, lambda s, t: seen.append(t))
    capture.run()
    assert "".join(seen) == "café ok\n"


def test_standalone_entry_point_prints_the_record(make_lab, tmp_path, capsys):
    from sandbox.__main__ import main

    lab = make_lab("print('standalone')\n")
    code = main([str(lab), "--timeout", "20", "--runs-dir", str(tmp_path / "runs"), "--", "python", "main.py"])
    record = __import__("json").loads(capsys.readouterr().out)
    assert code == 0 and record["reason"] == "ok"
    assert Path(record["run_dir"]).parent == tmp_path / "runs"
    assert main([str(lab)]) == 2


def _orphan_and_killed_launcher(token: str):
    """A process that outlived its launcher (as bwrap's namespace init does when bwrap is killed
    mid set-up), and the launcher itself, killed by a signal."""
    import subprocess
    import sys

    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", token])
    launcher = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    launcher.kill()
    launcher.wait()
    return orphan, launcher


def test_sweep_kills_what_a_killed_launcher_left_behind():
    import sys
    import uuid

    from sandbox.cgroups import RunCgroups
    from sandbox.supervise import Supervisor

    token = f"/lab/runs/{uuid.uuid4().hex}"
    orphan, launcher = _orphan_and_killed_launcher(token)
    try:
        bare = Supervisor(proc=launcher, timeout_s=1, grace_s=0.1, cgroups=RunCgroups(), run_uid=2_000_000_000)
        bare.sweep(deadline_s=0.2)
        assert orphan.poll() is None  # by uid alone the orphan (another uid) is invisible
        Supervisor(proc=launcher, timeout_s=1, grace_s=0.1, cgroups=RunCgroups(), run_uid=2_000_000_000,
                   launcher=(sys.executable, token)).sweep(deadline_s=2)
        assert orphan.wait(timeout=5) == -9
    finally:
        orphan.kill()
        orphan.wait()


def test_each_spawn_gets_fresh_descriptors_for_the_generated_etc(monkeypatch):
    """bwrap reads a --file descriptor once; the CUDA pre-flight and the run (or a second spawn
    after a failed mount) each need the whole file."""
    from sandbox import host, launch
    from sandbox.bwrap_args import DATA_FD

    monkeypatch.setattr(host, "bwrap_path", lambda: "/usr/bin/bwrap")
    argv = ["/usr/bin/bwrap", "--file", DATA_FD + "passwd", "/etc/passwd", "--", "python"]
    contents = []
    for _ in range(2):
        hidden, fds = launch.hidden_options(argv, "/lab/runs/x", {"passwd": b"lab:x:7:7::/tmp:/bin/false\n"})
        try:
            options = os.pread(fds[-1], 4096, 0).split(b"\0")
            assert hidden[1:3] == ["--args", str(fds[-1])] and DATA_FD.encode() not in b"".join(options)
            data_fd = int(options[options.index(b"--file") + 1])
            assert data_fd in fds
            contents.append(os.read(data_fd, 4096))
        finally:
            for fd in fds:
                os.close(fd)
    assert contents == [b"lab:x:7:7::/tmp:/bin/false\n"] * 2
