"""What `tutor doctor` and `tutor db current` say about the database, without creating or
migrating anything: kind, where (password masked), reachable, schema revision, row security."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DatabaseStatus:
    kind: str                    # sqlite | postgresql
    where: str                   # the file, or the URL with its password masked
    reachable: bool
    revision: str | None = None  # None: empty (or a pre-Alembic SQLite file)
    head: str = ""
    problem: str = ""            # one line, no URL
    row_security: dict[str, bool] = field(default_factory=dict)
    learner: str | None = None   # the learner the connecting role is (cohort databases)

    @property
    def newer(self) -> bool:
        """The database was written by a newer tutor (a revision these scripts do not know)."""
        if not self.revision or self.revision == self.head:
            return False
        from tutor.store.schema import known_revisions

        return self.revision not in known_revisions()

    def newer_problem(self) -> str:
        return (f"{self.where}: schema revision {self.revision} is newer than this tutor knows ({self.head}); "
                "upgrade the tutor (pip install -U course-tutor), or use another database")

    @property
    def row_security_on(self) -> bool | None:
        return all(self.row_security.values()) if self.row_security else None


def database_status(settings) -> DatabaseStatus:
    from sqlalchemy.exc import DBAPIError, OperationalError

    from tutor.store import cohort, schema, urls
    from tutor.store.engine import create_server_engine, create_store_engine
    from tutor.store.open import first_line, postgres_missing, server_reason

    head = schema.head()
    url = settings.store_url
    if url:
        try:
            parsed = urls.parse(url)
        except urls.BadURL as exc:
            return DatabaseStatus("unknown", "(unreadable URL)", False, head=head, problem=str(exc))
    if not url or parsed.drivername == "sqlite":
        path = settings.db_path if not url else parsed.database
        from pathlib import Path

        path = Path(path)
        if not path.is_file():
            return DatabaseStatus("sqlite", str(path), True, head=head, problem="not created yet: it is created on first use")
        engine = create_store_engine(path)
        try:
            return DatabaseStatus("sqlite", str(path), True, schema.current(engine), head)
        except DBAPIError as exc:
            return DatabaseStatus("sqlite", str(path), False, head=head, problem=first_line(exc.orig))
        finally:
            engine.dispose()
    shown = urls.display_url(parsed)
    if missing := postgres_missing():
        return DatabaseStatus("postgresql", shown, False, head=head, problem=missing)
    engine = create_server_engine(parsed.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            status = DatabaseStatus("postgresql", shown, True, schema.current(engine), head)
            if status.revision:
                status.row_security = cohort.row_security(conn)
                if "cohort_members" in conn.dialect.get_table_names(conn):
                    status.learner = cohort.bound_learner(conn)
            return status
    except OperationalError as exc:
        return DatabaseStatus("postgresql", shown, False, head=head, problem=server_reason(exc))
    except DBAPIError as exc:
        return DatabaseStatus("postgresql", shown, True, head=head, problem=first_line(exc.orig))
    finally:
        engine.dispose()
