"""Issue 13: the grader never takes anything under a submission (grading/ included) as its own
state, never writes through a link planted there, and shows a copy of another learner's work."""

from __future__ import annotations

import json
import os
import shutil

from typer.testing import CliRunner

from tutor.cli import app
from tutor.grading import grade_many
from tutor.grading.batch import progress_store_hooks
from tutor.grading.submission import open_submission, safe_io

from tests.grading.grading_support import copy_submission, need_lesson


def invoke(*args):
    return CliRunner().invoke(app, ["grade", *map(str, args)])


def _forge(real_report: dict, target, where) -> None:
    """A complete 100% report claiming target's content hash, lesson and judge."""
    sub = open_submission(target)
    forged = json.loads(json.dumps(real_report))
    forged["submission"].update(name=target.name, path=str(where), content_hash=safe_io.content_hash(sub.root, sub.files))
    forged["total"], forged["passed"] = 1.0, True
    (target / "grading").mkdir(exist_ok=True)
    (target / "grading" / "report.json").write_text(json.dumps(forged))


def test_a_forged_report_in_grading_is_not_reused(strong_lab, weak_lab, tmp_path):
    honest = json.loads(invoke(weak_lab, "--json", "--out", tmp_path / "honest").stdout)["submissions"][0]
    assert honest["total"] < 1.0
    strong = json.loads(invoke(strong_lab, "--json").stdout)["submissions"][0]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _forge(strong, weak_lab, elsewhere)
    result = invoke(weak_lab, "--json", "--format", "gradescope", "--junit", tmp_path / "j.xml")
    data = json.loads(result.stdout)
    # reused from the grader's store (the honest grade of this learner) or regraded: never the forgery
    assert data["submissions"][0]["total"] == honest["total"]
    assert json.loads((weak_lab / "grading" / "report.json").read_text())["total"] == honest["total"]
    assert (weak_lab / "grading" / "results.json").is_file() and not list(elsewhere.iterdir())


def test_reports_are_never_written_through_learner_links(weak_lab, tmp_path):
    victims = {name: tmp_path / f"victim-{name}" for name in ("report.md", "results.json", "report.json")}
    (weak_lab / "grading").mkdir()
    for name, victim in victims.items():
        victim.write_text("host owned")
        os.symlink(victim, weak_lab / "grading" / name)
    result = invoke(weak_lab, "--json", "--format", "gradescope")
    assert result.exit_code in (0, 1), result.output
    assert all(v.read_text() == "host owned" for v in victims.values())
    for name in victims:
        assert not (weak_lab / "grading" / name).is_symlink() and (weak_lab / "grading" / name).stat().st_size > 0
    assert oct((weak_lab / "grading" / "report.json").stat().st_mode & 0o777) == oct(
        (weak_lab / "grading" / "report.md").stat().st_mode & 0o777) == "0o644"


def test_a_grading_link_to_another_folder_gets_nothing(weak_lab, tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    os.symlink(target, weak_lab / "grading")
    result = invoke(weak_lab, "--json", "--format", "gradescope")
    assert list(target.iterdir()) == []
    report = json.loads(result.stdout)["submissions"][0]
    assert any(f["code"] == "report_not_written" for f in report["flags"])


def test_a_copy_of_another_learners_work_is_graded_and_flagged(tmp_path, settings):
    need_lesson(1)
    cohort = tmp_path / "cohort"
    alice = copy_submission("lesson_01_strong", cohort / "alice")
    # through the CLI, as an instructor grades a cohort: alice first, then bob hands in a copy of
    # her whole folder (her grading/ too)
    assert invoke(cohort, "--json", "--no-judge").exit_code in (0, 1)
    shutil.copytree(alice, cohort / "bob")
    result = invoke(cohort, "--json", "--no-judge", "--format", "gradescope")
    data = json.loads(result.stdout)
    by_name = {r["submission"]["name"]: r for r in data["submissions"]}
    assert set(by_name) == {"alice", "bob"}, result.stdout
    for name in ("alice", "bob"):  # each graded in its own right: own report, own Gradescope result
        assert json.loads((cohort / name / "grading" / "report.json").read_text())["submission"]["name"] == name
        assert (cohort / name / "grading" / "results.json").is_file(), name
    assert by_name["bob"]["submission"].get("duplicate_of") == ["alice"]
    assert by_name["alice"]["submission"].get("duplicate_of") == ["bob"]
    assert all(any(f["code"] == "duplicate_submission" for f in r["flags"]) for r in by_name.values())
    from tutor.store import open_store

    store = open_store(settings)
    assert [s["duplicate_of"] for s in store.submissions(learner_id="bob")] == [["alice"]]
    # a later third copy, graded alone, is still found through the store
    shutil.copytree(alice, tmp_path / "carol", ignore=shutil.ignore_patterns("grading"))
    carol = grade_many([tmp_path / "carol"], lesson=1, settings=settings, use_judge=False).reports[0]
    assert carol["submission"]["duplicate_of"] == ["alice", "bob"]


def test_a_report_without_its_store_row_is_regraded_and_recorded(strong_lab, settings):
    """A kill between the report files and the DB row: the next run repairs it."""
    lookup = progress_store_hooks(settings)[1]
    grade_many([strong_lab], settings=settings, use_judge=False, store=lambda report: None, lookup=lookup)
    assert json.loads((strong_lab / "grading" / "report.json").read_text())["status"] == "complete"
    again = grade_many([strong_lab], settings=settings, use_judge=False)
    assert again.skipped == 0
    from tutor.store import open_store

    assert len(open_store(settings).submissions(learner_id=strong_lab.name)) == 1


def test_a_failed_write_leaves_the_old_report_and_no_temp_files(strong_lab, settings, monkeypatch):
    grade_many([strong_lab], settings=settings, use_judge=False)
    folder = strong_lab / "grading"
    before = (folder / "report.json").read_text()
    (folder / ".report-stale.json").write_text("{")  # what a killed writer of old left
    real_replace = os.replace

    def dies(*args, **kwargs):
        raise OSError("killed here")

    monkeypatch.setattr(os, "replace", dies)
    grade_many([strong_lab], settings=settings, use_judge=False, force=True)
    monkeypatch.setattr(os, "replace", real_replace)
    assert (folder / "report.json").read_text() == before
    assert sorted(p.name for p in folder.iterdir()) == ["report.json", "report.md"]


def test_force_regrades_replace_the_stored_grade_instead_of_piling_up(strong_lab, settings):
    for _ in range(3):
        grade_many([strong_lab], settings=settings, use_judge=False, force=True)
    from tutor.store import open_store

    assert len(open_store(settings).submissions(learner_id=strong_lab.name)) == 1


def test_a_deeply_nested_metrics_file_is_one_bad_run_not_a_derailed_grade(strong_lab, tmp_path, settings):
    from tutor.grading import grade_folder

    honest = grade_folder(strong_lab, settings=settings, use_judge=False, write=False)
    bad = strong_lab / "runs" / "run-99"
    bad.mkdir(parents=True)
    (bad / "config.json").write_text('{"seed": 1}')
    (bad / "metrics.json").write_text("[" * 100_000 + "]" * 100_000)
    report = grade_folder(strong_lab, settings=settings, use_judge=False, write=False)
    assert report["total"] == honest["total"]
    assert not [c for c in report["checks"] if c["status"] == "error"]
