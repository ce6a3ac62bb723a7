"""Issue 13: grades are kept per learner and content, regrades do not pile up full reports,
and identical content from two learners is found (not one learner's grade reused for both)."""

from __future__ import annotations

from tests.store.store_support import sample_report


def test_regrading_the_same_content_keeps_one_row(store):
    for total in (0.5, 0.6, 0.7):
        store.record_submission("alice", 3, "h-1", "/subs/alice", sample_report(total=total))
    [sub] = store.submissions("alice")
    assert sub["total"] == 0.7
    store.record_submission("alice", 3, "h-2", "/subs/alice", sample_report(total=0.8, content_hash="h-2"))
    assert [s["content_hash"] for s in store.submissions("alice")] == ["h-1", "h-2"]


def test_find_submission_is_per_learner_and_duplicates_are_listed(store):
    store.record_submission("alice", 3, "h-1", "/subs/alice", sample_report())
    assert store.find_submission("h-1", 3, learner_id="bob") is None
    assert store.find_submission("h-1", 3, learner_id="alice")["learner"] == "alice"
    store.record_submission("bob", 3, "h-1", "/subs/bob", sample_report(name="bob"))
    assert store.learners_with("h-1", 3) == ["alice", "bob"]
    assert store.learners_with("h-1", 4) == []
