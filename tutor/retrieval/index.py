"""The persistent index: chunks and their embeddings in Chroma, plus a manifest of hashes.

The manifest (``index_dir/manifest.json``) records a content hash per source file, the
chunker version and the embedding model. The index is current when all of them match.
A refresh re-chunks the course (cheap), deletes chunks that are gone, and embeds only
chunks whose text is new: a chunk whose text is unchanged but whose lines moved keeps its
stored vector.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from tutor.retrieval.chunking import CHUNKER_VERSION, Chunk, chunk_course, source_files

MANIFEST_FORMAT = 1
COLLECTION = "course_chunks"
EMBED_BATCH = 32

Progress = Callable[[int, int, str], None]


class IndexBuildStopped(RuntimeError):
    """A build was asked to stop (the app is quitting). Nothing was written: the old manifest
    and vectors stay, and the next refresh embeds what is still missing."""


@dataclass(frozen=True)
class RefreshStats:
    chunks: int  # chunks in the index afterwards
    embedded: int  # chunks whose text was embedded now
    reused: int  # new or moved chunks whose vector was already stored or shipped with the package
    removed: int  # chunks deleted because their source changed or disappeared
    files: int  # source files the index covers
    seconds: float


@dataclass
class StoredChunks:
    """Everything search needs, read from Chroma once."""

    ids: list[str]
    metadatas: list[dict]
    documents: list[str]
    embeddings: np.ndarray  # (n, dim) float32, rows L2-normalised
    keywords: object | None = None  # the fitted bm25.KeywordIndex, when the snapshot had one


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_hashes(root: Path) -> dict[str, str]:
    """The content hash of every source file of the course at ``root``, by relative path."""
    return {p.relative_to(root).as_posix(): file_hash(p) for p in source_files(root)}


class CourseIndex:
    def __init__(self, course_dir: Path, index_dir: Path, embedder):
        self.course_dir = Path(course_dir)
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self._signature: tuple | None = None  # (stat signature, current?) of the last check
        self._client = None
        # set from another thread to end a build between two embedding batches; a batch (or
        # the model's first load) is never cut inside native code, which could abort the process
        self.stopping = threading.Event()

    @property
    def manifest_path(self) -> Path:
        return self.index_dir / "manifest.json"

    # -- staleness -----------------------------------------------------------------------------
    def _expected_header(self) -> dict:
        return {
            "format": MANIFEST_FORMAT,
            "chunker": CHUNKER_VERSION,
            "embedder": self.embedder.model_path,
            "course": str(self.course_dir.resolve()),
        }

    def read_manifest(self) -> dict | None:
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def current_file_hashes(self) -> dict[str, str]:
        return file_hashes(self.course_dir)

    def _stat_signature(self) -> tuple:
        entries = []
        for path in source_files(self.course_dir):
            st = path.stat()
            entries.append((str(path), st.st_mtime_ns, st.st_size))
        try:
            st = self.manifest_path.stat()
            entries.append(("manifest", st.st_mtime_ns, st.st_size))
        except OSError:
            entries.append(("manifest", None, None))
        return tuple(entries)

    def is_current(self) -> bool:
        """True when the manifest matches the course files and the configured model.

        Hashes are compared only when a file's size or mtime changed since the last check, so
        calling this on every query costs a few ``stat`` calls.
        """
        signature = self._stat_signature()
        if self._signature is not None and self._signature[0] == signature:
            return self._signature[1]
        manifest = self.read_manifest()
        if manifest is None and not (self.index_dir / "chroma").exists():
            # nothing built here yet: the index shipped with the package serves an unchanged course
            from tutor.retrieval import shipped_index

            current = shipped_index.serves(self.current_file_hashes(), self.embedder.model_path)
        else:
            current = bool(
                manifest
                and all(manifest.get(k) == v for k, v in self._expected_header().items())
                and manifest.get("files") == self.current_file_hashes()
                and (self.index_dir / "chroma").is_dir()
            )
        self._signature = (signature, current)
        return current

    def serves_shipped(self) -> bool:
        """Is the package's own index the current one (nothing built in ``index_dir``)?"""
        return self.is_current() and not self.manifest_path.exists() and not (self.index_dir / "chroma").exists()

    # -- Chroma --------------------------------------------------------------------------------
    def _collection(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        if self._client is None:
            path = self.index_dir / "chroma"
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(
                path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
            )
        # embedding_function=None: vectors are always passed in; Chroma's default would download
        return self._client.get_or_create_collection(
            COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """One writer at a time across processes (the TUI and `tutor index` may overlap)."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / ".lock", "w") as handle:
            try:
                import fcntl
            except ImportError:  # no fcntl (Windows): single writer assumed
                yield
                return
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _drop_store(self) -> None:
        """Forget every stored chunk: drop the collection, or the whole store if unreadable."""
        try:
            if self._client is None and (self.index_dir / "chroma").is_dir():
                self._collection()  # opens the client on the existing store
            if self._client is not None:
                self._client.delete_collection(COLLECTION)
        except Exception:  # noqa: BLE001 - missing collection or a broken store: start clean
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()  # Chroma caches one system per path
            self._client = None
            shutil.rmtree(self.index_dir / "chroma", ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            self.manifest_path.unlink()
        self._signature = None

    # -- building ------------------------------------------------------------------------------
    def refresh(self, progress: Progress | None = None, rebuild: bool = False) -> RefreshStats:
        """Bring the index up to date with the course; ``rebuild`` starts from nothing."""
        started = time.perf_counter()
        report = progress or (lambda done, total, label: None)
        with self._lock():
            if rebuild:
                self._drop_store()
            elif self.serves_shipped():
                from tutor.retrieval import shipped_index

                shipped = shipped_index.load()
                return RefreshStats(chunks=len(shipped.ids), embedded=0, reused=0, removed=0,
                                    files=len(source_files(self.course_dir)), seconds=time.perf_counter() - started)
            elif self.is_current():  # e.g. another process refreshed it while we waited
                manifest = self.read_manifest() or {}
                return RefreshStats(chunks=int(manifest.get("chunks", 0)), embedded=0, reused=0, removed=0,
                                    files=len(manifest.get("files", {})), seconds=time.perf_counter() - started)
            report(0, 0, "reading the course")
            hashes = self.current_file_hashes()
            chunks = chunk_course(self.course_dir)
            try:
                collection = self._collection()
                stored = collection.get(include=["metadatas"])
            except Exception:  # noqa: BLE001 - an unreadable store is rebuilt, not fatal
                self._drop_store()
                collection = self._collection()
                stored = collection.get(include=["metadatas"])
            stored_ids = set(stored["ids"])
            by_text = {meta.get("text_hash"): cid for cid, meta in zip(stored["ids"], stored["metadatas"]) if meta}
            wanted = {c.id: c for c in chunks}
            removed = sorted(stored_ids - wanted.keys())
            new = [c for cid, c in wanted.items() if cid not in stored_ids]
            reuse = [c for c in new if c.text_hash in by_text]
            # longest first, so each batch holds texts of similar length and little padding
            to_embed = sorted((c for c in new if c.text_hash not in by_text), key=lambda c: -len(c.embed_text))

            vectors: dict[str, np.ndarray] = {}
            if reuse:
                got = collection.get(ids=[by_text[c.text_hash] for c in reuse], include=["embeddings"])
                old = dict(zip(got["ids"], got["embeddings"]))
                for c in reuse:
                    vectors[c.id] = np.asarray(old[by_text[c.text_hash]], dtype=np.float32)
            # the vectors shipped with the package cover the shipped course's unchanged texts
            seeded = 0
            shipped = getattr(self.embedder, "shipped", None)
            if shipped is not None and to_embed:
                found = shipped([c.embed_text for c in to_embed])
                vectors.update((c.id, vec) for c, vec in zip(to_embed, found) if vec is not None)
                seeded = len(to_embed)
                to_embed = [c for c in to_embed if c.id not in vectors]
                seeded -= len(to_embed)
            total = len(to_embed)
            report(0, total, "embedding")
            for start in range(0, total, EMBED_BATCH):
                if self.stopping.is_set():
                    raise IndexBuildStopped(f"index build stopped after {start} of {total} chunks")
                batch = to_embed[start : start + EMBED_BATCH]
                embedded = self.embedder.encode([c.embed_text for c in batch])
                for c, vec in zip(batch, embedded):
                    vectors[c.id] = vec
                report(min(start + EMBED_BATCH, total), total, "embedding")

            if self.stopping.is_set():  # the last chance before anything is written
                raise IndexBuildStopped(f"index build stopped after {total} of {total} chunks")
            if new:
                for start in range(0, len(new), 256):
                    part = new[start : start + 256]
                    collection.upsert(
                        ids=[c.id for c in part],
                        embeddings=np.stack([vectors[c.id] for c in part]),
                        documents=[c.text for c in part],
                        metadatas=[_metadata(c) for c in part],
                    )
            if removed:
                collection.delete(ids=removed)
            self._write_manifest(hashes, len(wanted))
            report(total, total, "done")
        return RefreshStats(
            chunks=len(wanted), embedded=len(to_embed), reused=len(reuse) + seeded, removed=len(removed),
            files=len(hashes), seconds=time.perf_counter() - started,
        )

    def _write_manifest(self, hashes: dict[str, str], n_chunks: int) -> None:
        data = {**self._expected_header(), "files": hashes, "chunks": n_chunks, "built_at": time.time()}
        tmp = self.manifest_path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.manifest_path)
        self._signature = None

    def load(self) -> StoredChunks:
        """All stored chunks with their vectors, in a stable order: from the snapshot of the
        current build when there is one (no Chroma), else from Chroma, then snapshotted."""
        from tutor.retrieval import shipped_index, snapshot

        if self.serves_shipped():
            return shipped_index.load()
        manifest = self.read_manifest()
        stored = snapshot.read(self.index_dir, manifest)
        if stored is None:
            stored = self._load_from_store()
            if len(stored.ids):
                snapshot.write(self.index_dir, manifest, stored)
        return stored

    def _load_from_store(self) -> StoredChunks:
        collection = self._collection()
        got = collection.get(include=["embeddings", "documents", "metadatas"])
        order = sorted(range(len(got["ids"])), key=lambda i: (
            got["metadatas"][i]["file"], got["metadatas"][i]["start"], got["metadatas"][i]["kind"], got["ids"][i]))
        embeddings = np.asarray(got["embeddings"], dtype=np.float32)
        if len(order):
            embeddings = embeddings[order]
        else:
            embeddings = np.zeros((0, 0), dtype=np.float32)
        return StoredChunks(
            ids=[got["ids"][i] for i in order],
            metadatas=[got["metadatas"][i] for i in order],
            documents=[got["documents"][i] for i in order],
            embeddings=np.ascontiguousarray(embeddings),
        )


def _metadata(chunk: Chunk) -> dict:
    return {
        "lesson": chunk.lesson,
        "lesson_title": chunk.lesson_title,
        "section": chunk.section,
        "file": chunk.file,
        "start": chunk.start,
        "end": chunk.end,
        "kind": chunk.kind,
        "text_hash": chunk.text_hash,
    }
