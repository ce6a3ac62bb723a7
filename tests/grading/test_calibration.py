"""The shipped calibration set and agreement reporting."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest

from tutor.grading import grade_folder
from tutor.grading.calibration import agreement, calibrate, load_scores, status_for
from tutor.llm.replay import ReplayModel

from tests.grading.grading_support import CALIBRATION, REPO, judge_reply


def test_the_set_has_at_least_12_scored_submissions_across_lessons():
    scores = load_scores(CALIBRATION)
    lessons = {int(re.match(r"lesson_(\d+)", name).group(1)) for name in scores}
    assert len(scores) >= 12 and len(lessons) >= 4
    for name in scores:
        folder = CALIBRATION / name
        assert (folder / "notes.md").is_file() and (folder / "starter.py").is_file()
        assert list(folder.glob("runs/*/config.json")) and list(folder.glob("runs/*/metrics.json"))


def test_deterministic_scores_order_strong_above_weak_for_every_lesson_with_both(settings):
    totals: dict[int, dict[str, float]] = defaultdict(dict)
    for name in load_scores(CALIBRATION):
        lesson, quality = re.match(r"lesson_(\d+)_(\w+)", name).groups()
        if not (REPO / "rubrics" / f"lesson_{int(lesson):02d}.yaml").is_file():
            continue
        report = grade_folder(CALIBRATION / name, settings=settings, use_judge=False, write=False)
        totals[int(lesson)][quality] = report["total"]
    pairs = {lesson: t for lesson, t in totals.items() if {"strong", "weak"} <= set(t)}
    assert len(pairs) >= 3
    for lesson, t in pairs.items():
        assert t["strong"] > t["weak"], f"lesson {lesson}: strong {t['strong']:.2f} <= weak {t['weak']:.2f}"


def test_agreement_uses_quadratic_kappa_and_spearman():
    perfect = agreement([0, 1, 2, 3, 4], [0, 1, 2, 3, 4])
    assert perfect["kappa"] == 1.0 and perfect["spearman"] == 1.0
    off_by_one = agreement([0, 1, 2, 3, 4], [1, 2, 3, 4, 4])
    reversed_ = agreement([0, 1, 2, 3, 4], [4, 3, 2, 1, 0])
    assert 0 < off_by_one["kappa"] < 1 and reversed_["kappa"] < 0 and reversed_["spearman"] == -1.0


def test_offline_calibration_reports_deterministic_agreement_and_says_the_judge_did_not_run(settings):
    result = calibrate(CALIBRATION, settings=settings, use_judge=True)
    assert result["judge_ran"] is False and "offline" in result["judge_not_run_reason"]
    assert result["grader"] == "deterministic-only"
    assert result["criteria"]["reflection"]["n"] >= 12
    assert not (settings.home_dir / "grading" / "calibration.json").exists()


def test_a_judge_below_threshold_is_flagged_in_every_later_report(settings, strong_lab):
    contrarian = ReplayModel.from_texts(judge_reply(0, []), name="replay:contrarian")
    result = calibrate(CALIBRATION, settings=settings, use_judge=True, judge=contrarian, workers=2)
    assert result["judge_ran"] and result["below_threshold"]
    stored = json.loads((settings.home_dir / "grading" / "calibration.json").read_text())
    assert "replay:contrarian" in stored
    assert status_for(settings, "replay:contrarian")["below_threshold"] is True
    report = grade_folder(strong_lab, settings=settings, judge=contrarian, samples=1)
    assert any(f["code"] == "judge_below_agreement_threshold" for f in report["flags"])
    assert report["judge"]["calibration"]["calibrated"] is True


def test_an_uncalibrated_judge_says_so(settings, strong_lab):
    model = ReplayModel.from_texts(judge_reply(0, []), name="replay:fresh")
    report = grade_folder(strong_lab, settings=settings, judge=model, samples=1, write=False)
    assert report["judge"]["calibration"]["calibrated"] is False


def test_scores_naming_a_missing_folder_are_rejected(tmp_path):
    from tutor.grading.calibration import CalibrationError

    (tmp_path / "scores.yaml").write_text("submissions:\n  ghost:\n    reflection: 2\n")
    with pytest.raises(CalibrationError, match="ghost"):
        load_scores(tmp_path)


def test_a_judge_whose_samples_are_all_dropped_is_not_trusted(settings):
    unverifiable = ReplayModel.from_texts(judge_reply(3, ["a quote found in no submission at all"]), name="replay:x")
    result = calibrate(CALIBRATION, settings=settings, use_judge=True, judge=unverifiable, workers=2)
    assert set(result["below_threshold"]) == set(result["criteria"]) and "too few" in result["summary"]
