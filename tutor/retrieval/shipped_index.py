"""The shipped course's index, built when the package is built: a fresh install searches at once.

A fresh ``TUTOR_HOME`` used to build its index before the first answer: chunk the course
(almost a second), write every chunk into Chroma (two to three seconds), read it back and fit
BM25. ``shipped_index.npz`` (next to this module, in the wheel) holds that result for the
shipped course and the packaged embedder: the chunks in the order search uses, their vectors
and the fitted BM25 arrays, with the content hash of every source file it was built from.

It is used only when all of that still holds: no index of its own in ``index_dir`` yet, the
same chunker version, the packaged all-MiniLM-L6-v2 (same package version and weights), and
course files with exactly the recorded hashes (so ``TUTOR_COURSE`` pointing at an unchanged
copy is served too, and an edited course is indexed as before, embedding only what changed).
Nothing in the file is pickled; a damaged or foreign file only means building as before.

Regenerate it with the shipped vectors (``python -m tutor.retrieval.seed`` does both);
``tests/retrieval/test_shipped_index.py`` fails while it is out of date.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

SHIPPED_FILE = Path(__file__).resolve().parent / "shipped_index.npz"
FORMAT = 1

_LOADED: dict[str, object] = {}
_LOCK = threading.Lock()


def _header(files: dict[str, str]) -> dict:
    from tutor.retrieval.chunking import CHUNKER_VERSION
    from tutor.retrieval.seed import packaged_identity

    return {"format": FORMAT, "chunker": CHUNKER_VERSION, "identity": packaged_identity(), "files": files}


def build(course_root: Path, path: Path = SHIPPED_FILE) -> int:
    """Chunk ``course_root``, take every chunk's vector from the shipped vectors, fit BM25 and
    write ``path``; returns the number of chunks. Fails when a chunk has no shipped vector (the
    seed is older than the course: build the seed first)."""
    from tutor.retrieval import snapshot
    from tutor.retrieval.bm25 import KeywordIndex, searchable
    from tutor.retrieval.chunking import chunk_course
    from tutor.retrieval.index import StoredChunks, _metadata, file_hashes
    from tutor.retrieval.seed import packaged_model_path, seed_for

    chunks = chunk_course(course_root)
    # the order CourseIndex._load_from_store gives, so rankings (and their ties) are the same
    chunks.sort(key=lambda c: (c.file, c.start, c.kind, c.id))
    seed = seed_for(packaged_model_path())
    vectors = seed.lookup([c.embed_text for c in chunks]) if seed is not None else [None]
    if any(vec is None for vec in vectors):
        raise RuntimeError("the shipped vectors do not cover the course: run python -m tutor.retrieval.seed")
    metadatas = [_metadata(c) for c in chunks]
    documents = [c.text for c in chunks]
    stored = StoredChunks(ids=[c.id for c in chunks], metadatas=metadatas, documents=documents,
                          embeddings=np.stack(vectors).astype(np.float32),
                          keywords=KeywordIndex(searchable(metadatas, documents)))
    tmp = path.with_name(f".{path.stem}.tmp.npz")
    np.savez_compressed(tmp, header=np.array(json.dumps(_header(file_hashes(course_root)), sort_keys=True)),
                        **snapshot.arrays(stored))
    tmp.replace(path)
    with _LOCK:
        _LOADED.clear()
    return len(chunks)


def _read(path: Path):
    from tutor.retrieval import snapshot

    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            if header.get("format") != FORMAT:
                return None
            return header, snapshot.from_arrays(data)
    except Exception:  # noqa: BLE001 - missing, damaged or foreign: the index is built as before
        return None


def _loaded(path: Path):
    key = str(path)
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = _read(path)
        return _LOADED[key]


def serves(course_hashes: dict[str, str], model_path: str, path: Path = SHIPPED_FILE) -> bool:
    """Does the shipped index describe exactly this course (its file hashes) and model?"""
    from tutor.retrieval.seed import is_packaged

    if not is_packaged(model_path):
        return False
    got = _loaded(path)
    if got is None:
        return False
    try:
        return got[0] == _header(course_hashes)
    except Exception:  # noqa: BLE001 - the model package cannot be inspected: build as before
        return False


def load(path: Path = SHIPPED_FILE):
    """The shipped chunks (a StoredChunks); call only after ``serves`` said yes."""
    got = _loaded(path)
    if got is None:
        raise FileNotFoundError(f"{path}: no usable shipped index")
    return got[1]
