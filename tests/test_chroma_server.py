"""The same ingest and query against a real `chroma run` server on a free loopback port."""

from __future__ import annotations

import pytest
from conftest import SAMPLES, make_settings

from ingest.pipeline import Ingestor
from rag.store.chunks import ChunkStore, StoreProfile
from rag.wiring import Parts, index_listeners

pytestmark = pytest.mark.slow


def test_ingest_and_ask_through_a_chroma_server(tmp_path, chroma_server, embedder):
    s = make_settings(tmp_path / "local", chroma_url=chroma_server)
    profile = StoreProfile.of(s, embedder.dimension)
    store = ChunkStore(s, profile)
    assert store.location == chroma_server
    report = Ingestor(s, embedder, store, index_listeners(s, store, False)).run([SAMPLES])
    assert report.ingested == 5 and report.failures == []
    # Nothing of the store lives locally: only the BM25 files beside it.
    assert not (tmp_path / "local" / "chroma").exists()

    again = Ingestor(s, embedder, ChunkStore(s, profile)).run([SAMPLES])
    assert again.unchanged == 5 and again.chunks == 0

    answer = Parts(s, embedder=embedder).assistant.ask("what did Erdogan demand?")
    assert answer.mode == "extractive"
    assert any("Erdogan" in c.supporting or "أردوغان" in c.supporting for c in answer.citations)
