"""Every test runs offline, with user data in a temp dir and no config file of the user's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_user_data(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("tutor-home")
    monkeypatch.setenv("TUTOR_HOME", str(home))
    monkeypatch.setenv("TUTOR_CONFIG", os.devnull)  # no config file, on purpose
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    for var in ("TUTOR_MODEL", "TUTOR_BASE_URL", "TUTOR_COURSE", "TUTOR_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    yield home


@pytest.fixture(scope="session")
def course_index_home(tmp_path_factory) -> Path:
    """A TUTOR_HOME holding the shipped course's full retrieval index (packaged embedder), built
    once per test session; every part's tests that need the full index share this one."""
    from tutor.config import Settings
    from tutor.retrieval import get_retriever

    home = tmp_path_factory.mktemp("course-index-home")
    get_retriever(Settings(home=home, course=REPO)).ensure_index()
    return home


@pytest.fixture
def linked_index_home(course_index_home, _isolated_user_data) -> Path:
    """This test's own TUTOR_HOME with the shared index and vector cache linked in."""
    for name in ("index", "cache"):
        target = _isolated_user_data / name
        if not (target.is_symlink() or target.exists()):
            (course_index_home / name).mkdir(exist_ok=True)
            target.symlink_to(course_index_home / name, target_is_directory=True)
    return _isolated_user_data


@pytest.fixture
def repo_root() -> Path:
    return REPO


def needs_service(name: str, missing: str | None) -> None:
    """Skip a test whose real server (``name``: postgres, slurm) is not there, saying why.

    Under ``.ci/run``, which starts the service and lists it in ``TUTOR_CI_SERVICES``, a missing
    service fails the test instead: CI must never pass by skipping what it was meant to test."""
    if missing is None:
        return
    if name in os.environ.get("TUTOR_CI_SERVICES", "").split(","):
        pytest.fail(f"{name}: .ci/run started it, yet {missing}")
    pytest.skip(missing)
