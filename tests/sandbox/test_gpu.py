"""GPU pass-through on a real GPU (skipped cleanly without /dev/nvidia0)."""

from __future__ import annotations

import pytest

from sandbox import Limits, run
from sandbox.runner import RUN_MEMORY_WATCHDOG
from tests.sandbox.conftest import HAS_GPU, requires_bwrap

needs_gpu = [pytest.mark.gpu, pytest.mark.skipif(not HAS_GPU, reason="no NVIDIA GPU (/dev/nvidia0) on this host")]


@needs_gpu[0]
@needs_gpu[1]
@requires_bwrap
def test_gpu_run_sees_cuda_and_records_the_gpu(make_lab):
    lab = make_lab("""
        import ctypes
        cuda = ctypes.CDLL("libcuda.so.1")
        assert cuda.cuInit(0) == 0
        print("cuda ok")
    """)
    record = run(lab, ["python", "main.py"], Limits(timeout_s=120), gpu=True)
    assert record.reason == "ok", record.detail
    assert record.gpu and record.gpu.get("devices"), record.gpu
    assert "CUDA_VISIBLE_DEVICES" in record.env_keys


@needs_gpu[0]
@needs_gpu[1]
@requires_bwrap
def test_gpu_matmul_peak_memory_is_recorded(make_lab):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch here has no CUDA build")
    lab = make_lab("""
        import torch, time
        x = torch.randn(4096, 4096, device="cuda")
        for _ in range(20):
            y = x @ x
        torch.cuda.synchronize(); time.sleep(0.5)
        print(float(y.sum()))
    """)
    record = run(lab, ["python", "main.py"], Limits(timeout_s=300, memory_mb=16384), gpu=True)
    assert record.reason == "ok", record.detail
    assert record.peak_gpu_memory_mb and record.peak_gpu_memory_mb > 64
    assert record.mechanisms["memory"] != "RLIMIT_AS"


@pytest.mark.skipif(HAS_GPU, reason="checks the behaviour on a host without a GPU")
@pytest.mark.parametrize("backend", [pytest.param("bubblewrap", marks=requires_bwrap), "process"])
def test_gpu_run_without_cuda_fails_clearly_before_the_lab_starts(make_lab, backend):
    lab = make_lab("open('started', 'w').write('yes')\n")
    record = run(lab, ["python", "main.py"], Limits(timeout_s=60), gpu=True, backend=backend)
    assert record.reason == "error"
    assert record.detail.startswith("CUDA is not visible inside the sandbox")
    assert record.exit_code is None and not record.logs  # the lab never ran
    assert record.mechanisms["memory"] != "RLIMIT_AS"


MEMORY_HOG = """
import time
hoard = []
for _ in range(40):
    hoard.append(bytearray(16 * 1024 * 1024))  # touched pages: resident, not just reserved
    time.sleep(0.02)
time.sleep(5)
"""


def _pretend_cuda_is_visible(monkeypatch):
    from sandbox import runner

    monkeypatch.setattr(runner, "_cuda_preflight", lambda plan, limits: None)
    monkeypatch.setattr(runner.gpu_support, "device_nodes", lambda: [])


@pytest.mark.parametrize("backend", [pytest.param("bubblewrap", marks=requires_bwrap), "process"])
def test_gpu_runs_bound_memory_without_rlimit_as(make_lab, monkeypatch, backend):
    """CUDA reserves huge address space, so GPU runs use a cgroup limit or the RSS watchdog."""
    _pretend_cuda_is_visible(monkeypatch)
    record = run(make_lab(MEMORY_HOG), ["python", "main.py"], Limits(timeout_s=20, memory_mb=200), gpu=True,
                 backend=backend)
    assert record.mechanisms["memory"] != "RLIMIT_AS"
    assert record.reason == "memory", (record.detail, record.mechanisms)
    assert record.duration_s < 10


def test_gpu_runs_fall_back_to_the_rss_watchdog_without_a_memory_cgroup(make_lab, monkeypatch):
    from sandbox import runner
    from sandbox.cgroups import RunCgroups

    _pretend_cuda_is_visible(monkeypatch)
    real_create = RunCgroups.create.__func__
    monkeypatch.setattr(runner.RunCgroups, "create",
                        classmethod(lambda cls, name, procs, memory: real_create(cls, name, procs, None)))
    record = run(make_lab(MEMORY_HOG), ["python", "main.py"], Limits(timeout_s=20, memory_mb=200), gpu=True,
                 backend="process")
    assert record.mechanisms["memory"].startswith(RUN_MEMORY_WATCHDOG)
    assert record.reason == "memory" and "past the run's memory limit" in record.detail
