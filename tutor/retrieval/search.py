"""Hybrid search: dense (cosine) and BM25 rankings fused by reciprocal rank.

After the first use the retriever keeps the stored chunks, their normalised embedding matrix
and the BM25 index in memory, so a query costs one embedding plus a matrix-vector product.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from tutor.retrieval.bm25 import KeywordIndex, searchable
from tutor.retrieval.index import CourseIndex, Progress, RefreshStats

MODES = ("hybrid", "dense", "bm25")
RRF_K = 60  # the usual constant of reciprocal-rank fusion (Cormack et al., 2009)
FUSION_DEPTH = 50  # each ranking contributes its top this-many chunks
BOOST = 1.25  # boost_lesson: fused (and BM25) scores of that lesson's chunks are multiplied by this
DENSE_BOOST = 0.05  # boost_lesson in dense mode: added to the cosine similarity
QUERY_CACHE = 256
RECHECK_S = 2.0  # search() looks for course edits at most this often (ensure_index always does)


@dataclass(frozen=True)
class Hit:
    lesson: int
    section: str
    file: str  # relative to the course root
    lines: tuple[int, int]  # 1-based, inclusive
    kind: str  # concept | lab | misconception | self-check
    score: float
    text: str

    def citation(self) -> dict:
        return {"lesson": self.lesson, "section": self.section, "file": self.file, "lines": list(self.lines)}

    def to_dict(self) -> dict:
        return {**self.citation(), "kind": self.kind, "score": round(float(self.score), 6), "text": self.text}


class _Memory:
    """The searchable form of the stored index."""

    def __init__(self, stored):
        self.metadatas = stored.metadatas
        self.documents = stored.documents
        self.matrix = stored.embeddings
        self.lessons = np.array([m["lesson"] for m in stored.metadatas], dtype=np.int64)
        self.kinds = np.array([m["kind"] for m in stored.metadatas], dtype=object)
        # fitted once per build and kept in the snapshot; refitted only when there is none
        self.keywords = stored.keywords or KeywordIndex(searchable(stored.metadatas, stored.documents))

    def hit(self, i: int, score: float) -> Hit:
        m = self.metadatas[i]
        return Hit(int(m["lesson"]), m["section"], m["file"], (int(m["start"]), int(m["end"])), m["kind"],
                   float(score), self.documents[i])


class Retriever:
    def __init__(self, course_dir: Path, index_dir: Path, embedder):
        self.embedder = embedder
        self.index = CourseIndex(course_dir, index_dir, embedder)
        self._memory: _Memory | None = None
        self._lock = threading.RLock()
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._checked_at = float("-inf")

    # -- index lifecycle -----------------------------------------------------------------------
    def stop_building(self) -> None:
        """Ask a build running on any thread to stop at its next batch (IndexBuildStopped).
        For a process that is about to exit: builds stay stopped afterwards."""
        self.index.stopping.set()

    @property
    def loaded(self) -> bool:
        """Are the chunks, vectors and BM25 held in memory (so a BM25 search needs no model)?"""
        return self._memory is not None

    def index_ready(self) -> bool:
        """Is a current index on disk? Cheap: a few ``stat`` calls once it has been checked."""
        return self.index.is_current()

    def ensure_index(self, progress: Progress | None = None) -> RefreshStats | None:
        """Build or refresh the index if it is missing or stale, then hold it in memory."""
        with self._lock:
            stats = None
            if not self.index.is_current():
                stats = self.index.refresh(progress)
                self._memory = None
            if self._memory is None:
                self._memory = _Memory(self.index.load())
            return stats

    def refresh(self, progress: Progress | None = None, rebuild: bool = False) -> RefreshStats:
        """Re-index now (only what changed, or everything with ``rebuild``)."""
        with self._lock:
            stats = self.index.refresh(progress, rebuild=rebuild)
            self._memory = None
            return stats

    # -- querying ------------------------------------------------------------------------------
    def embed_query(self, query: str) -> np.ndarray:
        """The query's unit vector; recent queries are remembered (the agent may ask twice)."""
        with self._lock:
            vec = self._query_vectors.get(query)
            if vec is not None:
                self._query_vectors.move_to_end(query)
                return vec
        vec = self.embedder.encode([query])[0]
        with self._lock:
            self._query_vectors[query] = vec
            if len(self._query_vectors) > QUERY_CACHE:
                self._query_vectors.popitem(last=False)
        return vec

    def search(
        self,
        query: str,
        k: int = 5,
        lesson: int | None = None,
        boost_lesson: int | None = None,
        kinds: Iterable[str] | None = None,
        mode: str = "hybrid",
        query_embedding: np.ndarray | None = None,
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query``, best first.

        ``lesson`` keeps only that lesson's chunks; ``boost_lesson`` ranks that lesson's chunks
        higher; ``kinds`` keeps only those kinds; ``mode`` picks hybrid, dense or BM25 ranking.
        """
        if mode not in MODES:
            raise ValueError(f"unknown search mode '{mode}'; use one of: {', '.join(MODES)}")
        if k < 1 or not query.strip():
            return []
        memory = self._memory
        now = time.monotonic()
        if memory is None or now - self._checked_at > RECHECK_S:
            with self._lock:
                self.ensure_index()
                self._checked_at = now
                memory = self._memory
        mask = np.ones(len(memory.metadatas), dtype=bool)
        if lesson is not None:
            mask &= memory.lessons == lesson
        if kinds is not None:
            mask &= np.isin(memory.kinds, list(kinds))
        candidates = np.flatnonzero(mask)
        if not len(candidates):
            return []
        boosted = (memory.lessons[candidates] == boost_lesson) if boost_lesson is not None else None

        dense = keyword = None
        if mode in ("hybrid", "dense"):
            vec = self.embed_query(query) if query_embedding is None else np.asarray(query_embedding, np.float32)
            dense = memory.matrix[candidates] @ vec.reshape(-1)
        if mode in ("hybrid", "bm25"):
            keyword = memory.keywords.scores(query)[candidates]

        if mode == "dense":
            scores = dense + (DENSE_BOOST * boosted if boosted is not None else 0.0)
        elif mode == "bm25":
            scores = keyword * (np.where(boosted, BOOST, 1.0) if boosted is not None else 1.0)
        else:
            scores = _rrf(dense, keyword)
            if boosted is not None:
                scores = scores * np.where(boosted, BOOST, 1.0)
        order = np.argsort(-scores, kind="stable")[:k]
        if mode == "bm25":
            order = [i for i in order if scores[i] > 0]
        return [memory.hit(int(candidates[i]), scores[i]) for i in order]


def _rank_positions(scores: np.ndarray, depth: int, keep: np.ndarray | None = None) -> np.ndarray:
    """1-based rank of each item among the top ``depth`` (0 for the rest)."""
    ranks = np.zeros(len(scores), dtype=np.int64)
    order = np.argsort(-scores, kind="stable")[:depth]
    if keep is not None:
        order = order[keep[order]]
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks


def _rrf(dense: np.ndarray, keyword: np.ndarray, depth: int = FUSION_DEPTH) -> np.ndarray:
    fused = np.zeros(len(dense), dtype=np.float64)
    for ranks in (_rank_positions(dense, depth), _rank_positions(keyword, depth, keep=keyword > 0)):
        hit = ranks > 0
        fused[hit] += 1.0 / (RRF_K + ranks[hit])
    return fused


_RETRIEVERS: dict[tuple[str, str, str], Retriever] = {}
_RETRIEVERS_LOCK = threading.Lock()


def get_retriever(settings=None) -> Retriever:
    """The process-wide Retriever for this course, index location and embedding model."""
    from tutor.retrieval.embedder import get_embedder

    if settings is None:
        from tutor.config import load_settings

        settings = load_settings()
    embedder = get_embedder(settings)
    key = (str(Path(settings.course_dir).resolve()), str(Path(settings.index_dir).resolve()), embedder.model_path)
    with _RETRIEVERS_LOCK:
        retriever = _RETRIEVERS.get(key)
        if retriever is None:
            retriever = _RETRIEVERS[key] = Retriever(Path(key[0]), Path(key[1]), embedder)
        return retriever
