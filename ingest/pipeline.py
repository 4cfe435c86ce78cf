"""Bulk ingest: files -> documents -> chunks -> vectors -> store, as a three-stage pipeline.

Reading/cleaning/chunking runs in one thread, embedding in the caller's thread, writing in a
third, with small queues between them: the embedder (the cost of everything on a CPU) never
waits for disk, and memory stays bounded by the queue sizes whatever the corpus size.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ingest.chunker import Chunker
from ingest.documents import MAX_ID_CHARS, legacy_position, text_hash, to_document
from ingest.readers import Failure, iter_records, unexpected
from ingest.report import IngestReport
from rag.embedder import Embedder
from rag.settings import Settings
from rag.store.chunks import ChunkStore
from rag.store.documents import Chunk, DocRecord, Document, DocumentWrite
from rag.store.write_lock import writer_lock

if TYPE_CHECKING:
    from rag.wiring import Parts

# Documents classified per registry round-trip.
log = logging.getLogger(__name__)
DOCS_PER_LOOKUP = 64


class IndexListener(Protocol):
    """Told about every stored document, after Chroma has it (the BM25 index is one)."""

    def on_document(self, chunks: Sequence[Chunk], removed_chunk_ids: Sequence[str]) -> None: ...

    def catch_up(self, store: ChunkStore) -> None:
        """Take in what another writer saved since this listener was opened (called with
        the data dir's write lock held, before this run writes)."""

    def flush(self) -> None: ...


class Progress(Protocol):
    def update(self, *, files: int, documents: int, chunks: int) -> None: ...


@dataclass
class _Work:
    doc: Document
    text_hash: str
    chunks: list[Chunk]
    old: DocRecord | None


class Ingestor:
    """Runs ingests into one store with one embedder."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: ChunkStore,
        listeners: Sequence[IndexListener] = (),
        namespace: str = "",
    ) -> None:
        """`namespace` (e.g. "upload/") prefixes the records' own ids, so that what this
        ingest brings (a web upload) can never replace an article of another origin."""
        self.settings = settings
        self.namespace = namespace
        self.embedder = embedder
        self.store = store
        self.listeners = list(listeners)
        self.chunker = Chunker(embedder, settings.chunk_tokens, settings.chunk_overlap)
        self.chunks_per_batch = max(settings.batch_size * 8, 128)
        self.first_batch = settings.batch_size * 2

    @classmethod
    def from_parts(cls, parts: Parts, namespace: str = "", rebuild: bool = False) -> Ingestor:
        """An ingestor over the wired parts: their embedder, store and BM25 index (emptied,
        with the store, for a rebuild)."""
        if rebuild:
            parts.store.reset()
        return cls(parts.settings, parts.embedder, parts.store, parts.listeners(rebuild), namespace)

    def run(
        self, paths: Sequence[Path], progress: Progress | None = None, record: bool = False
    ) -> IngestReport:
        """Ingest files and directories; bad input becomes report failures, never an abort.
        With `record`, the report's summary is kept with the store (`rag stats`, the app).

        One writer at a time per data dir: a second ingest waits for the first (a notice
        says so), then picks up the index the first one saved."""
        report = IngestReport()

        def waiting(message: str) -> None:
            log.warning("%s", message)
            report.warnings.append(message)

        with writer_lock(self.settings, on_wait=waiting):
            for listener in self.listeners:
                listener.catch_up(self.store)
            self._run(paths, progress, report)
            if record:
                self.store.record_ingest(report.summary())
            return report

    def _run(
        self, paths: Sequence[Path], progress: Progress | None, report: IngestReport
    ) -> IngestReport:
        self.store.check_chunking()
        mixed = self.store.backend_warning()
        if mixed:
            report.warnings.append(mixed)
        started = time.perf_counter()
        counters = {"files": 0, "documents": 0, "chunks": 0}

        def tick(**delta: int) -> None:
            for key, value in delta.items():
                counters[key] += value
            if progress is not None:
                progress.update(**counters)

        to_embed: queue.Queue[Any] = queue.Queue(maxsize=2)
        to_write: queue.Queue[Any] = queue.Queue(maxsize=2)
        producer = _Stage(lambda: self._produce(paths, report, tick), to_embed)
        writer = _Consumer(lambda item: self._write(item, report, tick), to_write)
        producer.start()
        writer.start()
        try:
            if self.settings.ingest_workers > 1:
                self._embed_in_workers(producer, writer)
            else:
                for batch in producer.results():
                    writer.put((batch, self.embedder.embed_documents(_texts(batch))))
        finally:
            producer.stop()
            writer.close()
        for listener in self.listeners:
            listener.flush()
        report.seconds = time.perf_counter() - started
        return report

    def _embed_in_workers(self, producer: _Stage, writer: _Consumer) -> None:
        """Stage 2 over RAG_INGEST_WORKERS processes; batches reach the writer in order."""
        from ingest.workers import EmbedPool

        pool = EmbedPool(self.settings, self.settings.ingest_workers)
        in_flight: deque[tuple[list[_Work], Future[np.ndarray]]] = deque()
        try:
            for batch in producer.results():
                in_flight.append((batch, pool.submit(_texts(batch))))
                while len(in_flight) > pool.workers:
                    done, future = in_flight.popleft()
                    writer.put((done, pool.result(future)))
            while in_flight:
                done, future = in_flight.popleft()
                writer.put((done, pool.result(future)))
        finally:
            pool.close()

    # --- stage 1: read, clean, classify, chunk ---------------------------------------
    def _produce(
        self, paths: Sequence[Path], report: IngestReport, tick: Callable[..., None]
    ) -> Iterator[list[_Work]]:
        seen_ids: dict[str, str] = {}
        run_texts: dict[str, str] = {}
        pending: list[Document] = []
        batch: list[_Work] = []
        batch_chunks = 0
        yielded = False
        last_file = ""
        for root in paths:
            for item in iter_records([root], self.settings):
                where = item.where if isinstance(item, Failure) else item.origin
                top = _file_of(where)
                if top != last_file:
                    last_file = top
                    tick(files=1)
                if isinstance(item, Failure):
                    report.fail(item.where, item.reason)
                    continue
                try:
                    doc = to_document(item, root)
                except Exception as exc:  # cleaning must not cost the rest of the run
                    report.fail(item.origin, unexpected("could not be cleaned", exc))
                    continue
                if doc is None:
                    report.fail(item.origin, "no text left after removing markup and boilerplate")
                    continue
                if self.namespace and not doc.doc_id.startswith(self.namespace):
                    doc = self._namespaced(doc, report)
                if len(doc.doc_id) > MAX_ID_CHARS:
                    report.fail(
                        item.origin,
                        f"`id` is {len(doc.doc_id):,} characters, over {MAX_ID_CHARS}; "
                        "shorten the record's id field",
                    )
                    continue
                if doc.doc_id in seen_ids:
                    report.fail(
                        item.origin,
                        f"doc id {doc.doc_id!r} already used by {seen_ids[doc.doc_id]} in this "
                        "run; kept the first (give each record a unique `id` field)",
                    )
                    continue
                seen_ids[doc.doc_id] = item.origin
                pending.append(doc)
                if len(pending) >= DOCS_PER_LOOKUP:
                    for work in self._classify(pending, report, run_texts):
                        batch.append(work)
                        batch_chunks += len(work.chunks)
                        # A small first batch starts the embedder early; later ones are
                        # big, so that sorting by length inside a batch wastes little on
                        # padding and the writes cost few Chroma commits.
                        if batch_chunks >= (self.chunks_per_batch if yielded else self.first_batch):
                            yield batch
                            batch, batch_chunks, yielded = [], 0, True
                    pending = []
        batch.extend(self._classify(pending, report, run_texts))
        if batch:
            yield batch

    def _namespaced(self, doc: Document, report: IngestReport) -> Document:
        doc_id = self.namespace + doc.doc_id
        if self.store.get_docs([doc.doc_id]):
            report.warnings.append(
                f"{doc.origin}: id {doc.doc_id!r} belongs to an article that was not uploaded "
                f"here; it is not replaced, this record is stored as {doc_id!r}"
            )
        return dataclasses.replace(doc, doc_id=doc_id)

    def _classify(
        self, docs: list[Document], report: IngestReport, run_texts: dict[str, str]
    ) -> Iterator[_Work]:
        if not docs:
            return
        hashes = {d.doc_id: text_hash(d) for d in docs}
        existing = self.store.get_docs([d.doc_id for d in docs])
        owners = self.store.owners_of_texts(list(hashes.values()))
        for doc in docs:
            old = existing.get(doc.doc_id)
            if old is not None and old.content_hash == doc.content_hash and not old.deleting:
                report.unchanged += 1
                continue
            th = hashes[doc.doc_id]
            owner = run_texts.get(th) or owners.get(th)
            if old is None and owner is not None and legacy_position(doc.doc_id, owner):
                # Stored by an older version under its position in this file: the same
                # article, not a duplicate; it keeps its id.
                report.unchanged += 1
                run_texts[th] = owner
                continue
            if owner is not None and owner != doc.doc_id:
                report.duplicates.append(
                    {"doc_id": doc.doc_id, "duplicate_of": owner, "where": doc.origin}
                )
                continue
            try:
                chunks = self.chunker.split(doc)
            except Exception as exc:  # one article's chunking must not cost the rest
                report.fail(doc.origin, unexpected("could not be chunked", exc))
                continue
            run_texts[th] = doc.doc_id
            yield _Work(doc, th, chunks, old)

    # --- stage 3: write ---------------------------------------------------------------
    def _write(
        self,
        item: tuple[list[_Work], np.ndarray],
        report: IngestReport,
        tick: Callable[..., None],
    ) -> None:
        batch, vectors = item
        writes, offset = [], 0
        for work in batch:
            n = len(work.chunks)
            writes.append(
                DocumentWrite(
                    work.doc, work.text_hash, work.chunks, vectors[offset : offset + n], work.old
                )
            )
            offset += n
        removed_per_doc = self.store.write_documents(writes)
        for work, removed in zip(batch, removed_per_doc, strict=True):
            for listener in self.listeners:
                listener.on_document(work.chunks, removed)
            if work.old is None:
                report.ingested += 1
            else:
                report.updated += 1
            report.chunks += len(work.chunks)
            report.removed_chunks += len(removed)
            tick(documents=1, chunks=len(work.chunks))


def _texts(batch: list[_Work]) -> list[str]:
    return [c.text for work in batch for c in work.chunks]


def _file_of(where: str) -> str:
    """The input file a record or failure came from ("a.zip!b.json#3" -> "a.zip")."""
    top = where.split("!", 1)[0]
    head, sep, tail = top.rpartition("#")
    return head if sep and tail.isdigit() else top


class _Stage(threading.Thread):
    """Runs a generator in a thread, handing its items (or its exception) through a queue."""

    _END = object()

    def __init__(self, make: Callable[[], Iterator[Any]], out: queue.Queue[Any]) -> None:
        super().__init__(daemon=True)
        self.make = make
        self.out = out
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            for item in self.make():
                while not self.stopped.is_set():
                    try:
                        self.out.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if self.stopped.is_set():
                    return
            self.out.put(self._END)
        except BaseException as exc:  # handed to the consumer, re-raised there
            self.out.put(exc)

    def results(self) -> Iterator[Any]:
        while True:
            item = self.out.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def stop(self) -> None:
        self.stopped.set()


class _Consumer(threading.Thread):
    """Applies a function to queued items in a thread; its first error surfaces on close."""

    _END = object()

    def __init__(self, fn: Callable[[Any], None], inbox: queue.Queue[Any]) -> None:
        super().__init__(daemon=True)
        self.fn = fn
        self.inbox = inbox
        self.error: BaseException | None = None

    def run(self) -> None:
        while True:
            item = self.inbox.get()
            if item is self._END:
                return
            if self.error is None:
                try:
                    self.fn(item)
                except BaseException as exc:  # kept, re-raised in the caller's thread
                    self.error = exc

    def put(self, item: Any) -> None:
        if self.error is not None:
            raise self.error
        self.inbox.put(item)

    def close(self) -> None:
        self.inbox.put(self._END)
        self.join()
        if self.error is not None:
            raise self.error
