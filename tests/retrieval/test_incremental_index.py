"""The index re-embeds only what changed, is rebuilt on request, and is built on first use."""

from __future__ import annotations

import shutil

import pytest

from tests.retrieval.conftest import REPO, CountingEmbedder
from tutor.retrieval import Retriever
from tutor.retrieval.chunking import chunk_course

REPO_LESSON_3 = REPO / "curriculum" / "lessons" / "lesson_03.md"


@pytest.fixture
def embedder():
    return CountingEmbedder()


@pytest.fixture
def retriever(course_copy, tmp_path, embedder):
    return Retriever(course_copy, tmp_path / "index", embedder)


def lesson_file(root, n):
    return root / "curriculum" / "lessons" / f"lesson_{n:02d}.md"


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_missing_index_is_not_ready_and_is_built_on_first_search(retriever, embedder, course_copy):
    assert not retriever.index_ready()
    seen = []
    retriever.ensure_index(progress=lambda done, total, label: seen.append((done, total, label)))
    assert retriever.index_ready()
    assert len(embedder.texts) == len(chunk_course(course_copy))
    assert seen[-1][0] == seen[-1][1] > 0, "progress ends at done == total"
    assert retriever.search("byte pair encoding merges", k=3)


def test_search_builds_a_missing_index_itself(retriever, embedder):
    hits = retriever.search("cosine similarity", k=2, mode="bm25")
    assert len(hits) == 2 and embedder.texts


def test_nothing_changed_means_no_embedding(retriever, embedder, course_copy, tmp_path):
    retriever.ensure_index()
    embedder.calls.clear()
    stats = retriever.refresh()
    assert stats.embedded == 0 and stats.removed == 0 and embedder.calls == []
    # a new process: a fresh Retriever over the same index finds it current
    fresh = Retriever(course_copy, tmp_path / "index", embedder)
    assert fresh.index_ready()
    assert fresh.ensure_index() is None and embedder.calls == []


def test_editing_one_lesson_re_embeds_only_its_changed_chunks(retriever, embedder, course_copy):
    retriever.ensure_index()
    embedder.calls.clear()
    edit(lesson_file(course_copy, 2), "A model keeps an **embedding table**", "Every model keeps an **embedding table**")
    assert not retriever.index_ready()
    stats = retriever.refresh()
    assert stats.embedded == len(embedder.texts) >= 1
    assert stats.embedded <= 3, "only the chunks holding the edited line"
    assert all("Every model keeps an **embedding table**" in t for t in embedder.texts)
    assert retriever.index_ready()


def test_moved_text_keeps_its_vector_and_gets_new_lines(retriever, embedder, course_copy):
    retriever.ensure_index()
    path = lesson_file(course_copy, 1)
    before = {h.section: h.lines for h in retriever.search("Byte-pair encoding builds the vocabulary bottom-up", k=1, lesson=1, mode="bm25")}
    embedder.calls.clear()
    edit(path, "# Lesson 1:", "\n\n# Lesson 1:")  # shifts every body line by 2
    stats = retriever.refresh()
    assert stats.embedded == 0 and stats.reused > 0
    after = {h.section: h.lines for h in retriever.search("Byte-pair encoding builds the vocabulary bottom-up", k=1, lesson=1, mode="bm25")}
    (section, (start, end)), = after.items()
    assert before[section] == (start - 2, end - 2)
    assert path.read_text().splitlines()[start - 1].startswith("### Byte-pair encoding")


def test_a_deleted_lab_readme_drops_its_chunks(retriever, course_copy):
    retriever.ensure_index()
    (course_copy / "curriculum" / "labs" / "lesson_02" / "README.md").unlink()
    stats = retriever.refresh()
    assert stats.removed > 0
    hits = retriever.search("what to hand in", k=50, lesson=2, kinds={"lab"}, mode="dense")
    assert hits and all(h.file != "curriculum/labs/lesson_02/README.md" for h in hits)


def test_a_new_lesson_is_picked_up(retriever, embedder, course_copy):
    retriever.ensure_index()
    embedder.calls.clear()
    shutil.copy(REPO_LESSON_3, lesson_file(course_copy, 3))
    assert not retriever.index_ready()
    retriever.ensure_index()
    assert embedder.texts and all("Lesson 3:" in t for t in embedder.texts)
    assert {h.lesson for h in retriever.search("softmax temperature", k=5, mode="bm25")} & {3}


def test_rebuild_starts_over(retriever, embedder, course_copy):
    retriever.ensure_index()
    n = len(embedder.texts)
    embedder.calls.clear()
    stats = retriever.refresh(rebuild=True)
    assert stats.embedded == n == len(embedder.texts) and stats.reused == 0
    assert retriever.index_ready()


def test_another_embedding_model_makes_the_index_stale(retriever, course_copy, tmp_path):
    retriever.ensure_index()
    other = CountingEmbedder()
    other.model_path = "another-model"
    assert not Retriever(course_copy, tmp_path / "index", other).index_ready()


def test_a_corrupt_manifest_means_rebuild_not_crash(retriever, embedder, course_copy, tmp_path):
    retriever.ensure_index()
    (tmp_path / "index" / "manifest.json").write_text("{not json")
    fresh = Retriever(course_copy, tmp_path / "index", embedder)
    assert not fresh.index_ready()
    fresh.ensure_index()
    assert fresh.index_ready()


def test_a_fresh_index_of_the_shipped_texts_embeds_nothing_and_an_edit_only_what_changed(course_copy, tmp_path):
    from tutor.retrieval import seed
    from tutor.retrieval.embedder import Embedder

    packaged = Embedder(seed.packaged_model_path())
    retriever = Retriever(course_copy, tmp_path / "index", packaged)
    stats = retriever.refresh()
    assert stats.embedded == 0 and stats.reused == stats.chunks > 0, "every vector came with the package"
    assert not packaged.loaded, "sentence-transformers was not even loaded"
    edit(lesson_file(course_copy, 2), "A model keeps an **embedding table**", "Every model keeps an **embedding table**")
    seen = []
    stats = retriever.refresh(lambda done, total, label: seen.append((done, total, label)))
    assert 1 <= stats.embedded <= 3
    assert ("embedding" in {label for _, _, label in seen}) and seen[-1][0] == seen[-1][1] == stats.embedded
    hits = retriever.search("Every model keeps an embedding table", k=3, lesson=2, mode="bm25")
    assert any("Every model keeps an **embedding table**" in hit.text for hit in hits)
