"""Bulk ingest: files -> documents -> chunks -> vectors -> store, as a three-stage pipeline.

Reading/cleaning/chunking runs in one thread, embedding in the caller's thread, writing in a
third, with small queues between them: the embedder (the cost of everything on a CPU) never
waits for disk, and memory stays bounded by the queue sizes whatever the corpus size.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ingest.chunker import Chunker
from ingest.documents import (
    MAX_ID_CHARS,
    InvalidField,
    legacy_position,
    text_hash,
    to_document,
)
from ingest.readers import Failure, RawRecord, iter_records, unexpected
from ingest.report import IngestReport
from ingest.stages import Consumer, Stage
from rag.embedder import Embedder
from rag.errors import RecordError
from rag.settings import Settings
from rag.store.chunks import ChunkStore
from rag.store.documents import Chunk, DocRecord, Document, DocumentWrite
from rag.store.sentences import sentence_texts
from rag.store.write_lock import writer_lock

if TYPE_CHECKING:
    from rag.wiring import Parts

# Documents classified per registry round-trip.
log = logging.getLogger(__name__)
DOCS_PER_LOOKUP = 64


class IndexListener(Protocol):
    """Told about every stored document, after Chroma has it (the BM25 index is one).
    Every call comes with the data dir's write lock held."""

    def catch_up(self, store: ChunkStore) -> None:
        """Take in what another writer saved since this listener was opened (before this
        run writes)."""

    def begin_write(self) -> None:
        """The store is about to change: mark the saved index dirty first."""

    def on_document(self, chunks: Sequence[Chunk], removed_chunk_ids: Sequence[str]) -> None: ...

    def clear(self) -> None:
        """Empty the index and save it (`--rebuild`, after the store was reset)."""

    def flush(self) -> None: ...


class Progress(Protocol):
    def update(self, *, files: int, documents: int, chunks: int) -> None: ...


@dataclass
class Work:
    doc: Document
    text_hash: str
    chunks: list[Chunk]
    old: DocRecord | None


@dataclass
class Prepared:
    """One record read and cleaned: a document, or why there is none. A distributed engine
    also chunks it where it was read (`chunks`, or `chunk_error`)."""

    where: str
    doc: Document | None = None
    failure: str = ""
    chunks: list[Chunk] | None = None
    chunk_error: str = ""


def prepare(item: RawRecord | Failure, root: Path) -> Prepared:
    """A read record (or a reader's failure) as a cleaned document or a failure line."""
    if isinstance(item, Failure):
        return Prepared(item.where, failure=item.reason)
    try:
        doc = to_document(item, root)
    except InvalidField as exc:
        return Prepared(item.origin, failure=str(exc))
    except Exception as exc:  # cleaning must not cost the rest of the run
        return Prepared(item.origin, failure=unexpected("could not be cleaned", exc))
    if doc is None:
        return Prepared(item.origin, failure="no text left after removing markup and boilerplate")
    return Prepared(item.origin, doc)


class Ingestor:
    """Runs ingests into one store with one embedder."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: ChunkStore,
        listeners: Sequence[IndexListener] = (),
        namespace: str = "",
        rebuild: bool = False,
    ) -> None:
        """`namespace` (e.g. "upload/") prefixes the records' own ids, so that what this
        ingest brings (a web upload) can never replace an article of another origin. With
        `rebuild`, the first run empties the store and the indexes, under the write lock."""
        self.settings = settings
        self.rebuild = rebuild
        self.namespace = namespace
        self.embedder = embedder
        self.store = store
        self.listeners = list(listeners)
        self.chunker = Chunker(embedder, settings.chunk_tokens, settings.chunk_overlap)
        self.chunks_per_batch = max(settings.batch_size * 8, 128)
        self.first_batch = settings.batch_size * 2

    @classmethod
    def from_parts(cls, parts: Parts, namespace: str = "", rebuild: bool = False) -> Ingestor:
        """The one way to build an ingest: over the wired parts' embedder and store, keeping
        a BM25 index in step (`Parts.listeners`); with `rebuild`, both start empty (emptied
        by `run`, once it holds the write lock). `namespace` as in the constructor (the web
        page's uploads use "upload/")."""
        return cls(
            parts.settings, parts.embedder, parts.store, parts.listeners(), namespace, rebuild
        )

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
            if self.rebuild:
                self._reset()
            self._run(paths, progress, report)
            if record:
                self.store.record_ingest(report.summary())
            return report

    def _reset(self) -> None:
        """`--rebuild`, with the write lock held: the indexes are marked dirty, then the store
        is emptied, then the indexes (a kill in between leaves them to be rebuilt)."""
        for listener in self.listeners:
            listener.begin_write()
        self.store.reset()
        for listener in self.listeners:
            listener.clear()
        self.rebuild = False

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
        producer = Stage(lambda: self._produce(paths, report, tick), to_embed)
        writer = Consumer(lambda item: self._write(item, report, tick), to_write)
        producer.start()
        writer.start()
        try:
            self._embed(producer.results(), writer.put)
        finally:
            producer.stop()
            writer.close()
        for listener in self.listeners:
            listener.flush()
        report.seconds = time.perf_counter() - started
        return report

    def _embed(self, batches: Iterator[list[Work]], write: Callable[[Any], None]) -> None:
        """Stage 2: embed each batch and hand it to the writer, in order (a distributed
        engine overrides this with its actor pool)."""
        if self.settings.ingest_workers <= 1:
            for batch in batches:
                write((batch, self.embedder.embed_documents(self.embed_texts(batch))))
            return
        from ingest.workers import EmbedPool, in_order

        pool = EmbedPool(self.settings, self.settings.ingest_workers)
        try:
            submit = lambda b: pool.submit(self.embed_texts(b))  # noqa: E731
            in_order(batches, submit, pool.result, pool.workers, write)
        finally:
            pool.close()

    # --- stage 1: read, clean, classify, chunk ---------------------------------------
    def _produce(
        self, paths: Sequence[Path], report: IngestReport, tick: Callable[..., None]
    ) -> Iterator[list[Work]]:
        seen_ids: dict[str, str] = {}
        run_texts: dict[str, str] = {}
        pending: list[Prepared] = []
        batch: list[Work] = []
        batch_chunks = 0
        yielded = False
        last_file = ""
        for prep in self._prepared(paths):
            top = _file_of(prep.where)
            if top != last_file:
                last_file = top
                tick(files=1)
            if prep.doc is None:
                report.fail(prep.where, prep.failure)
                continue
            doc = prep.doc
            if self.namespace and not doc.doc_id.startswith(self.namespace):
                doc = self._namespaced(doc, report)
                prep = Prepared(prep.where, doc)  # chunk ids follow the new doc id
            if len(doc.doc_id) > MAX_ID_CHARS:
                report.fail(
                    prep.where,
                    f"`id` is {len(doc.doc_id):,} characters, over {MAX_ID_CHARS}; "
                    "shorten the record's id field",
                )
                continue
            if doc.doc_id in seen_ids:
                report.fail(
                    prep.where,
                    f"doc id {doc.doc_id!r} already used by {seen_ids[doc.doc_id]} in this "
                    "run; kept the first (give each record a unique `id` field)",
                )
                continue
            seen_ids[doc.doc_id] = prep.where
            pending.append(prep)
            if len(pending) >= DOCS_PER_LOOKUP:
                for work in self._classify(pending, report, run_texts):
                    batch.append(work)
                    batch_chunks += len(work.chunks)
                    # A small first batch starts the embedder early; later ones are big, so
                    # that sorting by length inside a batch wastes little on padding and the
                    # writes cost few Chroma commits.
                    if batch_chunks >= (self.chunks_per_batch if yielded else self.first_batch):
                        yield batch
                        batch, batch_chunks, yielded = [], 0, True
                pending = []
        batch.extend(self._classify(pending, report, run_texts))
        if batch:
            yield batch

    def _prepared(self, paths: Sequence[Path]) -> Iterator[Prepared]:
        """The records under `paths`, read and cleaned, in order (a distributed engine
        overrides this: it reads, cleans and chunks on the cluster)."""
        for root in paths:
            for item in iter_records([root], self.settings):
                yield prepare(item, root)

    def _namespaced(self, doc: Document, report: IngestReport) -> Document:
        doc_id = self.namespace + doc.doc_id
        if self.store.get_docs([doc.doc_id]):
            report.warnings.append(
                f"{doc.origin}: id {doc.doc_id!r} belongs to an article that was not uploaded "
                f"here; it is not replaced, this record is stored as {doc_id!r}"
            )
        return dataclasses.replace(doc, doc_id=doc_id)

    def _classify(
        self, prepared: list[Prepared], report: IngestReport, run_texts: dict[str, str]
    ) -> Iterator[Work]:
        if not prepared:
            return
        docs = [p.doc for p in prepared if p.doc is not None]
        hashes = {d.doc_id: text_hash(d) for d in docs}
        existing = self.store.get_docs([d.doc_id for d in docs])
        owners = self.store.owners_of_texts(list(hashes.values()))
        for prep in prepared:
            doc = prep.doc
            assert doc is not None
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
            if prep.chunk_error:
                report.fail(doc.origin, prep.chunk_error)
                continue
            try:
                chunks = prep.chunks if prep.chunks is not None else self.chunker.split(doc)
            except Exception as exc:  # one article's chunking must not cost the rest
                report.fail(doc.origin, unexpected("could not be chunked", exc))
                continue
            run_texts[th] = doc.doc_id
            yield Work(doc, th, chunks, old)

    # --- stage 3: write ---------------------------------------------------------------
    def embed_texts(self, batch: list[Work]) -> list[str]:
        return chunk_texts(batch, self.settings.sentence_vectors)

    def _rows(self, work: Work) -> int:
        """The vectors a document's texts took (`chunk_texts`)."""
        extra = len(sentence_texts(work.chunks)) if self.settings.sentence_vectors else 0
        return len(work.chunks) + extra

    def _write(
        self,
        item: tuple[list[Work], np.ndarray],
        report: IngestReport,
        tick: Callable[..., None],
    ) -> None:
        batch, vectors = item
        writes, offset = [], 0
        for work in batch:
            n, size = len(work.chunks), self._rows(work)
            rows = vectors[offset : offset + size]
            sentences = rows[n:] if self.settings.sentence_vectors else None
            writes.append(
                DocumentWrite(work.doc, work.text_hash, work.chunks, rows[:n], work.old, sentences)
            )
            offset += size
        for listener in self.listeners:
            listener.begin_write()  # the marker goes down before the store changes
        try:
            removed_per_doc = self.store.write_documents(writes)
        except RecordError as exc:
            # The store refused what a record holds, not the disk: the batch is written
            # again without it (in halves, down to the one record), which becomes one
            # failure line.
            if len(batch) == 1:
                report.fail(batch[0].doc.origin, exc.reason)
                return
            half = len(batch) // 2
            cut = sum(self._rows(work) for work in batch[:half])
            self._write((batch[:half], vectors[:cut]), report, tick)
            self._write((batch[half:], vectors[cut:]), report, tick)
            return
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


def chunk_texts(batch: list[Work], sentences: bool = False) -> list[str]:
    """What a batch embeds: each document's chunks, then (with `sentences`) their
    candidate answer sentences (rag/store/sentences.py), document by document."""
    texts: list[str] = []
    for work in batch:
        texts += [c.text for c in work.chunks]
        if sentences:
            texts += sentence_texts(work.chunks)
    return texts


def _file_of(where: str) -> str:
    """The input file a record or failure came from ("a.zip!b.json#3" -> "a.zip")."""
    top = where.split("!", 1)[0]
    head, sep, tail = top.rpartition("#")
    return head if sep and tail.isdigit() else top
