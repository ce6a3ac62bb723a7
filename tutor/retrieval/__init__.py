"""Retrieval over the course: embeddings, chunking, a persistent index and hybrid search.

Public API::

    from tutor.retrieval import get_embedder, Retriever, Hit, get_retriever

    emb = get_embedder(settings)      # lazy, one per process per model path
    r = get_retriever(settings)       # one per process per (course, index dir, model)
    r.ensure_index(progress)          # build/refresh if missing or stale
    hits = r.search("why does BPE merge frequent pairs", k=5, boost_lesson=1)

Importing this package loads no model and opens no store (chromadb, sentence-transformers
and rank-bm25 are imported on first use; a built index keeps its fitted BM25 in its snapshot).
"""

from __future__ import annotations

from tutor.retrieval.embedder import Embedder, EmbedderError, get_embedder
from tutor.retrieval.index import RefreshStats
from tutor.retrieval.search import MODES, Hit, Retriever, get_retriever

__all__ = ["Embedder", "EmbedderError", "Hit", "MODES", "RefreshStats", "Retriever", "get_embedder", "get_retriever"]
