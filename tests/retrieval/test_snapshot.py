"""A built index is searched from its snapshot: no Chroma on a cold start, the same hits, and a
snapshot of another build (or a damaged one) is never used."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests.retrieval.conftest import REPO, CountingEmbedder
from tutor.retrieval import Retriever, snapshot
from tutor.retrieval.bm25 import KeywordIndex, searchable


@pytest.fixture
def built(course_copy, tmp_path):
    retriever = Retriever(course_copy, tmp_path / "index", CountingEmbedder())
    retriever.ensure_index()
    return course_copy, tmp_path / "index"


def fresh(course, index_dir):
    return Retriever(course, index_dir, CountingEmbedder())


def test_the_snapshot_holds_what_chroma_holds(built):
    course, index_dir = built
    assert (index_dir / snapshot.NAME).is_file()
    index = fresh(course, index_dir).index
    from_snapshot, from_chroma = index.load(), index._load_from_store()
    assert from_snapshot.ids == from_chroma.ids and from_snapshot.documents == from_chroma.documents
    assert from_snapshot.metadatas == from_chroma.metadatas
    assert np.array_equal(from_snapshot.embeddings, from_chroma.embeddings)
    refit = KeywordIndex(searchable(from_chroma.metadatas, from_chroma.documents))
    for query in ("why does BPE merge frequent pairs", "cosine similarity of embeddings", "zzz"):
        assert np.allclose(from_snapshot.keywords.scores(query), refit.scores(query), atol=1e-6)
    assert from_snapshot.keywords.scores("byte pair merges").max() > 0


def test_a_snapshot_of_another_build_is_ignored_and_replaced(built):
    course, index_dir = built
    lesson = course / "curriculum" / "lessons" / "lesson_01.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n\n## A new section\n\nZebra crossings tokenise oddly.\n",
                      encoding="utf-8")
    retriever = fresh(course, index_dir)
    hits = retriever.search("zebra crossings", k=3, mode="bm25")
    assert any("Zebra" in h.text for h in hits)  # not the old build's chunks from the old snapshot
    assert any("Zebra" in d for d in snapshot.read(index_dir, retriever.index.read_manifest()).documents)


@pytest.mark.parametrize("damage", ["truncate", "other_stamp", "bad_bm25"])
def test_a_damaged_snapshot_falls_back_to_chroma(built, damage):
    course, index_dir = built
    path = index_dir / snapshot.NAME
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "bad_bm25":  # a document index past the end of the corpus
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        arrays["bm25_indices"] = arrays["bm25_indices"] + len(arrays["bm25_indices"])
        np.savez(path.with_suffix(".tmp.npz"), **arrays)
        path.with_suffix(".tmp.npz").replace(path)
        assert snapshot.read(index_dir, fresh(course, index_dir).index.read_manifest()) is None
    else:
        index = fresh(course, index_dir).index
        snapshot.write(index_dir, {"built_at": 1.0, "chunks": 1}, index._load_from_store())
    index = fresh(course, index_dir).index
    assert index.load().ids == index._load_from_store().ids


def test_a_cold_search_of_a_built_index_never_imports_chromadb_or_refits_bm25(built):
    course, index_dir = built
    code = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
from tests.retrieval.conftest import CountingEmbedder
from tutor.retrieval import Retriever
r = Retriever({str(course)!r}, {str(index_dir)!r}, CountingEmbedder())
hits = r.search("byte pair merges", k=2, mode="bm25")
assert hits, "no hits"
print([name for name in ("chromadb", "rank_bm25", "scipy") if name in sys.modules])
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
