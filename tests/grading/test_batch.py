"""A cohort: 50 folders with 5 broken ones, skipping unchanged work, restarting a batch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tutor.grading import BadInput, grade_many
from tutor.grading.batch import discover

from tests.grading.grading_support import copy_submission, need_lesson

BROKEN = {"broken_empty", "lesson_99_unknown", "broken_link", "broken_nothing", "broken_no_lesson"}


@pytest.fixture
def cohort(tmp_path) -> Path:
    need_lesson(1)
    root = tmp_path / "cohort"
    root.mkdir()
    first = copy_submission("lesson_01_strong", root / "learner_00")
    for i in range(1, 45):
        shutil.copytree(first, root / f"learner_{i:02d}")
    (root / "broken_empty").mkdir()
    (root / "lesson_99_unknown").mkdir()
    (root / "lesson_99_unknown" / "notes.md").write_text("## What I expected\nsomething\n")
    (root / "broken_link").symlink_to(first)
    (root / "broken_nothing").mkdir()
    (root / "broken_nothing" / "photo.txt").write_text("not a lab")
    (root / "broken_no_lesson").mkdir()
    (root / "broken_no_lesson" / "notes.md").write_text("## What I expected\nsomething\n")
    return root


def test_fifty_folders_with_five_broken_grade_45_and_report_5(cohort, settings, tmp_path):
    result = grade_many([cohort], settings=settings, use_judge=False, workers=4, out=tmp_path / "out")
    assert len(result.reports) == 50
    gradable = [r for r in result.reports if r["gradable"]]
    broken = {r["submission"]["name"]: r["reason"] for r in result.reports if not r["gradable"]}
    assert len(gradable) == 45 and set(broken) == BROKEN
    assert all(reason for reason in broken.values())
    assert all(r["total"] == gradable[0]["total"] and r["status"] == "complete" for r in gradable)
    assert (tmp_path / "out" / "broken_empty" / "report.json").is_file()


def test_unchanged_submissions_are_skipped_and_edited_ones_regraded(cohort, settings):
    grade_many([cohort], settings=settings, use_judge=False, workers=2)
    notes = cohort / "learner_07" / "notes.md"
    notes.write_text(notes.read_text() + "\nOne more measured sentence: run-01 gave 1.000.\n")
    again = grade_many([cohort], settings=settings, use_judge=False, workers=2)
    assert again.skipped == 44
    forced = grade_many([cohort], settings=settings, use_judge=False, workers=2, force=True)
    assert forced.skipped == 0


def test_a_restarted_batch_only_grades_what_is_left(cohort, settings):
    first_half = sorted(p for p in cohort.iterdir() if p.name.startswith("learner_"))[:20]
    grade_many(first_half, settings=settings, use_judge=False, workers=2)  # then "interrupted"
    seen = []
    rest = grade_many([cohort], settings=settings, use_judge=False, workers=2,
                      on_done=lambda report, skipped: seen.append((report["submission"]["name"], skipped)))
    assert rest.skipped == 20
    regraded = {name for name, skipped in seen if not skipped}
    assert regraded.isdisjoint({p.name for p in first_half}) and len(regraded) == 30


def test_an_interrupt_stops_the_queue_and_a_rerun_finishes_the_rest(cohort, settings):
    count = []

    def interrupt_after_five(report, skipped):
        if report["submission"]["name"].startswith("learner_"):
            count.append(report)
        if len(count) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade_many([cohort], settings=settings, use_judge=False, workers=1, on_done=interrupt_after_five)
    finished = sum((p / "grading" / "report.json").is_file() for p in cohort.iterdir() if p.name.startswith("learner_"))
    assert 5 <= finished < 45
    rest = grade_many([cohort], settings=settings, use_judge=False, workers=2)
    assert finished <= rest.skipped <= finished + 1  # the one folder in flight may finish after the interrupt
    assert rest.skipped < 45
    assert sum(r["gradable"] for r in rest.reports) == 45


def test_a_grader_crash_in_one_folder_does_not_stop_the_batch(cohort, settings, monkeypatch):
    from tutor.grading import batch

    real = batch.grade_folder

    def flaky(path, **kw):
        if Path(path).name == "learner_03":
            raise MemoryError("simulated")
        return real(path, **kw)

    monkeypatch.setattr(batch, "grade_folder", flaky)
    result = grade_many([cohort], settings=settings, use_judge=False, workers=3)
    crashed = next(r for r in result.reports if r["submission"]["name"] == "learner_03")
    assert not crashed["gradable"] and "MemoryError" in crashed["reason"]
    assert sum(r["gradable"] for r in result.reports) == 44


def test_discover_takes_a_lab_folder_itself_or_a_directory_of_them(cohort):
    assert discover([cohort / "learner_00"]) == [cohort / "learner_00"]
    assert len(discover([cohort])) == 50
    with pytest.raises(BadInput):
        discover([cohort / "missing"])
    (cohort / "learner_00" / "notes.md").unlink()
    (cohort / "learner_00" / "starter.py").unlink()
    shutil.rmtree(cohort / "learner_00" / "runs")
    (cohort / "learner_00" / "lab.toml").unlink()
    (cohort / "learner_00" / "photo.txt").write_text("not a lab")
    with pytest.raises(BadInput, match="neither a lab folder"):
        discover([cohort / "learner_00"])


def test_results_go_to_the_progress_store_when_it_exists(cohort, settings):
    store = pytest.importorskip("tutor.store")
    from tutor.grading.batch import progress_store_hooks
    from tutor.grading.submission import open_submission, safe_io

    hooks = progress_store_hooks(settings)
    grade_many([cohort / "learner_00"], settings=settings, use_judge=False, store=hooks.record, lookup=hooks.lookup)
    sub = open_submission(cohort / "learner_00")
    assert store.open_store(settings).find_submission(safe_io.content_hash(sub.root, sub.files), 1)


def test_a_report_found_in_the_store_skips_regrading(cohort, settings, tmp_path):
    first = grade_many([cohort / "learner_00"], settings=settings, use_judge=False, out=tmp_path / "a")
    saved = {"report": first.reports[0]}
    again = grade_many([cohort / "learner_00"], settings=settings, use_judge=False, out=tmp_path / "b",
                       lookup=lambda content_hash, lesson, learner: saved)
    assert again.skipped == 1
    # the files are rewritten from the store: a report lost or changed on disk is repaired
    assert json.loads((tmp_path / "b" / "learner_00" / "report.json").read_text())["total"] == first.reports[0]["total"]
