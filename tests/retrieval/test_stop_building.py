"""An index build told to stop (the app quitting) stops between batches, writes nothing, and
the next refresh finishes the job."""

from __future__ import annotations

import pytest

from tests.retrieval.conftest import CountingEmbedder
from tutor.retrieval import Retriever
from tutor.retrieval.index import EMBED_BATCH, IndexBuildStopped


class StopAfterFirstBatch(CountingEmbedder):
    def __init__(self, retriever_box: list):
        super().__init__()
        self.box = retriever_box

    def encode(self, texts):
        vectors = super().encode(texts)
        self.box[0].stop_building()  # as the app's quit would, from another thread
        return vectors


def test_a_stopped_build_writes_no_manifest_and_the_next_refresh_completes(course_copy, tmp_path):
    box: list = []
    embedder = StopAfterFirstBatch(box)
    retriever = Retriever(course_copy, tmp_path / "index", embedder)
    box.append(retriever)
    with pytest.raises(IndexBuildStopped):
        retriever.ensure_index()
    assert len(embedder.calls) == 1 and len(embedder.calls[0]) == EMBED_BATCH  # stopped at the next batch
    assert not retriever.index.manifest_path.exists()
    assert not retriever.index_ready()

    fresh = Retriever(course_copy, tmp_path / "index", CountingEmbedder())  # the next start
    stats = fresh.ensure_index()
    assert stats is not None and stats.chunks > EMBED_BATCH
    assert fresh.index_ready()
    assert fresh.search("byte pair encoding", k=3, mode="bm25")
