"""Search over the real course, embedded once with the packaged MiniLM (see conftest)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.retrieval.conftest import REPO
from tutor.retrieval import Hit, get_embedder, get_retriever
from tutor.retrieval.embedder import Embedder

QUERY = "why does BPE merge frequent pairs"


def test_the_must_show_query_finds_lesson_1_first(real_retriever):
    hits = real_retriever.search(QUERY, k=5)
    assert hits[0].lesson == 1
    assert all(isinstance(h, Hit) for h in hits) and len(hits) == 5


def test_hits_cite_lines_that_open_on_their_text(real_retriever):
    for hit in real_retriever.search("how does the causal mask hide future tokens", k=5):
        lines = (REPO / hit.file).read_text(encoding="utf-8").splitlines()
        start, end = hit.lines
        assert 1 <= start <= end <= len(lines)
        if hit.kind != "misconception":
            assert hit.text.splitlines()[0].strip() in lines[start - 1]


def test_to_dict_is_the_search_json_shape(real_retriever):
    data = real_retriever.search(QUERY, k=1)[0].to_dict()
    assert set(data) == {"lesson", "section", "file", "lines", "kind", "score", "text"}
    assert isinstance(data["lesson"], int) and isinstance(data["score"], float)
    assert isinstance(data["lines"], list) and len(data["lines"]) == 2
    citation = real_retriever.search(QUERY, k=1)[0].citation()
    assert citation == {k: data[k] for k in ("lesson", "section", "file", "lines")}


def test_scores_are_in_descending_order(real_retriever):
    for mode in ("hybrid", "dense", "bm25"):
        scores = [h.score for h in real_retriever.search("softmax temperature sampling", k=8, mode=mode)]
        assert scores == sorted(scores, reverse=True) and scores, mode


def test_lesson_filter_keeps_only_that_lesson(real_retriever):
    hits = real_retriever.search(QUERY, k=10, lesson=4)
    assert hits and {h.lesson for h in hits} == {4}


def test_kinds_filter_keeps_only_those_kinds(real_retriever):
    hits = real_retriever.search("KV cache memory", k=10, kinds={"misconception", "self-check"})
    assert hits and {h.kind for h in hits} <= {"misconception", "self-check"}


def test_boost_lifts_the_current_lesson(real_retriever):
    query = "how does temperature change what the model samples"
    plain = real_retriever.search(query, k=20)
    lessons = [h.lesson for h in plain]
    runner_up = next(lesson for lesson in lessons if lesson != lessons[0])
    boosted = real_retriever.search(query, k=20, boost_lesson=runner_up)
    assert boosted[0].lesson == runner_up
    assert [h.lesson for h in boosted].index(runner_up) < lessons.index(runner_up)


def test_modes_rank_differently_and_an_unknown_mode_is_refused(real_retriever):
    dense = real_retriever.search(QUERY, k=5, mode="dense")
    bm25 = real_retriever.search(QUERY, k=5, mode="bm25")
    assert dense and bm25 and dense[0].lesson == bm25[0].lesson == 1
    with pytest.raises(ValueError, match="unknown search mode"):
        real_retriever.search(QUERY, mode="fuzzy")


def test_a_caller_may_pass_the_query_embedding(real_retriever, monkeypatch):
    vector = real_retriever.embedder.encode([QUERY])[0]
    expected = real_retriever.search(QUERY, k=5)

    def refuse(texts):
        raise AssertionError("the query was embedded again")

    monkeypatch.setattr(real_retriever, "embed_query", refuse)
    assert real_retriever.search(QUERY, k=5, query_embedding=vector) == expected


def test_empty_query_and_empty_filter_give_no_hits(real_retriever):
    assert real_retriever.search("   ", k=5) == []
    assert real_retriever.search(QUERY, k=5, lesson=99) == []


def test_embedder_is_cached_per_process_and_loads_lazily(real_retriever):
    from tutor.config import Settings

    settings = Settings(home=real_retriever.index.index_dir.parent, course=REPO)
    assert get_embedder(settings) is get_embedder(settings) is real_retriever.embedder
    assert get_retriever(settings) is real_retriever
    assert not Embedder(real_retriever.embedder.model_path).loaded


def test_embeddings_are_unit_length_float32(real_retriever):
    vectors = real_retriever.embedder.encode(["attention", "a longer sentence about the KV cache"])
    assert vectors.dtype == np.float32 and vectors.shape == (2, real_retriever.embedder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
