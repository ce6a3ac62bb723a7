"""GPU pass-through on a real GPU (skipped cleanly without /dev/nvidia0)."""

from __future__ import annotations

import pytest

from sandbox import Limits, run
from tests.sandbox.conftest import HAS_GPU, requires_bwrap

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not HAS_GPU, reason="no NVIDIA GPU (/dev/nvidia0) on this host")]


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
