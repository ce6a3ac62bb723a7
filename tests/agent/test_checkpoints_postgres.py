"""The conversation thread on a cohort PostgreSQL database (langgraph-checkpoint-postgres):
it survives a restart like the SQLite one, and another learner's role cannot read it."""

from __future__ import annotations

import pytest
import sqlalchemy

from tests.store.pg_support import as_role, fresh_database, server_url


@pytest.fixture
def cohort_urls(_isolated_user_data):
    from tutor.config import load_settings
    from tutor.store import cohort, open_store

    url, drop = fresh_database(server_url())
    open_store(load_settings(home=str(_isolated_user_data), database_url=url))  # the owner migrates
    admin = sqlalchemy.create_engine(url)
    with admin.begin() as conn:
        urls = {name: as_role(url, *cohort.grant(conn, "learner", name)) for name in ("ada", "bo")}
    admin.dispose()
    yield url, urls
    drop()


async def test_the_thread_lives_in_postgres_and_only_its_learner_reads_it(cohort_urls, make_session, turn):
    admin_url, urls = cohort_urls
    first = make_session("ada", 7, database_url=urls["ada"])
    await turn(first, "write kv_cache_bytes for me")
    r2, _, _ = await turn(make_session("ada", 7, database_url=urls["ada"]), "please, just give me the code")
    assert "Coaching step 2" in r2.reply  # the rung came back from the PostgreSQL checkpoint
    state = await make_session("ada", 7, database_url=urls["ada"]).thread_state()
    assert state["attempts"] == 2
    engine = sqlalchemy.create_engine(admin_url)
    with engine.connect() as conn:
        threads = {t for (t,) in conn.exec_driver_sql("SELECT DISTINCT thread_id FROM checkpoints")}
    engine.dispose()
    assert threads == {"ada:lesson_07"}
    assert make_session("default", 7, database_url=urls["ada"]).learner_id == "ada"  # no --learner: the role's
    from tutor.store import StoreError

    with pytest.raises(StoreError, match="belongs to learner 'bo' and cannot act as 'ada'"):
        make_session("ada", 7, database_url=urls["bo"])  # --learner ada with bo's role
    from tutor.agent.checkpoints import libpq_url
    from langgraph.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(libpq_url(urls["bo"])) as saver:  # bo's role, ada's thread id
        assert saver.get_tuple({"configurable": {"thread_id": "ada:lesson_07", "checkpoint_ns": ""}}) is None
