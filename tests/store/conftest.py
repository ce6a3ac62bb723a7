from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def tutor_home(_isolated_user_data) -> Path:
    return Path(_isolated_user_data)


@pytest.fixture
def store(tutor_home):
    from tests.store.store_support import make_settings
    from tutor.store import open_store

    return open_store(make_settings(tutor_home))
