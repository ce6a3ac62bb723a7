"""Issue 13: `tutor grade` killed with SIGKILL at any moment leaves the old state or the new one.

30 random SIGKILLs of a 40-folder batch, then one resume: every folder has a complete
report.json and a report.md, no temp file is left, and the store holds exactly one row per
folder with the same total as its report.json.
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

from tests.grading.grading_support import CALIBRATION, REPO, need_lesson

KILLS, FOLDERS = 30, 40
SOURCES = ("lesson_01_strong", "lesson_01_weak", "lesson_01_middling")


def _grade(cohort) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tutor", "grade", str(cohort), "--no-judge", "--workers", "2",
                             "--json"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_thirty_sigkills_then_one_resume_leave_every_folder_whole(tmp_path, capsys):
    need_lesson(1)
    cohort = tmp_path / "cohort"
    for i in range(FOLDERS):
        shutil.copytree(CALIBRATION / SOURCES[i % 3], cohort / f"learner_{i:02d}")
    rng = random.Random(13)
    finished_early = 0
    for _ in range(KILLS):
        proc = _grade(cohort)
        time.sleep(rng.uniform(0.3, 2.2))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        else:
            finished_early += 1
        proc.wait()
    assert _grade(cohort).wait(timeout=300) in (0, 1)

    from tutor.config import load_settings
    from tutor.store import open_store

    rows = open_store(load_settings()).submissions()
    by_learner: dict[str, list[dict]] = {}
    for row in rows:
        by_learner.setdefault(row["learner"], []).append(row)
    problems = []
    for folder in sorted(cohort.iterdir()):
        grading = folder / "grading"
        report = json.loads((grading / "report.json").read_text())
        if report["status"] != "complete" or report["total"] is None:
            problems.append(f"{folder.name}: report.json {report['status']}")
        if not (grading / "report.md").read_text().startswith("# Grading report"):
            problems.append(f"{folder.name}: report.md incomplete")
        if sorted(p.name for p in grading.iterdir()) != ["report.json", "report.md"]:
            problems.append(f"{folder.name}: left {sorted(p.name for p in grading.iterdir())}")
        mine = by_learner.get(folder.name, [])
        if len(mine) != 1 or mine[0]["total"] != report["total"]:
            problems.append(f"{folder.name}: {len(mine)} DB rows, totals {[r['total'] for r in mine]} "
                            f"vs report {report['total']}")
    with capsys.disabled():
        print(f"\nkill test: {KILLS} SIGKILLs ({finished_early} runs finished before their kill), one resume: "
              f"{FOLDERS - len({p.split(':')[0] for p in problems})}/{FOLDERS} folders whole, {len(rows)} DB rows")
    assert not problems, problems
    assert len(rows) == FOLDERS
