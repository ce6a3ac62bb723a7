"""`tutor grade --backend slurm`: one job array on a real Slurm (.ci/services/slurm.sh); skips
with the reason where none is reachable."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from tutor.grading import grade_many
from tutor.grading import slurm_batch
from tests.grading.grading_support import copy_submission, need_lesson
from tests.sandbox.conftest import slurm_options


@pytest.fixture
def cohort(tmp_path) -> Path:
    need_lesson(1)
    root = tmp_path / "cohort"
    root.mkdir()
    first = copy_submission("lesson_01_strong", root / "learner_0")
    for name in ("learner_1", "learner_2", "fails_once", "always_fails"):
        shutil.copytree(first, root / name)
    (root / "broken_empty").mkdir()
    return root


def test_a_batch_is_one_array_retried_once_and_nothing_is_lost(cohort, settings, tmp_path, monkeypatch):
    options = dataclasses.replace(slurm_options(), array_limit=2)
    monkeypatch.setattr(slurm_batch, "TASK_MODULE", "tests.grading.slurm_flaky_task")
    submitted = []
    real_sbatch = slurm_batch.commands.sbatch
    monkeypatch.setattr(slurm_batch.commands, "sbatch", lambda args, script: submitted.append(args) or real_sbatch(args, script))
    local = grade_many([cohort / "learner_0"], settings=settings, use_judge=False, out=tmp_path / "local")
    result = grade_many([cohort], settings=settings, use_judge=False, out=tmp_path / "out", scheduler="slurm",
                        slurm=options)
    by_name = {r["submission"]["name"]: r for r in result.reports}
    assert set(by_name) == {"learner_0", "learner_1", "learner_2", "fails_once", "always_fails", "broken_empty"}
    for name in ("learner_0", "learner_1", "learner_2", "fails_once"):
        assert by_name[name]["gradable"] and by_name[name]["total"] == local.reports[0]["total"]
        assert by_name[name]["submission"]["path"] == str((cohort / name).absolute())
        assert json.loads((tmp_path / "out" / name / "report.json").read_text())["status"] == "complete"
    assert not by_name["always_fails"]["gradable"]
    assert "failed twice on Slurm" in by_name["always_fails"]["reason"]
    assert not by_name["broken_empty"]["gradable"]           # graded here: it runs no code
    arrays = [next(a for a in args if a.startswith("--array=")) for args in submitted]
    assert len(arrays) == 2 and arrays[0].endswith("%2")     # one array, then one retry of the two failures
    assert arrays[1].split("=")[1].split("%")[0].count(",") == 1
    assert not list(Path(options.shared_dir).glob("tutor-grade-*"))   # removed once all was collected


def test_an_interrupted_batch_picks_up_where_it_stopped(cohort, settings, tmp_path, monkeypatch):
    options = dataclasses.replace(slurm_options(), array_limit=1)
    for name in ("fails_once", "always_fails", "broken_empty"):
        shutil.rmtree(cohort / name)
    seen = []

    def stop_after_first(report, skipped):
        seen.append(report["submission"]["name"])
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade_many([cohort], settings=settings, use_judge=False, out=tmp_path / "out", scheduler="slurm",
                   slurm=options, on_done=stop_after_first)
    assert len(seen) == 1
    again = grade_many([cohort], settings=settings, use_judge=False, out=tmp_path / "out", scheduler="slurm",
                       slurm=options)
    assert again.skipped >= 1                                 # the finished one is not graded again
    assert all(r["gradable"] and r["status"] == "complete" for r in again.reports)
    assert len(again.reports) == 3
    assert not list(Path(options.shared_dir).glob("tutor-grade-*"))
