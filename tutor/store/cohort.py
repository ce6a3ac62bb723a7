"""Row security for a cohort on PostgreSQL: each learner connects with a role of their own and
sees and writes only their own rows; the instructor role reads and writes everything.

Two group roles (NOLOGIN) hold the rights: ``tutor_learner`` and ``tutor_instructor``. A
person's login role is a member of one of them; ``cohort_members`` maps a learner's login role
to their learner id, and ``tutor_learner()`` is that id for the connecting role (NULL for
anyone else, so a role that is in no row sees nothing). Policies are per table; the
database owner (who runs ``tutor db upgrade``) is not subject to them and no learner owns a
table, so no learner can turn them off. Conversation checkpoints are keyed by thread id
``<learner>:lesson_NN`` (tutor.agent.session.thread_id): the policy takes the learner from it.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, text

LEARNER_GROUP = "tutor_learner"
INSTRUCTOR_GROUP = "tutor_instructor"

# table -> the SQL expression naming whose row it is
OWNED_BY = {
    "learners": "id",
    "profiles": "learner_id",
    "lesson_progress": "learner_id",
    "turns": "learner_id",
    "misconceptions": "learner_id",
    "contract_events": "learner_id",
    "submissions": "learner_id",
    "runs": "learner_id",
    "summaries": "learner_id",
    "check_attempts": "learner_id",
    "checkpoints": "substring(thread_id from '^(.*):lesson_[0-9]+$')",
    "checkpoint_blobs": "substring(thread_id from '^(.*):lesson_[0-9]+$')",
    "checkpoint_writes": "substring(thread_id from '^(.*):lesson_[0-9]+$')",
}
# rows owned through another table's row (RLS applies inside the subquery too)
OWNED_THROUGH = {"criterion_scores": "EXISTS (SELECT 1 FROM submissions s WHERE s.id = submission_id)"}
READ_ONLY = ["alembic_version", "checkpoint_migrations"]


def security_statements() -> list[str]:
    """Idempotent DDL: the group roles, the member map, and every table's policies."""
    groups = [f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{g}') THEN CREATE ROLE {g} NOLOGIN; END IF;
    END $$""" for g in (LEARNER_GROUP, INSTRUCTOR_GROUP)]
    out = groups + [
        """CREATE TABLE IF NOT EXISTS cohort_members (
            role_name TEXT PRIMARY KEY, kind TEXT NOT NULL, learner_id TEXT)""",
        "ALTER TABLE cohort_members ENABLE ROW LEVEL SECURITY",
        "DROP POLICY IF EXISTS own_row ON cohort_members",
        "CREATE POLICY own_row ON cohort_members FOR SELECT USING (role_name = current_user)",
        f"GRANT SELECT ON cohort_members TO {LEARNER_GROUP}, {INSTRUCTOR_GROUP}",
        """CREATE OR REPLACE FUNCTION tutor_learner() RETURNS TEXT LANGUAGE sql STABLE AS
           $$ SELECT learner_id FROM cohort_members WHERE role_name = current_user AND kind = 'learner' $$""",
        f"GRANT USAGE ON SCHEMA public TO {LEARNER_GROUP}, {INSTRUCTOR_GROUP}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {LEARNER_GROUP}, {INSTRUCTOR_GROUP}",
    ]
    for table in READ_ONLY:
        out.append(f"GRANT SELECT ON {table} TO {LEARNER_GROUP}, {INSTRUCTOR_GROUP}")
    for table, rule in [(t, f"{c} = tutor_learner()") for t, c in OWNED_BY.items()] + list(OWNED_THROUGH.items()):
        out += [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {LEARNER_GROUP}, {INSTRUCTOR_GROUP}",
            f"DROP POLICY IF EXISTS learner_own ON {table}",
            f"CREATE POLICY learner_own ON {table} TO {LEARNER_GROUP} USING ({rule}) WITH CHECK ({rule})",
            f"DROP POLICY IF EXISTS instructor_all ON {table}",
            f"CREATE POLICY instructor_all ON {table} TO {INSTRUCTOR_GROUP} USING (true) WITH CHECK (true)",
        ]
    return out


def role_name(kind: str, name: str) -> str:
    """A login role name for a learner id or instructor name: lower-case, safe, at most 63 bytes."""
    safe = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name.lower())[:40]
    if not safe:
        raise ValueError("the name needs at least one letter or digit")
    return f"tutor_{kind[0]}_{safe}"


def grant(conn: Connection, kind: str, name: str) -> tuple[str, str]:
    """Create (or reset the password of) the login role for a learner or instructor; returns
    (role, password). The password is returned once, to be handed to the person, never logged."""
    if kind not in ("learner", "instructor"):
        raise ValueError(kind)
    role = role_name(kind, name)
    taken = conn.execute(text("SELECT kind, learner_id FROM cohort_members WHERE role_name = :r"), {"r": role}).first()
    if taken is not None and tuple(taken) != (kind, name if kind == "learner" else None):
        raise ValueError(f"the role {role} already belongs to {taken[0]} {taken[1] or ''}".rstrip())
    password = secrets.token_urlsafe(18)
    quoted = conn.exec_driver_sql("SELECT quote_literal(%(p)s)", {"p": password}).scalar_one()
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    verb = "ALTER" if exists else "CREATE"
    conn.exec_driver_sql(f"{verb} ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS "
                         f"PASSWORD {quoted}")
    group = LEARNER_GROUP if kind == "learner" else INSTRUCTOR_GROUP
    conn.exec_driver_sql(f"GRANT {group} TO {role}")
    conn.execute(text("INSERT INTO cohort_members (role_name, kind, learner_id) VALUES (:r, :k, :l) "
                      "ON CONFLICT (role_name) DO UPDATE SET kind = excluded.kind, learner_id = excluded.learner_id"),
                 {"r": role, "k": kind, "l": name if kind == "learner" else None})
    return role, password


def bound_learner(conn: Connection) -> str | None:
    """The learner id the connecting role is (None: not a learner role, e.g. the instructor)."""
    if conn.dialect.name != "postgresql":
        return None
    return conn.execute(text("SELECT tutor_learner()")).scalar()


def row_security(conn: Connection) -> dict[str, bool]:
    """Which progress and checkpoint tables have row security on (PostgreSQL)."""
    rows = conn.execute(text("SELECT relname, relrowsecurity FROM pg_class WHERE relkind = 'r' "
                             "AND relnamespace = 'public'::regnamespace")).all()
    present = dict(rows)
    return {t: bool(present.get(t)) for t in [*OWNED_BY, *OWNED_THROUGH] if t in present}
