"""The learner progress store: SQLite (WAL, the default) or PostgreSQL through SQLModel, with Alembic migrations.

    from tutor.store import open_store
    store = open_store(settings)      # creates or upgrades settings.db_path; cheap to call again

See ``store.py`` for the API. Conversation text is kept only when both ``settings.log_text``
and the contract's ``policy.log_conversation_text`` allow it. API keys are never stored.
"""

from __future__ import annotations

from tutor.store.open import open_store, text_logging_allowed
from tutor.store.store import NotSaved, ProgressStore, StoreError

__all__ = ["open_store", "NotSaved", "ProgressStore", "StoreError", "text_logging_allowed"]
