"""Fixtures for retrieval tests.

Two kinds of index: a copy of part of the course with a counting fake embedder (fast, for
chunking and incremental indexing), and the real course embedded with the packaged MiniLM,
built once per session (tests/conftest.py's course_index_home, shared with the agent tests).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent.parent
EVAL_SET = Path(__file__).resolve().parent / "eval_set.yaml"
MINI_COURSE = REPO / "tests" / "foundation" / "mini_course"


class CountingEmbedder:
    """Deterministic unit vectors from a text hash; records every text it embeds."""

    model_path = "fake-embedder"
    dim = 16

    def __init__(self):
        self.calls: list[list[str]] = []

    @property
    def texts(self) -> list[str]:
        return [t for call in self.calls for t in call]

    def encode(self, texts):
        texts = list(texts)
        self.calls.append(texts)
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.stack(rows) if rows else np.zeros((0, self.dim), np.float32)


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """Lessons 1 and 2 of the shipped course with their labs, in a folder a test may edit."""
    root = tmp_path / "course"
    for n in (1, 2):
        (root / "curriculum" / "lessons").mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "curriculum" / "lessons" / f"lesson_{n:02d}.md", root / "curriculum" / "lessons")
        shutil.copytree(REPO / "curriculum" / "labs" / f"lesson_{n:02d}", root / "curriculum" / "labs" / f"lesson_{n:02d}")
    return root


@pytest.fixture(scope="session")
def real_home(course_index_home) -> Path:
    return course_index_home  # tests/conftest.py's: one full index per session for every part


@pytest.fixture(scope="session")
def real_retriever(real_home):
    """The shipped course, indexed once with the packaged all-MiniLM-L6-v2."""
    from tutor.config import Settings
    from tutor.retrieval import get_retriever

    settings = Settings(home=real_home, course=REPO)
    retriever = get_retriever(settings)
    retriever.ensure_index()
    return retriever
