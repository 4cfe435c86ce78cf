"""The chunk store's HNSW search width: a query for 40 candidates must return the exact top
40 every time (at Chroma's default ef_search an English question's Arabic answer, ranked ~30th
by cosine, was missed in half the processes), in new collections and in ones made before."""

from __future__ import annotations

from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from conftest import make_settings

from rag.store.chroma import SEARCH_EF
from rag.store.chunks import ChunkStore, StoreProfile


def ef_search(collection: object) -> int:
    return int(collection.configuration["hnsw"]["ef_search"])  # type: ignore[attr-defined]


def test_new_and_older_collections_search_wide(tmp_path: Path) -> None:
    older = make_settings(tmp_path / "older")
    client = chromadb.PersistentClient(
        path=str(older.chroma_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    space = {"hnsw:space": "cosine"}
    made_before = client.get_or_create_collection(older.collection, metadata=space)
    assert ef_search(made_before) < SEARCH_EF  # Chroma's default
    del client, made_before

    for settings in (make_settings(tmp_path / "new"), older):
        store = ChunkStore(settings, StoreProfile.of(settings, 8))
        assert ef_search(store.chunks) == SEARCH_EF
        again = ChunkStore(settings, StoreProfile.of(settings, 8))  # kept, not set again
        assert ef_search(again.chunks) == SEARCH_EF
