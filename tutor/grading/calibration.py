"""Agreement between the grader and instructor scores on rubrics/calibration/.

Each calibration submission is a lab folder; ``scores.yaml`` in the calibration folder maps
submission -> criterion -> level (0-4). Agreement per criterion is scikit-learn's
quadratic-weighted Cohen's kappa and scipy's Spearman correlation. The latest result for a
judge model is stored under ``<TUTOR_HOME>/grading/calibration.json``; every later report by
that model carries it, flagged when any criterion is below the threshold.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import yaml

from tutor.course.rubric_models import CRITERIA

KAPPA_THRESHOLD = 0.6
DETERMINISTIC = "deterministic-only"


class CalibrationError(Exception):
    pass


def load_scores(folder: Path) -> dict[str, dict[str, int]]:
    path = folder / "scores.yaml"
    if not path.is_file():
        raise CalibrationError(f"no scores.yaml in {folder}; it maps submission -> criterion -> level")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    scores = data.get("submissions", data)
    for name, levels in scores.items():
        if not (folder / name).is_dir():
            raise CalibrationError(f"scores.yaml names {name}, which is not a folder in {folder}")
        for criterion, level in levels.items():
            if criterion not in CRITERIA or level not in range(5):
                raise CalibrationError(f"scores.yaml: {name}.{criterion} = {level!r} is not a criterion level 0-4")
    return scores


def agreement(instructor: list[int], grader: list[int]) -> dict[str, Any]:
    from scipy.stats import spearmanr
    from sklearn.metrics import cohen_kappa_score

    n = len(instructor)
    if n < 2:
        return {"n": n, "kappa": None, "spearman": None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant inputs: the statistic is undefined, reported as None
        kappa = float(cohen_kappa_score(instructor, grader, weights="quadratic", labels=list(range(5))))
        rho = spearmanr(instructor, grader).statistic
    clean = lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 4)
    return {"n": n, "kappa": clean(kappa), "spearman": clean(rho)}


def calibrate(folder: Path, *, settings, use_judge: bool, workers: int = 1, judge=None) -> dict[str, Any]:
    from tutor.grading.batch import grade_many
    from tutor.grading.grader import resolve_judge

    scores = load_scores(folder)
    model, why_not = resolve_judge(settings, judge, use_judge)
    import tempfile
    with tempfile.TemporaryDirectory(prefix="tutor-calibration-") as out:
        batch = grade_many([folder / name for name in scores], settings=settings, judge=model,
                           use_judge=model is not None, out=Path(out), force=True, workers=workers)
    by_name = {r["submission"]["name"]: r for r in batch.reports}
    per_criterion: dict[str, Any] = {}
    source = model.name if model is not None else DETERMINISTIC
    for criterion in CRITERIA:
        pairs = []
        for name, levels in scores.items():
            report = by_name.get(name)
            if criterion not in levels or not report or not report["gradable"]:
                continue
            graded = next((c for c in report["criteria"] if c["id"] == criterion), None)
            if graded is None or graded["level"] is None:
                continue
            if model is not None and not graded["judged"]:
                continue
            pairs.append((levels[criterion], graded["level"]))
        stats = agreement([p[0] for p in pairs], [p[1] for p in pairs])
        stats["meets_threshold"] = stats["kappa"] is not None and stats["kappa"] >= KAPPA_THRESHOLD
        per_criterion[criterion] = stats
    failed = [r for r in batch.reports if r.get("incomplete")]
    failed_samples = sum(1 for r in batch.reports for c in r["criteria"] for s in c.get("samples") or []
                         if not s.get("verified"))
    below = [c for c, s in per_criterion.items() if s["n"] >= 2 and not s["meets_threshold"]]
    # A judge whose samples were dropped (or never given) for a criterion cannot be trusted on it.
    no_data = [c for c, s in per_criterion.items() if s["n"] < 2 or s["kappa"] is None and c not in below]
    parts = ([f"quadratic kappa below {KAPPA_THRESHOLD} for {', '.join(below)}"] if below else []) + \
            ([f"too few graded submissions to measure {', '.join(no_data)}"] if no_data else []) + \
            ([f"the judge failed on {len(failed)} of {len(batch.reports)} submissions ({failed_samples} samples "
              f"dropped; e.g. {failed[0]['incomplete']})"] if failed else [])
    result = {
        "grader": source, "judge_ran": model is not None, "judge_not_run_reason": why_not if model is None else "",
        "threshold": KAPPA_THRESHOLD, "submissions": len(scores), "criteria": per_criterion,
        "below_threshold": below + (no_data if model is not None else []), "no_data": no_data,
        "judge_failures": {"submissions": len(failed), "dropped_samples": failed_samples,
                           "examples": [r["incomplete"] for r in failed[:3]]},
        "summary": "; ".join(parts) or f"kappa >= {KAPPA_THRESHOLD} on every criterion",
    }
    if model is not None:
        store_result(settings, model.name, result)
    return result


def _state_path(settings) -> Path:
    return settings.home_dir / "grading" / "calibration.json"


def store_result(settings, model_name: str, result: dict[str, Any]) -> None:
    path = _state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = _read_state(path)
    state[model_name] = result
    path.write_text(json.dumps(state, indent=2), encoding="utf-8")


def _read_state(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def status_for(settings, model_name: str) -> dict[str, Any] | None:
    """What the last calibration said about this judge model; None when never calibrated."""
    if settings is None:
        return None
    result = _read_state(_state_path(settings)).get(model_name)
    if result is None:
        return {"calibrated": False, "below_threshold": False,
                "summary": "this judge model has not been calibrated (run tutor grade --calibrate)"}
    return {"calibrated": True, "below_threshold": bool(result["below_threshold"]), "summary": result["summary"],
            "kappa": {c: s["kappa"] for c, s in result["criteria"].items()}}
