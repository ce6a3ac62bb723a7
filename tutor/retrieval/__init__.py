"""Retrieval over the course: embeddings, chunking, a persistent index and hybrid search.

Public API::

    from tutor.retrieval import get_embedder, Retriever, Hit, get_retriever

Names are imported lazily so that ``import tutor.retrieval`` stays cheap.
"""

from __future__ import annotations

from tutor.retrieval.embedder import Embedder, EmbedderError, get_embedder

__all__ = ["Embedder", "EmbedderError", "get_embedder"]
