"""The database goes away in the middle of a conversation: the learner still gets the reply,
reads in one sentence that the turn was kept on this machine, and once the database is back
the turn is in it exactly once (on SQLite, and on a real PostgreSQL server whose
connections are killed and refused)."""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy


@pytest.fixture(params=["sqlite", "postgres"])
def conversation(request, make_session, monkeypatch, tmp_path):
    """(a session, a context manager inside which its database cannot be reached)."""
    if request.param == "sqlite":
        session = make_session("ada", 7)

        @contextlib.contextmanager
        def away():
            broken = sqlalchemy.create_engine(f"sqlite:///{tmp_path}/no/such/folder/progress.db")
            with monkeypatch.context() as patch:
                patch.setattr(session.store, "_writer", broken.execution_options(sqlite_write=True))
                patch.setattr(type(session.settings), "checkpoint_path", property(lambda _: tmp_path / "no" / "c.db"))
                yield
            broken.dispose()

        yield session, away
        return
    from tests.store.pg_support import away, fresh_database, server_url

    url, drop = fresh_database(server_url())
    yield make_session("ada", 7, database_url=url), lambda: away(url)
    drop()


def _in_store(session) -> list[str]:
    return [t["message"] for t in session.store.recent_turns("ada", limit=50)]


async def test_a_turn_while_the_database_is_away_is_kept_said_and_sent_once(conversation, turn):
    session, away = conversation
    await turn(session, "what does the KV cache store?")
    with away():
        result, tokens, _ = await turn(session, "why does it grow with the sequence length?")
        session.end_session()  # `tutor ask` ends here: the database still away is no error
    assert result.reply.strip()  # the learner still got the answer
    name = "cohort database (unreachable)" if session.store.dialect == "postgresql" else "progress database (unavailable)"
    notice = (f"This turn was not saved to the {name}; it is kept on this machine and will be sent when "
              "the database is back.")
    assert notice in result.reply and notice in "".join(tokens)
    kept = session.store.pending_queue("ada").entries()
    assert [e["values"]["message"] for e in kept if e["table"] == "turns"] == [
        "why does it grow with the sequence length?"]
    assert "summaries" in {e["table"] for e in kept}
    assert _in_store(session) == ["what does the KV cache store?"]

    result, _, _ = await turn(session, "and with grouped-query attention?")

    assert _in_store(session) == ["what does the KV cache store?", "why does it grow with the sequence length?",
                                  "and with grouped-query attention?"]
    assert "kept on this machine while the" in result.reply and "are now in it" in result.reply
    assert not session.store.pending_queue("ada").waiting()
    session.end_session()
    assert _in_store(session).count("why does it grow with the sequence length?") == 1
