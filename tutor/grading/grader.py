"""Grade one lab folder: deterministic checks, then the judge per criterion, then the total."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from tutor.grading import injection, report as report_io, rubrics, scoring
from tutor.grading import lab_checks
from tutor.grading.checks import CheckContext, run_check
from tutor.grading.submission import NotGradable, Submission, open_submission, safe_io


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def skeleton(path: Path, content_hash: str | None = None) -> dict[str, Any]:
    return {
        "schema_version": report_io.SCHEMA_VERSION, "tool": "tutor grade", "status": "partial",
        "graded_at": _now(), "submission": {"name": path.name, "path": str(path.absolute()), "content_hash": content_hash},
        "lesson": None, "lesson_source": "", "gradable": True, "reason": "", "checks": [], "criteria": [],
        "judge": {"ran": False, "model": None, "reason": "", "failed": "", "samples": 0, "temperature": None, "seed": None,
                  "materials_order": ["criterion, level descriptors and look_for", "deterministic check results",
                                      "notes.md", "run configs and metrics", "code (starter.py)"],
                  "calibration": None},
        "flags": [], "skipped_files": [], "total": None, "total_basis": [], "pass_score": None, "passed": None, "incomplete": "",
    }


def duplicate_flag(others: list[str]) -> dict:
    """Plagiarism is shown, not hidden: the submission is graded and this flag names the others."""
    names = ", ".join(sorted(others)[:10]) + (" ..." if len(others) > 10 else "")
    return {"code": "duplicate_submission", "message": f"identical content to the submission of {names}",
            "where": "submission"}


def not_gradable(path: Path, reason: str, out: Path | None, write: bool, content_hash: str | None = None) -> dict:
    report = skeleton(path, content_hash)
    report.update(gradable=False, reason=reason, status="complete")
    if write:
        write_report(path, out, report, final=True)
    return report


def write_report(path: Path, out: Path | None, report: dict, final: bool = False) -> None:
    """report.json (and at the end report.md), each replaced atomically. The final report.md is
    written before the final report.json: a complete report.json always has its report.md."""
    folder = report_io.output_dir(path, out)
    try:
        if final:
            report_io.write_markdown(folder, report)
        report_io.write_json(folder, report)
    except OSError as exc:
        report.setdefault("flags", []).append({"code": "report_not_written", "message": str(exc), "where": str(folder)})


def resolve_judge(settings, judge, use_judge: bool) -> tuple[Any, str]:
    """(model or None, reason it is None)."""
    if not use_judge:
        return None, "judge disabled (--no-judge)"
    if judge is not None:
        return judge, ""
    if settings is None:
        return None, "no settings given, so no model"
    from tutor.llm import ModelError, get_chat_model

    spec = settings.judge_model or settings.model
    if spec == "offline":
        return None, "no model configured (offline); set TUTOR_MODEL or TUTOR_JUDGE_MODEL to judge the criteria"
    judge_url = (getattr(settings, "judge_base_url", None) or "").strip()
    if judge_url:  # a judge on a server of its own (TUTOR_JUDGE_BASE_URL, TUTOR_JUDGE_API_KEY)
        update: dict[str, Any] = {"base_url": judge_url}
        if getattr(settings, "judge_api_key", None) is not None:
            update["openai_api_key"] = settings.judge_api_key
        settings = settings.model_copy(update=update)
    try:
        return get_chat_model(settings, model=spec), ""
    except (ModelError, ImportError) as exc:
        return None, f"judge model unavailable: {exc}"


def grade_folder(path, *, lesson: int | None = None, settings=None, judge=None, smoke: bool = False,
                 use_judge: bool = True, out: Path | None = None, write: bool = True,
                 samples: int | None = None, submission: Submission | None = None,
                 content_hash: str | None = None, duplicate_of: list[str] | None = None,
                 learner: str | None = None) -> dict[str, Any]:
    """The report.json content for one folder. Never raises for a broken folder."""
    path = Path(path)
    if settings is None:
        from tutor.config import load_settings
        settings = load_settings()
    course_dir = settings.course_dir
    try:
        sub = submission or open_submission(path)
    except NotGradable as exc:
        return not_gradable(path, str(exc), out, write)
    content_hash = content_hash or safe_io.content_hash(sub.root, sub.files)
    found, source = (lesson, "--lesson") if lesson is not None else sub.lesson_from_folder()
    if found is None:
        return not_gradable(path, "cannot tell which lesson this is: no --lesson, no lab.toml `lesson = N`, "
                            "no lesson_NN in the folder name", out, write, content_hash)
    try:
        rubric = rubrics.lesson_rubric(course_dir, found)
        default = rubrics.default_rubric(course_dir)
    except rubrics.RubricError as exc:
        return not_gradable(path, str(exc), out, write, content_hash)
    if not sub.notes and "starter.py" not in sub.files and not sub.runs:
        return not_gradable(path, "nothing to grade: no notes.md, no starter.py and no runs/", out, write, content_hash)

    report = skeleton(path, content_hash)
    report.update(lesson=found, lesson_source=source, pass_score=rubric.pass_score, skipped_files=sub.skipped)
    flags = report["flags"]
    if learner:
        report["submission"]["learner"] = learner
    if duplicate_of:
        report["submission"]["duplicate_of"] = sorted(duplicate_of)
        flags.append(duplicate_flag(duplicate_of))
    flags += [{"code": "unsafe_path", "message": s, "where": s.split(":")[0]} for s in sub.skipped if "symlink" in s]
    injected = _scan_notes(sub, flags)

    ctx = CheckContext(sub, rubrics.notes_template(course_dir, found), smoke=smoke,
                       sandbox_backend=getattr(settings, "sandbox_backend", "auto"))
    report["checks"] = [run_check(check, ctx).to_dict() for check in rubric.checks]
    todos = lab_checks.todo_checks(sub.root, course_dir, found, ctx.sandbox_backend)
    if todos:
        lab_checks.gate_rubric_checks(report["checks"], todos)
        report["checks"] += todos
    det = scoring.deterministic_scores(report["checks"])
    report["criteria"] = [_criterion(cid, weight, det.get(cid)) for cid, weight in rubric.weights.items()]
    _refresh_total(report)
    if write:
        write_report(path, out, report)

    model, why_not = resolve_judge(settings, judge, use_judge)
    if model is None:
        report["judge"]["reason"] = why_not
        for c in report["criteria"]:
            c["not_judged_reason"] = why_not
    else:
        _run_judge(report, model, sub, rubric, default, injected, samples or settings.judge_samples, settings,
                   lambda: write and write_report(path, out, report))
    _refresh_total(report)
    report["status"] = "complete"
    if write:
        write_report(path, out, report, final=True)
    return report


def _scan_notes(sub: Submission, flags: list[dict]) -> list[str]:
    notes = sub.notes
    if notes is None:
        flags.append({"code": "notes_missing", "message": "notes.md is missing", "where": "notes.md"})
        return []
    if notes.error:
        flags.append({"code": "notes_unreadable", "message": f"notes.md {notes.error}", "where": "notes.md"})
        return []
    if notes.truncated:
        flags.append({"code": "notes_truncated", "message": f"notes.md is longer than {safe_io.TEXT_CAP} bytes; "
                      "only the start was read", "where": "notes.md"})
    hits = injection.scan("notes.md", notes.text) + injection.scan("starter.py", sub.code)
    flags.extend(h.to_flag() for h in hits)
    return injection.flagged_lines(hits)


def _criterion(cid: str, weight: float, det: float | None) -> dict[str, Any]:
    return {"id": cid, "weight": weight, "deterministic_score": det, "level": scoring.level_of(det),
            "score": det, "source": "deterministic" if det is not None else "none", "judged": False,
            "not_judged_reason": "", "rationale": "", "evidence": [], "samples": [], "disagreement": False}


def _refresh_total(report: dict) -> None:
    total, basis = scoring.total(report["criteria"])
    report["total"], report["total_basis"] = total, basis
    report["passed"] = None if total is None else total >= report["pass_score"]
    failed = report["judge"].get("failed", "")
    report["incomplete"] = f"judge failed: {failed}" if failed else ""
    if failed:  # a total over the criteria the judge managed is no grade: never "passed"
        report["passed"] = None


def judge_failure(criteria: list[dict], samples_by_criterion: dict[str, list[dict]]) -> str:
    """'' when the judge scored every criterion it was asked about, else one sentence: how
    many criteria it could not judge and the commonest reason its samples were dropped."""
    missed = [c["id"] for c in criteria if not c.get("judged") and c["id"] in samples_by_criterion]
    if not missed:
        return ""
    reasons: dict[str, int] = {}
    example: dict[str, str] = {}  # the first detail of each kind ("no JSON object in the reply")
    for cid in missed:
        for sample in samples_by_criterion[cid]:
            reason = (sample.get("dropped") or "").split(":", 1)
            key = reason[0] if reason[0] != "model error" else ": ".join(reason).strip()
            reasons[key] = reasons.get(key, 0) + 1
            if len(reason) > 1 and key == reason[0]:
                example.setdefault(key, reason[1].strip())
    top = max(reasons, key=reasons.get) if reasons else "no sample"
    if example.get(top):
        top = f"{top}, e.g. {example[top]}"
    calls = sum(len(samples_by_criterion[c]) for c in missed)
    return f"{len(missed)} of {len(criteria)} criteria not judged ({calls} failed samples; most: {top[:200]})"


def _run_judge(report, model, sub, rubric, default, injected, samples, settings, checkpoint) -> None:
    from tutor.grading import calibration
    from tutor.grading.judge import JUDGE_SEED, JUDGE_TEMPERATURE, judge_criterion
    from tutor.grading.judge_prompt import build_materials

    judge = report["judge"]
    judge.update(ran=True, model=model.name, samples=samples, seed=JUDGE_SEED, temperature=JUDGE_TEMPERATURE, failed="")
    judge["calibration"] = calibration.status_for(settings, model.name)
    if judge["calibration"] and judge["calibration"].get("below_threshold"):
        report["flags"].append({"code": "judge_below_agreement_threshold", "message":
                                "judge below agreement threshold: " + judge["calibration"]["summary"], "where": "judge"})
    materials = build_materials(sub, sub.identity_names())

    async def every_criterion() -> None:
        # One event loop for the folder: model clients that keep a connection pool stay on it.
        for criterion in report["criteria"]:
            definition = default.criterion(criterion["id"])
            outcome = await judge_criterion(model, definition, rubric.look_for.get(criterion["id"], ""),
                                            report["checks"], materials, injected, samples)
            report["flags"].extend(outcome["flags"])
            criterion.update(samples=outcome["samples"], disagreement=outcome["disagreement"])
            if outcome["level"] is None:
                criterion["not_judged_reason"] = outcome["reason"]
            else:
                criterion.update(judged=True, level=outcome["level"], rationale=outcome["rationale"],
                                 evidence=outcome["evidence"], source="judge",
                                 score=scoring.combine(outcome["level"], criterion["deterministic_score"]))
            _refresh_total(report)
            checkpoint()

    asyncio.run(every_criterion())
    judge["failed"] = judge_failure(report["criteria"], {c["id"]: c.get("samples") or [] for c in report["criteria"]})
    judge["reason"] = judge["reason"] or judge["failed"]
