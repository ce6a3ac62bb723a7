"""Rows to the plain dicts the store hands out, and the clean-up applied before storing JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from tutor.redact import redact_urls_in
from tutor.store.models import (ContractEventRow, CriterionScoreRow, MisconceptionRow, RunRow, SubmissionRow,
                                SummaryRow, TurnRow, iso)

# Keys whose values are never stored, wherever they appear in a report or run record.
SECRET_KEY = re.compile(r"api[_-]?key|secret|password|authorization|bearer|access[_-]?token", re.IGNORECASE)
REMOVED = "[removed]"
EVIDENCE_CHARS = 500
DETAIL_CHARS = 1000


def plain_json(value: Any) -> Any:
    """A JSON-safe deep copy with secret-looking keys blanked."""
    return _scrub(json.loads(json.dumps(value, default=str)))


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REMOVED if SECRET_KEY.search(str(k)) and v else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str) and ("@" in value or "://" in value):
        return redact_urls_in(value)  # a password or a ?token= inside a URL, in any stored text
    return value


def turn(row: TurnRow) -> dict:
    return {"id": row.id, "time": iso(row.created_at), "lesson": row.lesson, "intent": row.intent,
            "action": row.action, "citations": row.citations, "guard": row.guard,
            "misconceptions": row.misconceptions, "model": row.model, "message": row.message,
            "reply": row.reply, "text_logged": row.text_logged}


def misconception(row: MisconceptionRow) -> dict:
    return {"id": row.id, "time": iso(row.created_at), "lesson": row.lesson,
            "misconception_id": row.misconception_id, "evidence": row.evidence, "resolved": row.resolved,
            "resolved_at": iso(row.resolved_at)}


def contract_event(row: ContractEventRow) -> dict:
    return {"id": row.id, "time": iso(row.created_at), "learner": row.learner_id, "lesson": row.lesson,
            "rule": row.rule, "action": row.action, "detail": row.detail}


def criterion(row: CriterionScoreRow) -> dict:
    return {"criterion": row.criterion, "weight": row.weight, "score": row.score, "level": row.level,
            "deterministic_score": row.deterministic_score, "source": row.source, "evidence": row.evidence,
            "rationale": row.rationale}


def submission(row: SubmissionRow, criteria: list[CriterionScoreRow], *, with_report: bool) -> dict:
    checks = row.checks or []
    out = {"id": row.id, "time": iso(row.created_at), "learner": row.learner_id, "lesson": row.lesson,
           "content_hash": row.content_hash, "path": row.path, "graded_at": row.graded_at,
           "status": row.status, "total": row.total, "pass_score": row.pass_score, "passed": row.passed,
           "judge_model": row.judge_model, "criteria": [criterion(c) for c in criteria],
           "duplicate_of": list(((row.report or {}).get("submission") or {}).get("duplicate_of") or []),
           "checks": {s: sum(1 for c in checks if isinstance(c, dict) and c.get("status") == s)
                      for s in ("passed", "failed", "error", "skipped")}}
    if with_report:
        out["check_results"] = checks
        out["report"] = row.report
    return out


def run(row: RunRow) -> dict:
    return {"id": row.id, "time": iso(row.created_at), "learner": row.learner_id, "lesson": row.lesson,
            "run_id": row.run_id, "started_at": row.started_at, "reason": row.reason,
            "exit_code": row.exit_code, "duration_s": row.duration_s, "backend": row.backend,
            "command": row.command, "record": row.record}


def summary(row: SummaryRow) -> dict:
    return {"id": row.id, "lesson": row.lesson, "where_left_off": row.where_left_off,
            "next_steps": row.next_steps, "created_at": iso(row.created_at)}
