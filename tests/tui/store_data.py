"""A progress store filled with a small, fixed cohort: the same rows and times on every run."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class FixedClock:
    """Each call is one minute after the previous one, from START."""

    def __init__(self):
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def report(total: float, passed: bool, evidence: str) -> dict:
    return {"graded_at": "2026-03-02T10:00:00+00:00", "status": "graded", "total": total, "pass_score": 0.6,
            "passed": passed, "judge": {"ran": False},
            "checks": [{"id": "runs_exist", "status": "passed"}, {"id": "notes_filled", "status": "failed" if not passed else "passed"}],
            "criteria": [
                {"id": "measurement_quality", "weight": 0.4, "score": total, "level": "proficient" if passed else "developing",
                 "source": "checks", "evidence": [evidence], "rationale": "runs cover the variable"},
                {"id": "reflection", "weight": 0.6, "score": total - 0.1, "level": "developing", "source": "checks",
                 "evidence": [], "rationale": None},
            ]}


def populate(store, monkeypatch) -> None:
    """Three learners: ada (passed lesson 1, lesson 2 in progress), bo (submitted lesson 1, not passed), cy (new)."""
    import tutor.store.store as store_module

    monkeypatch.setattr(store_module, "utcnow", FixedClock())
    store.save_profile("ada", name="Ada", goals="understand attention", experience="some numpy",
                       learning_style="hands-on experiments", python_fluency="advanced")
    store.record_turn("ada", 1, message="what is BPE?", reply="Byte pair encoding merges pairs.", intent="concept",
                      action="explain", citations=[{"lesson": 1, "section": "BPE", "file": "x.md", "lines": [1, 2]}])
    store.record_misconception("ada", 1, "tokens_are_words", "I think a token is a word")
    store.record_contract_event("ada", 1, "outsourcing_request", "coach", "write my train_bpe")
    store.record_run("ada", 1, {"run_id": "20260302-0905-aaaaaa", "started_at": "2026-03-02T09:05:00+00:00",
                                "reason": "ok", "exit_code": 0, "duration_s": 3.2, "backend": "process",
                                "command": ["python", "starter.py", "--smoke"]})
    store.record_submission("ada", 1, "hash-ada-1", "labs/ada/lesson_01",
                            report(0.85, True, "merges 0/200/800 measured at seed 0"))
    store.set_lesson_status("ada", 2, "in_progress")
    store.save_summary("ada", 2, "lesson 2; last topics: cosine vs dot", ["Run the bow/tfidf comparison"])
    store.save_profile("bo", name="Bo")
    store.record_submission("bo", 1, "hash-bo-1", "labs/bo/lesson_01", report(0.4, False, "one run only"))
    store.record_misconception("bo", 1, "tokens_are_words", "a token is a word")
    store.ensure_learner("cy")
