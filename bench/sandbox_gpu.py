"""GPU throughput inside the sandbox against a bare process (run by hand on an NVIDIA host).

    python bench/sandbox_gpu.py [--size 8192] [--iters 200] [--dtype bfloat16] [--json]

Runs the same CUDA matmul lab twice, bare and with `sandbox.run(..., gpu=True)`, and prints
both throughputs (TFLOP/s), their ratio (goal: >= 0.95) and what the run record holds about
the GPU (name, driver, CUDA) and its peak GPU memory. Needs torch with CUDA.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import Limits, host, run  # noqa: E402

MATMUL_LAB = """
import json, os, sys, time
import torch
size, iters, dtype = int(sys.argv[1]), int(sys.argv[2]), getattr(torch, sys.argv[3])
assert torch.cuda.is_available(), "CUDA not visible"
a = torch.randn(size, size, device="cuda", dtype=dtype)
b = torch.randn(size, size, device="cuda", dtype=dtype)
for _ in range(10):
    a @ b
torch.cuda.synchronize()
start = time.perf_counter()
for _ in range(iters):
    a @ b
torch.cuda.synchronize()
seconds = time.perf_counter() - start
metrics = {"tflops": 2 * size**3 * iters / seconds / 1e12, "seconds": seconds,
           "device": torch.cuda.get_device_name(0), "max_allocated_mb": torch.cuda.max_memory_allocated() / 2**20}
run_dir = os.environ.get("TUTOR_RUN_DIR", ".")
os.makedirs(run_dir, exist_ok=True)
with open(os.path.join(run_dir, "metrics.json"), "w") as out:
    json.dump(metrics, out)
print(json.dumps(metrics))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8192)
    parser.add_argument("--iters", type=int, default=200)
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--repeats", type=int, default=3, help="best of N for each side")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not os.path.exists("/dev/nvidia0"):
        raise SystemExit("no NVIDIA GPU here (/dev/nvidia0 missing): run this on a GPU host")

    lab_args = [str(args.size), str(args.iters), args.dtype]
    with tempfile.TemporaryDirectory() as tmp:
        lab = Path(tmp) / "lab"
        lab.mkdir()
        (lab / "matmul.py").write_text(MATMUL_LAB)
        bare = []
        for _ in range(args.repeats):
            done = subprocess.run([host.real_python(), "matmul.py", *lab_args], cwd=lab, capture_output=True,
                                  text=True, env={**os.environ, "TUTOR_RUN_DIR": str(Path(tmp) / "bare")}, check=True)
            bare.append(json.loads(done.stdout.strip().splitlines()[-1])["tflops"])
        sandboxed, record = [], None
        for _ in range(args.repeats):
            record = run(lab, ["python", "matmul.py", *lab_args], Limits(timeout_s=600, memory_mb=65536),
                         gpu=True, runs_dir=Path(tmp) / "runs")
            if record.reason != "ok":
                raise SystemExit(f"sandboxed run failed: {record.reason}: {record.detail}\n"
                                 + Path(record.logs.get("stderr", "/dev/null")).read_text()[-2000:])
            sandboxed.append(record.metrics["tflops"])
    result = {"command": " ".join(sys.argv), "bare_tflops": round(max(bare), 2),
              "sandbox_tflops": round(max(sandboxed), 2), "ratio": round(max(sandboxed) / max(bare), 4),
              "goal": ">= 0.95", "gpu": record.gpu, "peak_gpu_memory_mb": record.peak_gpu_memory_mb,
              "lab_max_allocated_mb": round(record.metrics["max_allocated_mb"], 1),
              "memory_mechanism": record.mechanisms.get("memory"), "backend": record.backend}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"bare {result['bare_tflops']} TFLOP/s, sandbox {result['sandbox_tflops']} TFLOP/s, "
          f"ratio {result['ratio']} (goal >= 0.95)")
    print(f"gpu: {json.dumps(result['gpu'])}")
    print(f"peak GPU memory of the run: {result['peak_gpu_memory_mb']} MiB "
          f"(torch max allocated {result['lab_max_allocated_mb']} MiB); memory limit by {result['memory_mechanism']}")


if __name__ == "__main__":
    main()
