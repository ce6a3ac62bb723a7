"""Helpers for the store tests: settings on the test's TUTOR_HOME, sample reports and records,
and the child-process bodies (importable by multiprocessing's spawn)."""

from __future__ import annotations

import os
import signal


def make_settings(home: str | os.PathLike | None = None, **overrides):
    from tutor.config import load_settings

    return load_settings(home=str(home) if home else None, **overrides)


def sample_report(*, name="alice", lesson=3, total=0.72, pass_score=0.6, passed=True, content_hash="h-1",
                  judge_model=None, extra=None) -> dict:
    """A report.json in the shape tutor/grading/report.schema.json describes."""
    report = {
        "schema_version": 1, "tool": "tutor grade", "status": "complete", "graded_at": "2025-03-01T10:00:00+00:00",
        "submission": {"name": name, "path": f"/subs/{name}", "content_hash": content_hash},
        "lesson": lesson, "lesson_source": "lab.toml", "gradable": True, "reason": "",
        "checks": [
            {"id": "notes", "kind": "notes_filled", "criterion": "reflection", "weight": 1, "status": "passed",
             "message": "notes filled", "evidence": ["notes.md:3"], "duration_s": 0.01},
            {"id": "runs", "kind": "min_runs", "criterion": "measurement_quality", "weight": 1, "status": "failed",
             "message": "1 run, need 3", "evidence": [], "duration_s": 0.01},
        ],
        "criteria": [
            {"id": "implementation", "weight": 0.5, "deterministic_score": 1.0, "level": 4, "score": 1.0,
             "source": "deterministic", "judged": False, "not_judged_reason": "", "rationale": "",
             "evidence": [], "samples": [], "disagreement": False},
            {"id": "reflection", "weight": 0.5, "deterministic_score": 0.5, "level": 3, "score": 0.75,
             "source": "judge", "judged": True, "not_judged_reason": "", "rationale": "names the trade-off",
             "evidence": ["tokens/s went from 41 to 77"], "samples": [], "disagreement": False},
        ],
        "judge": {"ran": judge_model is not None, "model": judge_model, "reason": "" if judge_model else "--no-judge",
                  "samples": 3 if judge_model else 0, "temperature": 0, "seed": 7, "materials_order": [],
                  "calibration": None},
        "flags": [], "total": total, "total_basis": ["implementation", "reflection"],
        "pass_score": pass_score, "passed": passed,
    }
    report.update(extra or {})
    return report


def sample_run(run_id="r-1", reason="ok", duration_s=1.5) -> dict:
    from sandbox.record import RunRecord

    return RunRecord(run_id=run_id, command=["python", "starter.py", "--smoke"], lab_dir="/labs/lesson_03",
                     cwd="/lab", run_dir=f"/labs/lesson_03/runs/{run_id}", seed=0, limits={"timeout_s": 60},
                     backend="process", mechanisms={}, isolation={}, network="none", versions={"python": "3.11"},
                     gpu=None, started_at="2025-03-01T10:00:00+00:00", duration_s=duration_s, exit_code=0,
                     reason=reason).to_dict()


# -- child processes -------------------------------------------------------------------------
def write_turns(home: str, worker: int, count: int, barrier) -> None:
    """One of several concurrent writers: ``count`` turns, one misconception, one event, statuses."""
    from tutor.store import open_store

    store = open_store(make_settings(home))
    barrier.wait(timeout=60)
    learner = f"w{worker}"
    for i in range(count):
        store.record_turn(learner, 1 + i % 3, message=f"{learner} message {i}", reply=f"reply {i}",
                          intent="concept", action="explain", citations=[{"lesson": 1, "anchor": f"a{i}"}])
        if i == count // 2:
            store.record_misconception(learner, 2, "shared_misconception", f"evidence from {learner}")
            store.record_contract_event(learner, 2, "outsourcing_request", "coach")
            store.set_lesson_status(learner, 1, "submitted")


def die_mid_transaction(home: str, ready, doomed_rows: int) -> None:
    """Commit one turn, then open a write transaction, write ``doomed_rows`` big turns, flush
    them (they spill into the WAL file), say so, and wait to be killed before COMMIT."""
    from sqlmodel import Session

    from tutor.store import open_store
    from tutor.store.engine import writer
    from tutor.store.models import TurnRow, utcnow

    store = open_store(make_settings(home))
    store.record_turn("victim", 1, message="committed before the crash", reply="ok", intent="concept",
                      action="explain")
    session = Session(writer(store.engine))
    for i in range(doomed_rows):
        session.add(TurnRow(learner_id="victim", lesson=1, created_at=utcnow(), intent="doomed", action="explain",
                            message=f"doomed {i} " + "x" * 20_000, reply="never committed", text_logged=True))
    session.flush()
    ready.set()
    while True:  # holds the open transaction until SIGKILL arrives; never commits
        signal.pause()


def migrate_fresh(url: str, barrier, results) -> None:
    """One of two processes opening the same fresh database at once: what migrate found."""
    from tutor.store import schema
    from tutor.store.engine import create_server_engine, create_store_engine

    engine = create_server_engine(url) if url.startswith("postgresql") else create_store_engine(url)
    barrier.wait(timeout=60)
    results.put(schema.migrate(engine)[0])
    engine.dispose()
