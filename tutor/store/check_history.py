"""Attempt history of `tutor check`: the rows it writes and the per-TODO summary that the
instructor timeline shows (tries until a TODO passed, the check that held the learner longest)."""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session, select

from tutor.store.models import CheckAttemptRow, iso

CHECK_STATUSES = ("passed", "failed", "error", "timed_out", "not_started")
NAME_CHARS = 120


def attempt(row: CheckAttemptRow) -> dict:
    return {"id": row.id, "time": iso(row.created_at), "learner": row.learner_id, "lesson": row.lesson,
            "todo": row.todo, "status": row.status, "check_id": row.check_id, "source": row.source}


def rows_for(learner_id: str, lesson: int, results: list[dict], source: str, now) -> list[CheckAttemptRow]:
    """One row per TODO that was tried; not-started TODOs are no attempt and are left out."""
    rows = []
    for result in results:
        status = str(result.get("status") or "")
        if status not in CHECK_STATUSES or status == "not_started":
            continue
        check_id = result.get("check_id")
        rows.append(CheckAttemptRow(learner_id=learner_id, lesson=lesson, todo=str(result.get("todo"))[:NAME_CHARS],
                                    status=status, check_id=None if check_id is None else str(check_id)[:NAME_CHARS],
                                    source=source if source in ("lab", "paste") else "lab", created_at=now))
    return rows


def attempts(session: Session, learner_id: str, lesson: int | None = None) -> list[CheckAttemptRow]:
    query = select(CheckAttemptRow).where(CheckAttemptRow.learner_id == learner_id)
    if lesson is not None:
        query = query.where(CheckAttemptRow.lesson == lesson)
    return list(session.exec(query.order_by(CheckAttemptRow.id)).all())


def progress(rows: list[CheckAttemptRow]) -> list[dict]:
    """Per (lesson, TODO): tries, tries until the first pass (None while never passed), and the
    check that failed most often before that pass (ties: the one that failed first)."""
    grouped: dict[tuple[int, str], list[CheckAttemptRow]] = {}
    for row in rows:
        grouped.setdefault((row.lesson, row.todo), []).append(row)
    out = []
    for (lesson, todo), tries in sorted(grouped.items()):
        first_pass = next((i for i, r in enumerate(tries) if r.status == "passed"), None)
        before = tries if first_pass is None else tries[:first_pass]
        held = Counter(r.check_id or r.status for r in before if r.status != "passed")
        order = {key: i for i, key in reversed(list(enumerate(r.check_id or r.status for r in before)))}
        longest = max(held, key=lambda k: (held[k], -order[k])) if held else None
        out.append({"lesson": lesson, "todo": todo, "tries": len(tries),
                    "tries_until_pass": None if first_pass is None else first_pass + 1,
                    "passed": first_pass is not None, "latest": tries[-1].status,
                    "held_longest": longest, "held_tries": held[longest] if longest else 0})
    return out
