"""The Slurm backend against the local one, side by side in one run.

    .venv/bin/python bench/slurm_overhead.py [--repeats 5] [--folders 40] [--concurrency 4] [--json]
    (also: .venv/bin/python bench/sandbox_overhead.py --backend slurm)

1. Start overhead: `python -c pass` through sandbox.run locally and as a Slurm job (interleaved,
   median of --repeats): end to end, submit-to-start (sbatch until the runner starts on the node)
   and Slurm's own queue wait (StartTime - SubmitTime, whole seconds) reported separately.
2. A --folders `tutor grade --smoke --no-judge` batch (copies of the lesson 1 strong calibration
   submission): local with --concurrency workers vs one Slurm job array with %concurrency; the
   array's per-task queue waits are reported separately.
Needs a reachable Slurm and TUTOR_SLURM_SHARED_DIR (.ci/services/slurm.sh starts one).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import Limits, run  # noqa: E402
from sandbox.slurm import SlurmOptions, commands  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "rubrics" / "calibration" / "lesson_01_strong"


def start_overhead(tmp: Path, repeats: int, options: SlurmOptions) -> dict:
    lab = tmp / "lab"
    lab.mkdir()
    runs = tmp / "runs"
    local, slurm, to_start, waits = [], [], [], []
    for i in range(repeats + 1):
        t = time.perf_counter()
        assert run(lab, ["python", "-c", "pass"], Limits(timeout_s=60), runs_dir=runs).ok
        local_s = time.perf_counter() - t
        t = time.perf_counter()
        record = run(lab, ["python", "-c", "pass"], Limits(timeout_s=60), runs_dir=runs, scheduler="slurm",
                     slurm=options)
        slurm_s = time.perf_counter() - t
        assert record.ok, record.detail
        if i == 0:
            continue  # warm-up
        local.append(local_s)
        slurm.append(slurm_s)
        to_start.append(record.scheduler["submit_to_start_s"])
        waits.append(record.scheduler["queue_wait_s"])
    med = statistics.median
    return {"repeats": repeats, "local_s": round(med(local), 4), "slurm_s": round(med(slurm), 4),
            "overhead_s": round(med(slurm) - med(local), 3), "submit_to_start_s": round(med(to_start), 3),
            "queue_wait_s_slurm": med(waits), "poll_s": options.poll_s}


def grading(tmp: Path, folders: int, concurrency: int, options: SlurmOptions) -> dict:
    from tutor.config import load_settings
    from tutor.grading import grade_many
    from tutor.grading import slurm_batch

    cohort = tmp / "cohort"
    cohort.mkdir()
    for i in range(folders):
        shutil.copytree(SOURCE, cohort / f"learner_{i:03d}")
    settings = load_settings(course=str(REPO))
    jobs: list[str] = []
    real_sbatch = slurm_batch.commands.sbatch

    def sbatch(args, script):
        jobs.append(real_sbatch(args, script))
        return jobs[-1]

    slurm_batch.commands.sbatch = sbatch
    out = {}
    for name, kw in [("local", {"workers": concurrency}),
                     ("slurm", {"scheduler": "slurm", "slurm": dataclasses.replace(options, array_limit=concurrency)})]:
        target = tmp / f"out-{name}"
        started = time.perf_counter()
        result = grade_many([cohort], settings=settings, use_judge=False, smoke=True, force=True, out=target, **kw)
        out[f"{name}_s"] = round(time.perf_counter() - started, 2)
        out[f"{name}_gradable"] = sum(r["gradable"] for r in result.reports)
        out[f"{name}_totals"] = sorted({r["total"] for r in result.reports if r["gradable"]})
    slurm_batch.commands.sbatch = real_sbatch
    waits = []
    for job in jobs:
        infos, _ = commands.job_infos(job)
        waits += [i.queue_wait_s for i in infos if i.queue_wait_s is not None]
    out.update(folders=folders, concurrency=concurrency, arrays=len(jobs),
               queue_wait_s={"median": statistics.median(waits) if waits else None,
                             "max": max(waits) if waits else None, "tasks": len(waits)})
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--folders", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    options = SlurmOptions.from_env()
    if not options.shared_dir or commands.missing_tools():
        sys.exit("bench: needs Slurm's commands and TUTOR_SLURM_SHARED_DIR (source .ci/services/slurm.sh)")
    results = {"cpus": os.cpu_count(), "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="tutor-bench-slurm-") as tmp:
        os.environ.setdefault("TUTOR_HOME", str(Path(tmp) / "home"))
        results["start"] = start_overhead(Path(tmp), args.repeats, options)
        results["grading"] = grading(Path(tmp), args.folders, args.concurrency, options)
    results["load_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    s, g = results["start"], results["grading"]
    print(f"python -c pass, median of {s['repeats']}: local {s['local_s']:.3f} s, slurm {s['slurm_s']:.3f} s "
          f"(+{s['overhead_s']:.3f} s); submit-to-start {s['submit_to_start_s']:.3f} s, "
          f"Slurm queue wait {s['queue_wait_s_slurm']} s (poll every {s['poll_s']} s)")
    print(f"grade --smoke --no-judge, {g['folders']} folders, {g['concurrency']} at once: local {g['local_s']} s, "
          f"slurm {g['slurm_s']} s ({g['arrays']} array(s)); queue wait per task: median "
          f"{g['queue_wait_s']['median']} s, max {g['queue_wait_s']['max']} s over {g['queue_wait_s']['tasks']} tasks")
    print(f"gradable: local {g['local_gradable']}, slurm {g['slurm_gradable']}; totals local {g['local_totals']}, "
          f"slurm {g['slurm_totals']}; load {results['load_before']} -> {results['load_after']} on {results['cpus']} CPUs")


if __name__ == "__main__":
    main()
