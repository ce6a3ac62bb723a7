"""Before/after on one machine at one time: this checkout against another, runs interleaved.

    python bench/sandbox_ab.py OTHER_CHECKOUT [--repeats 61]
    (e.g. git worktree add /tmp/before HEAD~3, then: python bench/sandbox_ab.py /tmp/before)

On a shared machine the load moves between two separate benchmark runs by more than the change
being measured. Here each checkout's sandbox.run() lives in a worker process of its own (its own
imports) and each round runs bare `python -c pass`, then one run in each worker, in turn; the
medians then saw the same load.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

# One sandboxed `python -c pass` per line read; answers the seconds it took, or the failure.
WORKER = """
import shutil, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import sandbox
from sandbox import Limits, run
print(sandbox.__file__, flush=True)
tmp = Path(tempfile.mkdtemp(prefix="sandbox-ab-"))
(tmp / "lab").mkdir()
for _ in sys.stdin:
    start = time.perf_counter()
    record = run(tmp / "lab", ["python", "-c", "pass"], Limits(timeout_s=60), runs_dir=tmp / "runs")
    took = time.perf_counter() - start
    print(took if record.reason == "ok" else "failed: " + str(record.detail), flush=True)
shutil.rmtree(tmp, ignore_errors=True)
"""


def _worker(checkout: Path) -> subprocess.Popen:
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(checkout)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=checkout)
    imported = Path(worker.stdout.readline().strip())
    if checkout not in imported.parents:
        worker.kill()
        raise SystemExit(f"sandbox_ab: the worker for {checkout} imported {imported}")
    return worker


def _one(worker: subprocess.Popen) -> float:
    worker.stdin.write("run\n")
    worker.stdin.flush()
    answer = worker.stdout.readline().strip()
    try:
        return float(answer)
    except ValueError:
        raise SystemExit(f"sandboxed run failed: {answer or 'worker exited'}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other checkout (its sandbox/ is imported)")
    parser.add_argument("--repeats", type=int, default=61)
    args = parser.parse_args(argv)
    if not (args.other / "sandbox" / "__init__.py").is_file():
        print(f"sandbox_ab: {args.other} has no sandbox/ package", file=sys.stderr)
        return 2
    from sandbox import host

    python = host.real_python()
    workers = {"other": _worker(args.other.resolve()), "this": _worker(HERE)}
    samples: dict[str, list[float]] = {"bare": [], "other": [], "this": []}
    try:
        for name in workers:
            _one(workers[name])  # warm-up
        for _ in range(args.repeats):
            start = time.perf_counter()
            subprocess.run([python, "-c", "pass"], check=True)
            samples["bare"].append(time.perf_counter() - start)
            for name, worker in workers.items():
                samples[name].append(_one(worker))
    finally:
        for worker in workers.values():
            worker.stdin.close()
            worker.wait()
    bare = statistics.median(samples["bare"])
    print(f"{args.repeats} rounds, medians; bare python -c pass {bare * 1000:.1f} ms")
    for name, label in (("other", f"other ({args.other})"), ("this", f"this ({HERE})")):
        median = statistics.median(samples[name])
        print(f"  {label:40s} run() {median * 1000:7.1f} ms  overhead +{(median - bare) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
