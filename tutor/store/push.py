"""`tutor db push --to URL`: one learner's rows and conversation threads, from the store this
tutor uses (the SQLite default) into a cohort database, idempotently.

Every row is found in the target by what identifies it everywhere (tutor.store.origin.KEYS):
its origin for the tables with autoincrement ids (a local row made before revision 0005 gets
one first, in the local store, so a second push finds it again), the natural key for the
profile and lesson progress. A row the target lacks is copied; one it has with the same
content is skipped; one it has with other content is a conflict: reported, never written.
Criterion scores travel with their submission and point at the target's submission id.
Conversation threads (``<learner>:lesson_NN``) go through the LangGraph saver API: a checkpoint
the target already has (same thread and id) is skipped, one with other values is a conflict.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from sqlalchemy import URL, select, update
from sqlmodel import Session

from tutor.store import origin
from tutor.store.models import CriterionScoreRow, SubmissionRow
from tutor.store.store import StoreError

# in the order they are copied (a submission before the scores that point at it)
TABLES = ("profiles", "lesson_progress", "turns", "misconceptions", "contract_events", "submissions", "runs",
          "summaries", "check_attempts")


@dataclass
class PushReport:
    learner: str             # the learner on this machine
    target_learner: str = ""  # the learner in the target (the same, or a learner role's own)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)

    def count(self, table: str, outcome: str) -> None:
        per = self.counts.setdefault(table, {origin.INSERTED: 0, origin.SAME: 0, origin.CONFLICT: 0})
        per[outcome] += 1

    def lines(self) -> list[str]:
        out = [f"{t}: {c[origin.INSERTED]} copied, {c[origin.SAME]} already there, {c[origin.CONFLICT]} conflicting"
               for t, c in self.counts.items()]
        return out + [f"conflict: {c}" for c in self.conflicts]

    def to_dict(self) -> dict:
        return {"learner": self.learner, "as": self.target_learner or self.learner, "counts": self.counts,
                "conflicts": self.conflicts}


def _give_origins(source, learner: str) -> None:
    """Rows made before revision 0005 get their origin now, in the local store: the identity
    every later push finds them by."""
    with source._write() as s:
        conn = s.connection()
        for name in origin.ROWS:
            t = origin.ROWS[name].__table__
            for (row_id,) in conn.execute(select(t.c.id).where(t.c.learner_id == learner, t.c.origin.is_(None))).all():
                conn.execute(update(t).where(t.c.id == row_id).values(origin=origin.new_origin()))


def _rows(source, table: str, learner: str) -> list[dict]:
    t = origin.MODELS[table].__table__
    order = t.c.id if "id" in t.c else t.c.learner_id
    with source._read() as s:
        return [dict(r) for r in s.connection().execute(select(t).where(t.c.learner_id == learner)
                                                        .order_by(order)).mappings().all()]


def _criteria(source, submission_id: int) -> list[dict]:
    t = CriterionScoreRow.__table__
    with source._read() as s:
        return [dict(r) for r in s.connection().execute(select(t).where(t.c.submission_id == submission_id)
                                                        .order_by(t.c.id)).mappings().all()]


DEFAULT = "default"


def target_learner(local: str, bound: str | None) -> str:
    """Whose rows the pushed rows become: a learner role's own learner, else the same id. The
    local learner must be that one, or the unnamed ``default`` (the person on this machine):
    another local learner's work is never pushed as someone else's (StoreError)."""
    if bound is None or local == bound:
        return local
    if local == DEFAULT:
        return bound
    raise StoreError(f"this database role belongs to learner {bound!r} and cannot act as {local!r}; push "
                     f"--learner {bound} (or the work of learner '{DEFAULT}' on this machine)")


def push_rows(source, target, learner: str, report: PushReport) -> None:
    mine = target_learner(learner, target.bound_learner())
    report.target_learner = mine
    target.ensure_learner(mine)  # refused (StoreError) before anything here is touched
    _give_origins(source, learner)
    for table in TABLES:
        rows = [{**r, "learner_id": mine} for r in _rows(source, table, learner)]
        with Session(target._writer) as s:
            conn = s.connection()
            for row in rows:
                outcome, target_id, diff = origin.put_once(conn, table, origin.to_json(row))
                report.count(table, outcome)
                if outcome == origin.CONFLICT:
                    what = f"origin {row['origin']}" if "origin" in row else "the learner's row"
                    if table == "lesson_progress":
                        what = f"lesson {row['lesson']}"
                    report.conflicts.append(f"{table} {what} (local id {row.get('id', '-')}): the target has other "
                                            f"content ({', '.join(diff)}); left as it is")
                if table == SubmissionRow.__tablename__ and outcome == origin.INSERTED:
                    scores = [{**{k: v for k, v in c.items() if k != "id"}, "submission_id": target_id}
                              for c in _criteria(source, row["id"])]
                    if scores:
                        conn.execute(CriterionScoreRow.__table__.insert(), scores)
            s.commit()


@contextmanager
def sync_saver(url: str | None, checkpoint_path: Path, *, create: bool) -> Iterator:
    """A LangGraph saver (sync) on the checkpoints of ``url`` when it is PostgreSQL, else on the
    SQLite file ``checkpoint_path`` (None when it is not there and ``create`` is false)."""
    from tutor.agent.checkpoints import libpq_url

    conninfo = libpq_url(url) if url else None
    if conninfo is None:
        import sqlite3

        from langgraph.checkpoint.sqlite import SqliteSaver

        if not create and not checkpoint_path.is_file():
            yield None  # no conversation on this machine yet
            return
        conn = sqlite3.connect(str(checkpoint_path), check_same_thread=False)
        try:
            yield SqliteSaver(conn)
        finally:
            conn.close()
        return
    from langgraph.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(conninfo) as saver:
        yield saver


def same_database(settings, target: URL) -> bool:
    """Whether ``target`` is the database ``settings`` already use (a push into itself)."""
    from tutor.store import urls

    mine = urls.parse(settings.store_url) if settings.store_url else None
    if target.drivername == "sqlite":
        if mine is not None and mine.drivername != "sqlite":
            return False
        here = Path(mine.database) if mine is not None else settings.db_path
        return Path(target.database or "").resolve() == here.resolve()
    return mine is not None and (mine.host, mine.port, mine.database) == (target.host, target.port, target.database)


def push_threads(source_saver, target_saver, learner: str, report: PushReport) -> None:
    """Copy the learner's checkpoints, oldest first, each with its pending writes; a thread
    ``<learner>:lesson_NN`` becomes the target learner's ``<target>:lesson_NN``."""
    if source_saver is None:
        return
    prefix, theirs = f"{learner}:lesson_", f"{report.target_learner or learner}:lesson_"
    found = [t for t in source_saver.list(None) if str(t.config["configurable"]["thread_id"]).startswith(prefix)]
    for item in reversed(found):  # list() is newest first
        conf = dict(item.config["configurable"])
        conf["thread_id"] = theirs + str(conf["thread_id"])[len(prefix):]
        key = {"configurable": {"thread_id": conf["thread_id"], "checkpoint_ns": conf.get("checkpoint_ns", ""),
                                "checkpoint_id": conf["checkpoint_id"]}}
        there = target_saver.get_tuple(key)
        if there is not None:
            same = there.checkpoint.get("channel_values") == item.checkpoint.get("channel_values")
            report.count("checkpoints", origin.SAME if same else origin.CONFLICT)
            if not same:
                report.conflicts.append(f"checkpoints {conf['thread_id']} {conf['checkpoint_id']}: the target has "
                                        "other values; left as it is")
            continue
        parent = {"configurable": {**((item.parent_config or {}).get("configurable") or {}),
                                   "thread_id": conf["thread_id"], "checkpoint_ns": conf.get("checkpoint_ns", "")}}
        saved = target_saver.put(parent, item.checkpoint, item.metadata, item.checkpoint.get("channel_versions") or {})
        by_task: dict[str, list] = {}
        for task_id, channel, value in item.pending_writes or []:
            by_task.setdefault(task_id, []).append((channel, value))
        for task_id, writes in by_task.items():
            target_saver.put_writes(saved, writes, task_id)
        report.count("checkpoints", origin.INSERTED)
