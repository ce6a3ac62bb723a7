"""Embeddings of fixed texts (intent prototypes, the misconception catalogue), kept on disk.

Embedding a few hundred sentences costs seconds on a small CPU; every `tutor ask` process
would pay it again. The vectors are stored under the user's data dir, keyed by the model and
the exact texts, so a changed catalogue or model simply gets new vectors.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

CACHE_DIR: Path | None = None  # set by the session from settings.home_dir; None: no disk cache


def encode_cached(embedder, texts: list[str]) -> np.ndarray:
    key = hashlib.sha256("\x1f".join([str(getattr(embedder, "model_path", "")), *texts]).encode()).hexdigest()[:24]
    path = CACHE_DIR / f"vectors-{key}.npy" if CACHE_DIR is not None else None
    if path is not None and path.is_file():
        try:
            vectors = np.load(path)
            if vectors.shape[0] == len(texts):
                return vectors
        except (OSError, ValueError):
            pass
    vectors = np.asarray(embedder.encode(texts), dtype=np.float32)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, vectors)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only home only costs the recomputation next time
    return vectors
