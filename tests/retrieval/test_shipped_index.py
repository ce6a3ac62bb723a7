"""The index shipped with the package: current with the shipped course, ranked exactly as a
Chroma build of it, used only where it describes the course and model, and a fresh home that
searches with it writes nothing."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml

from tests.retrieval.conftest import EVAL_SET, REPO, CountingEmbedder
from tutor.retrieval import Retriever, shipped_index
from tutor.retrieval.chunking import chunk_course
from tutor.retrieval.index import file_hashes
from tutor.retrieval.seed import packaged_model_path


@pytest.fixture(scope="module")
def packaged():
    from tutor.retrieval.embedder import Embedder

    return Embedder(packaged_model_path())


def test_the_shipped_index_is_current_with_the_shipped_course():
    assert shipped_index.serves(file_hashes(REPO), packaged_model_path()), (
        "tutor/retrieval/shipped_index.npz is missing or out of date: run python -m tutor.retrieval.seed")
    stored = shipped_index.load()
    chunks = sorted(chunk_course(REPO), key=lambda c: (c.file, c.start, c.kind, c.id))
    assert stored.ids == [c.id for c in chunks]
    assert stored.documents == [c.text for c in chunks]
    assert np.allclose(np.linalg.norm(stored.embeddings, axis=1), 1.0, atol=1e-4)


def test_a_fresh_home_ranks_as_a_chroma_build_and_writes_nothing(packaged, tmp_path):
    fresh_dir = tmp_path / "fresh" / "index"
    fresh = Retriever(REPO, fresh_dir, packaged)
    assert fresh.index_ready() and fresh.index.serves_shipped()
    built = Retriever(REPO, tmp_path / "built" / "index", packaged)
    stats = built.refresh(rebuild=True)  # the Chroma path a home took before (shipped vectors, no model)
    assert stats.embedded == 0 and (tmp_path / "built" / "index" / "chroma").is_dir()
    assert not built.index.serves_shipped()
    queries = [item["q"] for item in yaml.safe_load(EVAL_SET.read_text(encoding="utf-8"))]
    assert len(queries) > 30
    for mode in ("hybrid", "dense", "bm25"):
        for query in queries:
            got = [(h.file, h.lines, h.kind, round(h.score, 5)) for h in fresh.search(query, k=5, mode=mode)]
            want = [(h.file, h.lines, h.kind, round(h.score, 5)) for h in built.search(query, k=5, mode=mode)]
            assert got == want, (mode, query)
    assert not fresh_dir.exists(), "searching with the shipped index wrote into the home"


def test_an_edited_course_is_indexed_as_before(tmp_path, packaged):
    course = tmp_path / "course"
    shutil.copytree(REPO / "curriculum", course / "curriculum")
    copy = Retriever(course, tmp_path / "copy-index", packaged)
    assert copy.index.serves_shipped()  # an unchanged copy is the shipped course
    lesson = course / "curriculum" / "lessons" / "lesson_03.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n\n## Okapi\n\nOkapis graze quietly.\n", encoding="utf-8")
    edited = Retriever(course, tmp_path / "edited-index", packaged)
    assert not edited.index_ready()
    stats = edited.ensure_index()
    assert stats is not None and stats.embedded >= 1 and stats.chunks > 800
    assert (tmp_path / "edited-index" / "manifest.json").is_file()
    assert any("Okapis" in h.text for h in edited.search("okapis graze", k=3, mode="bm25"))


def test_another_model_never_gets_the_shipped_index(tmp_path):
    retriever = Retriever(REPO, tmp_path / "index", CountingEmbedder())
    assert not retriever.index_ready()
    retriever.ensure_index()
    assert retriever.index.read_manifest()["embedder"] == "fake-embedder"
    assert retriever.index.load().embeddings.shape[1] == CountingEmbedder.dim


@pytest.mark.parametrize("damage", ["missing", "truncated", "other_header"])
def test_a_damaged_or_foreign_file_is_not_used(tmp_path, damage):
    path = tmp_path / "shipped.npz"
    if damage != "missing":
        shutil.copy(shipped_index.SHIPPED_FILE, path)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "other_header":
        with np.load(path, allow_pickle=False) as data:
            arrays = dict(data)
        arrays["header"] = np.array(str(arrays["header"]).replace('"chunker"', '"chunker_"'))
        np.savez(path, **arrays)
    assert not shipped_index.serves(file_hashes(REPO), packaged_model_path(), path=path)
    assert shipped_index.serves(file_hashes(REPO), packaged_model_path())  # the real one still serves
