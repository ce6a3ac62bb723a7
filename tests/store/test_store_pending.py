"""A record written while the database is away is kept on disk and sent once when it is back
(tutor.store.keeping, tutor.store.pending), on SQLite and on a real PostgreSQL server whose
connections are killed and refused."""

from __future__ import annotations

import contextlib
import json
import os
import stat

import pytest
import sqlalchemy

from tutor.store import NotSaved, pending

AWAY = {"sqlite": "This turn was not saved to the progress database (unavailable); it is kept on this machine",
        "postgresql": "This turn was not saved to the cohort database (unreachable); it is kept on this machine"}


@pytest.fixture
def database_away(store, backend, monkeypatch, tmp_path):
    """A context manager: inside it the store's database cannot be reached. PostgreSQL: every
    connection terminated and new ones refused; SQLite: the writer points at a file that cannot
    be opened (sqlite3 raises its real 'unable to open database file')."""
    if backend:
        from tests.store.pg_support import away

        return lambda: away(backend)

    @contextlib.contextmanager
    def unopenable():
        broken = sqlalchemy.create_engine(f"sqlite:///{tmp_path}/no/such/folder/progress.db")
        with monkeypatch.context() as patch:
            patch.setattr(store, "_writer", broken.execution_options(sqlite_write=True))
            yield
        broken.dispose()

    return unopenable


def _turn(store, message: str):
    return store.record_turn("ada", 1, message=message, reply=f"reply to {message}", intent="concept",
                             action="explain")


def _messages(store) -> list[str]:
    return [t["message"] for t in store.recent_turns("ada", limit=100)]


def test_a_turn_written_while_the_database_is_away_is_kept_and_sent_once(store, database_away, tutor_home):
    from tests.store.store_support import make_settings
    from tutor.diagnostics import check_pending

    _turn(store, "before")
    with database_away():
        with pytest.raises(NotSaved) as caught:
            _turn(store, "while away")
        with pytest.raises(NotSaved):
            store.record_contract_event("ada", 1, "outsourcing_request", "coach", "asked for the code")
    assert caught.value.kept and AWAY[store.dialect] in str(caught.value)
    queue = store.pending_queue("ada")
    assert [(e["table"], e["values"].get("message")) for e in queue.entries()] == [
        ("turns", "while away"), ("contract_events", None)]
    assert stat.S_IMODE(os.stat(queue.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(queue.folder).st_mode) == 0o700
    assert _messages(store) == ["before"]
    doctor = check_pending(make_settings(tutor_home))
    assert doctor.status == "warn" and doctor.detail.startswith("2 record(s) in "), doctor

    _turn(store, "after")  # the next write that reaches the database sends what waits, first

    assert _messages(store) == ["before", "while away", "after"]
    assert [e["rule"] for e in store.contract_events("ada")] == ["outsourcing_request"]
    assert not queue.waiting() and queue.entries() == []
    assert check_pending(make_settings(tutor_home)).status == "ok"
    assert store.notices == ["2 record(s) kept on this machine while the "
                             f"{'cohort' if store.dialect == 'postgresql' else 'progress'} database was away are now in it."]
    store.notices.clear()
    store.ensure_learner("ada")  # nothing left to send: nothing is written again
    assert _messages(store) == ["before", "while away", "after"] and store.notices == []


def test_a_kept_record_sent_twice_is_written_once_and_a_changed_one_is_reported_not_written(store, database_away):
    store.ensure_learner("ada")
    with database_away(), pytest.raises(NotSaved):
        _turn(store, "while away")
    queue = store.pending_queue("ada")
    (entry,) = queue.entries()
    kept = {k: entry[k] for k in ("table", "lesson", "start", "values")}
    queue.append(kept)  # the same record again (a second process, a retry)
    queue.append({**kept, "values": {**kept["values"], "message": "someone edited this line"}})

    store.ensure_learner("ada")  # opening the learner sends what waits

    assert _messages(store) == ["while away"]
    assert "1 kept record(s) conflict" in store.notices[-1] and "nothing was overwritten" in store.notices[-1]
    (conflict,) = [json.loads(line) for line in queue.conflicts_path.read_text().splitlines()]
    assert conflict["values"]["message"] == "someone edited this line"
    assert "message" in conflict["set_aside_because"] and "not overwritten" in conflict["set_aside_because"]
    assert not queue.waiting()


def test_a_record_that_cannot_be_kept_either_says_so(store, database_away, monkeypatch):
    monkeypatch.setattr(pending, "MAX_BYTES", 200)
    with database_away(), pytest.raises(NotSaved) as caught:
        _turn(store, "x" * 300)
    assert not caught.value.kept
    assert "could not be kept on this machine either" in str(caught.value) and "is full" in str(caught.value)


def test_the_queue_file_is_never_a_followed_link(store, database_away, tmp_path):
    queue = store.pending_queue("ada")
    queue.folder.mkdir(parents=True, exist_ok=True)
    target = tmp_path / "elsewhere.txt"
    target.write_text("not yours\n")
    queue.path.symlink_to(target)
    with database_away(), pytest.raises(NotSaved) as caught:
        _turn(store, "while away")
    assert not caught.value.kept
    assert target.read_text() == "not yours\n"


def test_a_queue_line_for_another_learner_or_unreadable_is_set_aside(store):
    store.ensure_learner("ada")
    queue = store.pending_queue("ada")
    queue.folder.mkdir(parents=True, exist_ok=True)
    with open(queue.path, "w") as f:
        f.write("{not json\n")
        f.write(json.dumps({"learner": "ada", "table": "turns", "values": {"learner_id": "bo", "origin": "o1"}}) + "\n")
        f.write(json.dumps({"learner": "ada", "values": {"learner_id": "ada", "origin": "o2"}}) + "\n")  # no table
        f.write(json.dumps({"learner": "ada", "table": "learners", "values": {"learner_id": "ada", "origin": "o3"}}) + "\n")
    _turn(store, "a turn after the damaged lines")  # they never block a write
    assert _messages(store) == ["a turn after the damaged lines"] and not queue.waiting()
    reasons = [json.loads(line)["set_aside_because"] for line in queue.conflicts_path.read_text().splitlines()]
    assert len(reasons) == 4, reasons
    assert reasons[:2] == ["unreadable or not this learner's", "the record is not this learner's"]
    assert reasons[2].startswith("not a record this tutor can write (KeyError")
    assert reasons[3].startswith("not a record this tutor can write (ValueError: no table 'learners'")
    assert "bo" not in store.learners()


def test_file_names_are_safe_for_any_learner_id_and_one_per_database():
    names = {pending.file_name(x) for x in ("../../etc/passwd", "ada", "ADA", "a/b", "a_b", "")}
    names |= {pending.file_name("ada", "postgresql+psycopg://ada:***@host/cohort")}
    assert len(names) == 7
    assert all("/" not in n and not n.startswith(".") for n in names)


def test_records_kept_for_one_database_are_never_sent_to_another(store, database_away, tutor_home):
    from tests.store.store_support import make_settings
    from tutor.store import open_store

    with database_away(), pytest.raises(NotSaved):
        _turn(store, "meant for the first database")
    other = open_store(make_settings(tutor_home), path=tutor_home / "another.db")  # a push target, a new URL
    other.ensure_learner("ada")
    _turn(other, "written to the other one")
    assert _messages(other) == ["written to the other one"]
    assert store.pending_queue("ada").waiting()
    store.ensure_learner("ada")
    assert _messages(store) == ["meant for the first database"]


def test_once_a_turn_found_the_database_away_its_other_records_go_straight_to_the_queue(store):
    """The record node sets queue_only after the first NotSaved: an unreachable host would
    otherwise cost a connect timeout for every record of the turn."""
    store.ensure_learner("ada")
    store.queue_only = True
    with pytest.raises(NotSaved) as caught:
        _turn(store, "queued without trying")  # the database is up: it was not even asked
    assert caught.value.kept and _messages(store) == []
    store.queue_only = False
    _turn(store, "the next turn")
    assert _messages(store) == ["queued without trying", "the next turn"]
