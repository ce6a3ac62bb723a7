"""A copy of the stored chunks in one numpy file, so a cold command searches without Chroma.

Reading all chunks back from Chroma (importing chromadb, opening its SQLite store, fetching
every row) was a second of each cold `tutor ask`/`tutor search`, and fitting BM25 over them
another half; the search itself runs in memory (``search._Memory``). After a build the same
chunks and their fitted BM25 matrix are written to ``index_dir/snapshot.npz``, stamped with
the manifest they belong to (its ``built_at`` and chunk count). A snapshot whose stamp does not match the manifest, or that cannot be read, is
ignored and the chunks come from Chroma as before; nothing in it is pickled.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

NAME = "snapshot.npz"
FORMAT = 2  # 2: with the BM25 arrays


def stamp(manifest: dict | None) -> str | None:
    """What ties a snapshot to one build: None when there is no usable manifest."""
    if not manifest or "built_at" not in manifest:
        return None
    return json.dumps([FORMAT, manifest["built_at"], manifest.get("chunks")])


def write(index_dir: Path, manifest: dict | None, stored) -> bool:
    """Write the snapshot of ``stored`` for ``manifest``; False when it could not be written
    (a read-only home keeps working from Chroma). Fits BM25 into ``stored.keywords`` if it
    has none, so the process that wrote the snapshot does not fit it twice."""
    from tutor.retrieval.bm25 import KeywordIndex, searchable

    key = stamp(manifest)
    if key is None:
        return False
    if stored.keywords is None:
        stored.keywords = KeywordIndex(searchable(stored.metadatas, stored.documents))
    path = Path(index_dir) / NAME
    tmp = path.with_name(f".{NAME}.{os.getpid()}.tmp.npz")
    try:
        np.savez(tmp, stamp=np.array(key), **arrays(stored))
        os.replace(tmp, path)
        return True
    except OSError:
        tmp.unlink(missing_ok=True)
        return False


def arrays(stored) -> dict[str, np.ndarray]:
    """``stored`` (with its fitted BM25) as plain arrays for ``np.savez``: nothing pickled."""
    rows = json.dumps({"ids": stored.ids, "metadatas": stored.metadatas, "documents": stored.documents},
                      ensure_ascii=False)
    return {"rows": np.array(rows), "embeddings": stored.embeddings, **stored.keywords.arrays()}


def from_arrays(data):
    """The stored chunks ``arrays`` wrote (``data``: an open ``np.load``); ValueError and the
    like when they are not whole."""
    from tutor.retrieval.bm25 import KeywordIndex
    from tutor.retrieval.index import StoredChunks

    rows = json.loads(str(data["rows"]))
    embeddings = np.ascontiguousarray(data["embeddings"], dtype=np.float32)
    keywords = KeywordIndex.from_arrays(data)
    if not (len(rows["ids"]) == len(rows["metadatas"]) == len(rows["documents"]) == len(embeddings)
            == keywords.size):
        raise ValueError("the rows, vectors and BM25 index differ in length")
    return StoredChunks(ids=rows["ids"], metadatas=rows["metadatas"], documents=rows["documents"],
                        embeddings=embeddings, keywords=keywords)


def read(index_dir: Path, manifest: dict | None):
    """The stored chunks of the build ``manifest`` describes, or None."""
    key = stamp(manifest)
    path = Path(index_dir) / NAME
    if key is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["stamp"]) != key:
                return None
            return from_arrays(data)
    except Exception:  # noqa: BLE001 - a damaged or foreign file (BadZipFile, ...) only means Chroma
        return None
