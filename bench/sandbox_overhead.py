"""Overhead of the sandbox against a bare process, in one run.

    .venv/bin/python bench/sandbox_overhead.py [--repeats 15] [--backend auto] [--json]
    .venv/bin/python bench/sandbox_overhead.py --phases     (also: where run()'s time goes)
    .venv/bin/python bench/sandbox_ab.py OTHER_CHECKOUT   (before/after, interleaved in one loop)
    .venv/bin/python bench/bwrap_options.py   (what each group of bwrap options costs)
    .venv/bin/python bench/sandbox_overhead.py --backend slurm [...]   (bench/slurm_overhead.py)

For `python -c pass` and a one-second CPU job it times (median of --repeats, after a warm-up):
bare subprocess, the bubblewrap command alone (namespaces + the uid switch, no bookkeeping), and the
full sandbox.run() (scratch copy, tmpfs, cgroups, limits, capture, supervision, run.json).
Goal: full run() under +15 ms over bare.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import Limits, host, run  # noqa: E402

CPU_JOB = "import time\nend = time.process_time() + 1.0\nwhile time.process_time() < end:\n    pass\n"


def timed(fn, repeats: int) -> float:
    return interleaved([fn], repeats)[0]


def interleaved(fns, repeats: int) -> list[float]:
    """Median wall time of each fn, alternating them so load from other work hits all alike."""
    for fn in fns:
        fn()  # warm-up: page cache, cached host probes
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, bucket in zip(fns, samples):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return [statistics.median(bucket) for bucket in samples]


def main() -> None:
    if "--backend" in sys.argv and sys.argv[sys.argv.index("--backend") + 1:][:1] == ["slurm"]:
        from slurm_overhead import main as slurm_main  # local vs Slurm: bench/slurm_overhead.py

        rest = sys.argv[1:]
        at = rest.index("--backend")
        return slurm_main(rest[:at] + rest[at + 2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--cpu-repeats", type=int, default=3)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--phases", action="store_true", help="time run()'s phases (bench/sandbox_phases.py)")
    args = parser.parse_args()

    python = host.real_python()
    results = {"python": python, "backend": None, "host_bwrap_problem": host.bwrap_problem(), "cases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        lab = Path(tmp) / "lab"
        lab.mkdir()
        (lab / "job.py").write_text(CPU_JOB)
        runs_dir = Path(tmp) / "runs"
        probe = run(lab, ["python", "-c", "pass"], Limits(timeout_s=60), backend=args.backend, runs_dir=runs_dir)
        results["backend"] = probe.backend
        results["mechanisms"] = probe.mechanisms
        bwrap_prefix = _bwrap_prefix(probe)
        for name, command, repeats in [("python -c pass", ["-c", "pass"], args.repeats),
                                       ("1 s CPU job", [str(lab / "job.py")], args.cpu_repeats)]:
            sandboxed_cmd = ["python", *command] if name.startswith("python") else ["python", "job.py"]
            bare, full = interleaved([
                lambda: subprocess.run([python, *command], check=True),
                lambda: _check(run(lab, sandboxed_cmd, Limits(timeout_s=60), backend=args.backend, runs_dir=runs_dir)),
            ], repeats)
            case = {"bare_s": round(bare, 4), "sandbox_run_s": round(full, 4),
                    "overhead_ms": round((full - bare) * 1000, 1), "ratio": round(full / bare, 3)}
            if bwrap_prefix and name.startswith("python"):
                only = timed(lambda: subprocess.run(bwrap_prefix + [python, "-c", "pass"], check=True), repeats)
                case["bwrap_only_s"] = round(only, 4)
                case["bwrap_only_overhead_ms"] = round((only - bare) * 1000, 1)
            results["cases"][name] = case
        if args.phases:
            results["phases_ms"] = _phases(lab, runs_dir, args)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"backend: {results['backend']}  python: {python}")
    for label, ms in results.get("phases_ms", {}).items():
        print(f"  phase {label:40s} {ms:7.2f} ms")
    for name, case in results["cases"].items():
        extra = f", bwrap alone +{case['bwrap_only_overhead_ms']} ms" if "bwrap_only_overhead_ms" in case else ""
        print(f"{name:16s} bare {case['bare_s'] * 1000:8.1f} ms  sandbox {case['sandbox_run_s'] * 1000:8.1f} ms  "
              f"overhead +{case['overhead_ms']} ms  ratio {case['ratio']}{extra}")


def _phases(lab, runs_dir, args) -> dict[str, float]:
    """Median ms per phase of `python -c pass` runs (bench/sandbox_phases.py)."""
    from sandbox_phases import report, timed_phases

    python, bare, whole = host.real_python(), [], []
    with timed_phases() as samples:
        for _ in range(args.repeats):  # bare runs interleaved: the same load for both
            start = time.perf_counter()
            subprocess.run([python, "-c", "pass"], check=True)
            middle = time.perf_counter()
            _check(run(lab, ["python", "-c", "pass"], Limits(timeout_s=60), backend=args.backend, runs_dir=runs_dir))
            bare.append(middle - start)
            whole.append(time.perf_counter() - middle)
    rows = dict(report(samples, args.repeats))
    rows["whole run() (same loop)"] = round(statistics.median(whole) * 1000, 2)
    rows["bare python -c pass (same loop)"] = round(statistics.median(bare) * 1000, 2)
    return rows


def _check(record):
    if record.reason != "ok":
        raise SystemExit(f"sandboxed run failed: {record.reason} {record.detail}")


def _bwrap_prefix(record) -> list[str] | None:
    """The namespaces alone: bwrap with a read-only system and the dropped uid, nothing else."""
    if record.backend != "bubblewrap":
        return None
    from sandbox import launch, userns
    from sandbox.bwrap_args import BwrapSpec, build_argv

    shared = userns.path() if host.is_root() else None    # as run() does: bwrap switches uid there
    spec = BwrapSpec(bwrap=host.bwrap_path(), lab_host_dir=tempfile.gettempdir(), command=[], env={"PATH": "/usr/bin"},
                     system_dirs=list(host.SYSTEM_DIRS), python_dirs=list(host.python_prefixes()), etc_files=[],
                     drop_to_uid=userns.RUN_UID_BASE if host.is_root() else None,
                     userns_fd=userns.USERNS_FD if shared else None, setpriv=host.setpriv_path() or "setpriv",
                     userns_uid=None if host.is_root() else 65534)
    return launch.with_userns(build_argv(spec), shared)


if __name__ == "__main__":
    main()
