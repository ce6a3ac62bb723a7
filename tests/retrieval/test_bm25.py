"""BM25 scoring: the same numbers as rank-bm25, from a sparse matrix; a light analyser."""

from __future__ import annotations

import numpy as np
from rank_bm25 import BM25Okapi

from tutor.retrieval.bm25 import KeywordIndex, analyse
from tutor.retrieval.chunking import chunk_course


def test_keyword_scores_match_rank_bm25(course_copy):
    docs = [c.text for c in chunk_course(course_copy)]
    index, reference = KeywordIndex(docs), BM25Okapi([analyse(d) for d in docs])
    for query in ("why does BPE merge frequent pairs", "cosine cosine similarity of embeddings"):
        expected = reference.get_scores(analyse(query))
        assert expected.max() > 0
        assert np.allclose(index.scores(query), expected, atol=1e-5)


def test_analyser_folds_endings_and_drops_question_words():
    assert analyse("Why does BPE merge pairs?") == analyse("BPE merges pair")
    assert analyse("what is the KV-cache") == ["kv-cach", "kv", "cach"]
