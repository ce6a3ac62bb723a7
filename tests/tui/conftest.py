"""Fixtures of the app tests: a two-lesson copy of the course whose retrieval index is built
once per session (real embedding model) and linked into each test's own TUTOR_HOME, and the
``wait_until`` helper (no fixed sleeps)."""

import json
import shutil
import time
from pathlib import Path

import pytest

from tutor.config import load_settings

REPO = Path(__file__).resolve().parents[2]


async def wait_until(pilot, predicate, timeout: float = 30.0) -> None:
    """Poll the app until predicate() holds, failing after timeout (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached before the deadline")
        await pilot.pause(0.05)


def copy_course(root: Path, lessons=(1, 2)) -> Path:
    """AGENTS.md, the plan, and the given lessons with their labs and rubrics."""
    (root / "curriculum" / "lessons").mkdir(parents=True)
    (root / "curriculum" / "labs").mkdir(parents=True)
    (root / "rubrics").mkdir(parents=True)
    shutil.copy(REPO / "AGENTS.md", root)
    shutil.copy(REPO / "curriculum" / "course_plan.md", root / "curriculum")
    shutil.copy(REPO / "rubrics" / "default.yaml", root / "rubrics")
    for n in lessons:
        shutil.copy(REPO / "curriculum" / "lessons" / f"lesson_{n:02d}.md", root / "curriculum" / "lessons")
        shutil.copytree(REPO / "curriculum" / "labs" / f"lesson_{n:02d}", root / "curriculum" / "labs" / f"lesson_{n:02d}")
        shutil.copy(REPO / "rubrics" / f"lesson_{n:02d}.yaml", root / "rubrics")
    return root


@pytest.fixture(scope="session")
def small_course(tmp_path_factory) -> Path:
    return copy_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="session")
def shared_home(small_course, tmp_path_factory) -> Path:
    """A TUTOR_HOME holding the small course's index (built once with the packaged embedding
    model) and the agent's cached prototype and catalogue vectors."""
    from tutor.config import Settings
    from tutor.retrieval import get_retriever

    home = tmp_path_factory.mktemp("tui-shared-home")
    get_retriever(Settings(home=home, course=small_course)).ensure_index()
    (home / "cache").mkdir(exist_ok=True)
    return home


@pytest.fixture
def course_settings(small_course, shared_home, _isolated_user_data):
    """Settings for the small course in this test's own TUTOR_HOME, with the shared index and
    vector cache linked in."""

    def make(**overrides):
        for name in ("index", "cache"):
            target = _isolated_user_data / name
            if not (target.is_symlink() or target.exists()):
                target.symlink_to(shared_home / name, target_is_directory=True)
        return load_settings(course=small_course, **overrides)

    return make


@pytest.fixture
def offline_settings(course_settings):
    return course_settings(model="offline")


@pytest.fixture
def replay_file(tmp_path):
    def make(*replies: dict) -> Path:
        path = tmp_path / "replay.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in replies))
        return path

    return make


@pytest.fixture
def plain_settings():
    """Settings for tests whose backend is a double: nothing is loaded from the course."""
    return load_settings(model="offline")


@pytest.fixture
def cohort_store(plain_settings, monkeypatch):
    """A store holding the three learners of ``store_data.populate`` (fixed clock)."""
    from tests.tui.store_data import populate
    from tutor.store import open_store

    store = open_store(plain_settings)
    populate(store, monkeypatch)
    return store
