"""Grading throughput: deterministic checks on synthetic folders, and the judge pipeline.

    python bench/grading.py [--folders 200] [--latency 0.2] [--judge-folders 16] [--samples 3] [--json]

1. Deterministic: copies of the lesson 1 strong calibration submission, graded with
   ``--no-judge`` semantics at 1 and 2 workers (this machine has 2 cores); folders per second.
2. Judge: a ReplayModel that sleeps ``--latency`` seconds per call stands in for the model
   (5 criteria x ``--samples`` calls per folder), at 1, 4 and 16 workers; folders per
   second and model calls per second. Reports go to a temp dir (``--out``), never the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tutor.config import load_settings  # noqa: E402
from tutor.grading import grade_many  # noqa: E402
from tutor.llm.replay import ReplayModel  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "rubrics" / "calibration" / "lesson_01_strong"
REPLY = json.dumps({"level": 3, "rationale": "bench", "evidence": ["2.436 at 800"]})


def make_cohort(root: Path, count: int) -> Path:
    cohort = root / "cohort"
    cohort.mkdir()
    for i in range(count):
        shutil.copytree(SOURCE, cohort / f"learner_{i:03d}")
    return cohort


def timed(cohort: Path, out: Path, settings, **kw) -> tuple[float, int]:
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    result = grade_many([cohort], settings=settings, out=out, force=True, **kw)
    elapsed = time.perf_counter() - started
    assert all(r["gradable"] for r in result.reports)
    return elapsed, len(result.reports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folders", type=int, default=200)
    parser.add_argument("--judge-folders", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per replayed model call")
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    settings = load_settings(course=str(REPO))
    results: dict = {"cpus": os.cpu_count(), "deterministic": [], "judge": []}
    with tempfile.TemporaryDirectory(prefix="tutor-bench-grading-") as tmp:
        tmp = Path(tmp)
        cohort = make_cohort(tmp, args.folders)
        for workers in (1, 2):
            elapsed, n = timed(cohort, tmp / "out", settings, use_judge=False, workers=workers)
            results["deterministic"].append({"workers": workers, "folders": n, "seconds": round(elapsed, 3),
                                             "folders_per_s": round(n / elapsed, 1)})
        (tmp / "j").mkdir()
        judge_cohort = make_cohort(tmp / "j", args.judge_folders)
        calls_per_folder = 5 * args.samples
        for workers in (1, 4, 16):
            model = ReplayModel.from_texts(REPLY, delay=args.latency)
            elapsed, n = timed(judge_cohort, tmp / "out-j", settings, judge=model, workers=workers,
                               samples=args.samples)
            results["judge"].append({"workers": workers, "folders": n, "latency_s": args.latency,
                                     "calls": len(model.calls), "seconds": round(elapsed, 3),
                                     "folders_per_s": round(n / elapsed, 2),
                                     "calls_per_s": round(len(model.calls) / elapsed, 1),
                                     "expected_calls": n * calls_per_folder})
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"deterministic grading, {args.folders} synthetic lesson 1 folders ({results['cpus']} CPUs):")
    for row in results["deterministic"]:
        print(f"  workers={row['workers']:>2}: {row['folders_per_s']:>7.1f} folders/s ({row['seconds']} s)")
    print(f"judge pipeline, {args.judge_folders} folders x 5 criteria x {args.samples} samples, "
          f"replay latency {args.latency} s/call:")
    for row in results["judge"]:
        print(f"  workers={row['workers']:>2}: {row['folders_per_s']:>6.2f} folders/s, "
              f"{row['calls_per_s']:>6.1f} calls/s ({row['seconds']} s, {row['calls']} calls)")


if __name__ == "__main__":
    main()
