"""SIGKILL `tutor grade` over and over, then resume once, and say what each folder was left with.

Kills come two ways: at random moments, and at the moments that matter most, placed there by a
wrapper that SIGKILLs the grader itself on its k-th store write (report on disk, no DB row yet) or
its k-th file rename (report.md written, report.json not yet). Random kills alone rarely land in
those windows; the placed ones always do, so the check can fail on code that is not kill-safe.
Used by tests/grading/test_kill_safety.py (a small batch) and bench/grading_kills.py (40 / 30).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.grading.grading_support import CALIBRATION, REPO

SOURCES = ("lesson_01_strong", "lesson_01_weak", "lesson_01_middling")

# Runs `tutor grade ...`; with TUTOR_KILL_AT=<what>:<k> it SIGKILLs itself at the k-th such call.
WRAPPER = r"""
import os, signal, sys
what, _, k = os.environ.get("TUTOR_KILL_AT", ":0").partition(":")
count = [0]
def dying(real):
    def call(*args, **kwargs):
        count[0] += 1
        if count[0] == int(k):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return call
if what == "record":
    from tutor.store.store import Store
    Store.record_submission = dying(Store.record_submission)
elif what == "replace":
    os.replace = dying(os.replace)
sys.argv = ["tutor", *sys.argv[1:]]
from tutor.cli import main
main()
"""


def make_cohort(root: Path, folders: int) -> Path:
    cohort = root / "cohort"
    for i in range(folders):
        shutil.copytree(CALIBRATION / SOURCES[i % 3], cohort / f"learner_{i:02d}")
    return cohort


def _grade(cohort: Path, kill_at: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "TUTOR_KILL_AT": kill_at or ":0"}
    return subprocess.Popen([sys.executable, "-c", WRAPPER, "grade", str(cohort), "--no-judge", "--workers", "2",
                             "--json"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_then_resume(cohort: Path, kills: int, seed: int = 13, placed_share: float = 0.5) -> dict:
    """`kills` killed runs (a `placed_share` of them at a placed moment), then one resume."""
    rng = random.Random(seed)
    folders = len(list(cohort.iterdir()))
    finished_early = placed = 0
    for _ in range(kills):
        if rng.random() < placed_share:
            placed += 1
            proc = _grade(cohort, f"{rng.choice(['record', 'replace'])}:{rng.randint(1, folders)}")
            try:
                proc.wait(timeout=300)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            finished_early += proc.returncode != -signal.SIGKILL
            continue
        proc = _grade(cohort)
        time.sleep(rng.uniform(0.3, 2.2))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        else:
            finished_early += 1
        proc.wait()
    resumed = _grade(cohort).wait(timeout=600)
    return {"kills": kills, "placed": placed, "finished_before_kill": finished_early, "resume_exit": resumed,
            **inspect(cohort)}


def inspect(cohort: Path) -> dict:
    """Per folder: a complete report.json, a whole report.md, no temp file, one DB row, same total."""
    from tutor.config import load_settings
    from tutor.store import open_store

    rows = open_store(load_settings()).submissions()
    by_learner: dict[str, list[dict]] = {}
    for row in rows:
        by_learner.setdefault(row["learner"], []).append(row)
    problems = []
    folders = sorted(cohort.iterdir())
    for folder in folders:
        grading = folder / "grading"
        try:
            report = json.loads((grading / "report.json").read_text())
        except (OSError, ValueError) as exc:
            problems.append(f"{folder.name}: report.json unreadable ({type(exc).__name__})")
            continue
        if report["status"] != "complete" or report["total"] is None:
            problems.append(f"{folder.name}: report.json {report['status']}")
        md = grading / "report.md"
        if not md.is_file() or not md.read_text().startswith("# Grading report"):
            problems.append(f"{folder.name}: report.md missing or incomplete")
        if sorted(p.name for p in grading.iterdir()) != ["report.json", "report.md"]:
            problems.append(f"{folder.name}: left {sorted(p.name for p in grading.iterdir())}")
        mine = by_learner.get(folder.name, [])
        if len(mine) != 1 or mine[0]["total"] != report["total"]:
            problems.append(f"{folder.name}: {len(mine)} DB rows, totals {[r['total'] for r in mine]} "
                            f"vs report {report['total']}")
    whole = len(folders) - len({p.split(":")[0] for p in problems})
    return {"folders": len(folders), "whole": whole, "db_rows": len(rows), "problems": problems}


def summary(result: dict) -> str:
    return (f"kill test: {result['kills']} SIGKILLs ({result['placed']} placed at a store write or a rename, "
            f"{result['finished_before_kill']} runs finished before their kill), one resume: "
            f"{result['whole']}/{result['folders']} folders whole, {result['db_rows']} DB rows")
