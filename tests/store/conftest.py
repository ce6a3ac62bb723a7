from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # store_support, also for spawned children


@pytest.fixture
def tutor_home(_isolated_user_data) -> Path:
    return Path(_isolated_user_data)


@pytest.fixture
def store(tutor_home):
    from store_support import make_settings
    from tutor.store import open_store

    return open_store(make_settings(tutor_home))
