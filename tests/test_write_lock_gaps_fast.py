"""No gaps in the write lock (reliability round three, item 4): `--rebuild` empties nothing
before the lock is held, a reader never saves the BM25 index (or takes away its DIRTY marker)
while an ingest is writing, and an ingest marks the index dirty before its first write. Real
Chroma, the hashed-trigram embedder, in-process."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from fakes import HashEmbedder

from ingest.pipeline import Ingestor
from rag.errors import StoreError
from rag.settings import Settings
from rag.store.bm25_index import Bm25Index
from rag.store.chunks import ChunkStore
from rag.store.write_lock import try_writer_lock, writer_lock
from rag.wiring import Parts

EMBEDDER = HashEmbedder()
TOPICS = ["ports in Dammam", "rail to Qassim", "dates in Unaizah", "tourism in Abha"]


def corpus(root: Path, name: str, n: int = 3) -> Path:
    root.mkdir(parents=True)
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        text = f"{name} report {i}\n\nThe {name} desk wrote about {topic}, story number {i}."
        (root / f"{name}-{i}.txt").write_text(text, "utf-8")
    return root


def stored(tmp_path: Path, **overrides: object) -> tuple[Settings, Parts]:
    """A store holding the three `old` articles, its BM25 index saved."""
    settings = make_settings(tmp_path / "data", **overrides)
    parts = Parts(settings, embedder=EMBEDDER)
    report = Ingestor.from_parts(parts).run([corpus(tmp_path / "old", "old")])
    assert report.ingested == 3
    return settings, parts


def saved_files(settings: Settings) -> dict[str, bytes]:
    bm25 = settings.state_dir / "bm25"
    return {p.name: p.read_bytes() for p in sorted(bm25.iterdir())}


def doc_ids(settings: Settings) -> set[str]:
    return {m["doc_id"] for m in Parts(settings, embedder=EMBEDDER).store.iter_registry()}


def hook_writes(store: ChunkStore, before: Callable[[], None], after: Callable[[], None]) -> None:
    """Call `before` and `after` around the store's first document write."""
    real = store.write_documents
    calls = [0]

    def write(items: Any) -> list[list[str]]:
        calls[0] += 1
        if calls[0] == 1:
            before()
        result = real(items)
        if calls[0] == 1:
            after()
        return result

    store.write_documents = write  # type: ignore[method-assign]


def test_rebuild_empties_nothing_before_it_holds_the_lock(tmp_path: Path) -> None:
    settings, _ = stored(tmp_path, lock_timeout=0.3)
    files = saved_files(settings)
    new = corpus(tmp_path / "new", "new")

    # Built and then killed before `run` took the lock: the store and its index are whole.
    Ingestor.from_parts(Parts(settings, embedder=EMBEDDER), rebuild=True)
    assert len(doc_ids(settings)) == 3 and saved_files(settings) == files

    # Another ingest holds the lock past RAG_LOCK_TIMEOUT: this one gives up, emptying nothing.
    waiting = Ingestor.from_parts(Parts(settings, embedder=EMBEDDER), rebuild=True)
    with writer_lock(settings), pytest.raises(StoreError, match="RAG_LOCK_TIMEOUT"):
        waiting.run([new])
    assert len(doc_ids(settings)) == 3 and saved_files(settings) == files

    # When it runs, the reset comes under the lock, after the index was marked dirty.
    seen: dict[str, bool] = {}
    rebuilding = Ingestor.from_parts(Parts(settings, embedder=EMBEDDER), rebuild=True)
    real_reset = rebuilding.store.reset

    def reset() -> None:
        with try_writer_lock(settings.state_dir) as free:
            seen["lock held"] = not free
        seen["dirty"] = (settings.state_dir / "bm25" / "DIRTY").exists()
        real_reset()

    rebuilding.store.reset = reset  # type: ignore[method-assign]
    report = rebuilding.run([new])
    assert seen == {"lock held": True, "dirty": True}
    assert report.ingested == 3 and all(d.startswith("new/") for d in doc_ids(settings))
    index = Bm25Index.open(settings, rebuilding.store, verify_ids=True)
    assert not index.provisional and len(index) == rebuilding.store.count()


def test_an_ingest_marks_the_index_dirty_before_its_first_write(tmp_path: Path) -> None:
    settings, parts = stored(tmp_path)
    dirty = settings.state_dir / "bm25" / "DIRTY"
    seen: list[bool] = []
    ingestor = Ingestor.from_parts(parts)
    hook_writes(ingestor.store, lambda: seen.append(dirty.exists()), lambda: None)
    ingestor.run([corpus(tmp_path / "new", "new")])
    assert seen == [True]  # a kill during that write leaves the index to be rebuilt
    assert not dirty.exists()  # and a finished ingest takes the marker away


def test_a_reader_during_an_ingest_rebuilds_in_memory_and_saves_nothing(tmp_path: Path) -> None:
    settings, parts = stored(tmp_path)
    bm25 = settings.state_dir / "bm25"
    written, go_on = threading.Event(), threading.Event()
    ingestor = Ingestor.from_parts(parts)
    hook_writes(ingestor.store, lambda: None, lambda: (written.set(), go_on.wait(30)))
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(report=ingestor.run([tmp_path / "n"])))
    corpus(tmp_path / "n", "new")
    thread.start()
    try:
        assert written.wait(30), "the ingest did not write"
        files = saved_files(settings)
        assert "DIRTY" in files  # the ingest's first batch is in Chroma, not in the saved index
        reader_store = Parts(settings, embedder=EMBEDDER).store
        reader = Bm25Index.open(settings, reader_store)
        # The reader sees what Chroma holds now, and leaves the ingest's files alone.
        assert reader.provisional and len(reader) == reader_store.count() == 6
        assert saved_files(settings) == files
        # A second writer opened now waits for the lock, then starts from the saved index.
        second = Ingestor.from_parts(Parts(settings, embedder=EMBEDDER))
        assert second.listeners[0].provisional
    finally:
        go_on.set()
        thread.join(60)
    assert result["report"].ingested == 3 and not (bm25 / "DIRTY").exists()
    assert reader.is_outdated()  # the retriever swaps in the index the ingest saved
    second.run([corpus(tmp_path / "more", "more")])
    index = Bm25Index.open(settings, reader_store, verify_ids=True)
    assert len(index) == reader_store.count() == 9 and not index.provisional


def test_a_reader_saves_a_rebuild_only_when_the_lock_is_free(tmp_path: Path) -> None:
    settings, parts = stored(tmp_path)
    bm25 = settings.state_dir / "bm25"
    (bm25 / "DIRTY").touch()  # left by a killed ingest, or set by one that is running
    files = saved_files(settings)
    with writer_lock(settings):  # an ingest is running
        reader = Bm25Index.open(settings, parts.store)
        assert saved_files(settings) == files
        assert reader.provisional and len(reader) == parts.store.count()
    index = Bm25Index.open(settings, parts.store)
    assert not index.provisional and not (bm25 / "DIRTY").exists()
    assert len(index) == parts.store.count()
