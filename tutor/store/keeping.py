"""A learner's record is never silently lost when the database goes away: a write that fails
because the database cannot be reached is kept in the learner's on-disk queue
(tutor.store.pending) and ``NotSaved`` says so; the next write that reaches the database
first sends what waits, oldest first, each row once (tutor.store.origin): a row the database
already has with the same content is skipped, one it has with other content is set aside in
the learner's conflicts file and reported, never overwritten.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from tutor.store import origin
from tutor.store.pending import PendingQueue, QueueFull


class Unreachable(Exception):
    """Raised inside a drain to stop it: the database went away again."""


def is_unreachable(exc: BaseException) -> bool:
    """The database cannot be reached or used right now (server gone, connection killed, the
    SQLite file cannot be opened or is locked past the busy timeout), as opposed to a bad row."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def read_or(call, fallback):
    """``call()``, or ``fallback`` when the database cannot be reached: a turn still gets its
    reply without the learner's stored context (its records are kept: keep)."""
    try:
        return call()
    except DBAPIError as exc:
        if not is_unreachable(exc):
            raise
        return fallback


def where(store) -> tuple[str, str]:
    """What to call the database in a notice, and why it failed."""
    return ("cohort database", "unreachable") if store.dialect == "postgresql" else ("progress database", "unavailable")


def turn_notice(store, kept: bool = True) -> str:
    """The one sentence a learner reads when their turn did not reach the database."""
    name, why = where(store)
    if not kept:
        return f"This turn was not saved to the {name} ({why}) and could not be kept on this machine either."
    return (f"This turn was not saved to the {name} ({why}); it is kept on this machine and will be "
            "sent when the database is back.")


def keep(store, entry: dict):
    """Write ``entry`` (see tutor.store.pending) after whatever waits; when the database cannot be
    reached, queue it and raise the store's NotSaved. Returns (outcome, id, differences)."""
    from tutor.store.store import NotSaved

    queue = store.pending_queue(entry["learner"])
    if queue is None or not store.queue_only:  # queue_only: this turn already found the database away
        try:
            if queue is not None and queue.waiting():
                send_waiting(store, queue)
            return store.write_entry(entry, fresh=True)
        except DBAPIError as exc:
            if queue is None or not is_unreachable(exc):
                raise
    try:
        queue.append(entry)
    except (QueueFull, OSError) as exc:
        raise NotSaved(f"{turn_notice(store, kept=False)} ({exc})", kept=False) from None
    raise NotSaved(turn_notice(store), kept=True)


def write_entry(store, entry: dict, *, fresh: bool = False) -> tuple[str, int, list[str]]:
    """One write as kept in the queue: the learner touched (at ``lesson``), the lesson ``start``
    marked in progress, the row put once by its origin (tutor.store.origin); or ``resolve``: the
    learner's open misconception of that id marked resolved (doing it twice changes nothing)."""
    from sqlalchemy import update
    from sqlmodel import col

    from tutor.store.models import MisconceptionRow, utcnow
    from tutor.store.statements import START_LESSON

    values, now = entry["values"], utcnow()
    with store._write() as s:
        conn = s.connection()
        if entry["table"] == "resolve":
            conn.execute(update(MisconceptionRow).where(
                MisconceptionRow.learner_id == entry["learner"], col(MisconceptionRow.resolved).is_(False),
                MisconceptionRow.misconception_id == str(values.get("misconception_id"))).values(
                resolved=True, resolved_at=now))
            return origin.SAME, 0, []
        store._touch(s, values["learner_id"], entry.get("lesson"), now)
        if entry.get("start") is not None:
            conn.execute(START_LESSON[store.dialect], {"learner": values["learner_id"], "lesson": entry["start"],
                                                       "now": now})
        return origin.put_once(conn, entry["table"], values, fresh=fresh)


def send_waiting(store, queue: PendingQueue) -> None:
    """Send what waits in ``queue``; stops quietly at the first write the database cannot take
    for want of a connection (what is left stays). Conflicts become notices on the store."""
    counts = {origin.INSERTED: 0, origin.SAME: 0, origin.CONFLICT: 0}

    def send(entry: dict) -> None:
        values = entry.get("values") or {}
        if entry.get("table") != "resolve" and values.get("learner_id") != queue.learner_id:
            queue.set_aside(entry, "the record is not this learner's")
            return
        try:
            outcome, _, diff = store.write_entry(entry)
        except DBAPIError as exc:
            if is_unreachable(exc):
                raise Unreachable() from None
            queue.set_aside(entry, f"the database refused it: {str(exc.orig).splitlines()[0][:200]}")
            outcome, diff = origin.CONFLICT, []
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # a line no write can make sense of
            queue.set_aside(entry, f"not a record this tutor can write ({type(exc).__name__}: {exc})"[:300])
            outcome, diff = origin.CONFLICT, []
        else:
            if outcome == origin.CONFLICT:
                queue.set_aside(entry, f"the database has this {entry['table']} row with other content "
                                       f"({', '.join(diff)}); not overwritten")
        counts[outcome] += 1

    queue.drain(send, (Unreachable,))
    name, _ = where(store)
    if counts[origin.INSERTED] or counts[origin.SAME]:
        store.notices.append(f"{counts[origin.INSERTED] + counts[origin.SAME]} record(s) kept on this machine "
                             f"while the {name} was away are now in it.")
    if counts[origin.CONFLICT]:
        store.notices.append(f"{counts[origin.CONFLICT]} kept record(s) conflict with what the {name} has; "
                             f"they are in {queue.conflicts_path}, nothing was overwritten.")


def send_waiting_quietly(store, learner_id: str) -> None:
    """On opening a learner's session: send what waits, if the database takes it."""
    queue = store.pending_queue(learner_id)
    if queue is not None and queue.waiting():
        try:
            send_waiting(store, queue)
        except DBAPIError as exc:
            if not is_unreachable(exc):
                raise
