"""The Chroma store: chunks with their vectors, and a registry of ingested documents.

Three collections per name: `<name>` holds the chunks; `<name>__docs` holds one record per
document (content hash, chunk ids) and one per distinct text (for duplicate detection);
`<name>__sentences` the vectors of the chunks' candidate answer sentences
(rag/store/sentences.py). All live in Chroma so a Chroma server is the whole state,
whoever ingests into it.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.errors import EmbedderMismatch, StoreError
from rag.store.chroma import MAX_BATCH, batches, first_line, open_client, store_op, wide_search
from rag.store.documents import DocRecord, DocumentWrite, Hit
from rag.store.profile import StoreProfile
from rag.store.sentences import THIN_GRAPH, SentenceVectors
from rag.store.values import check_values, record_error

if TYPE_CHECKING:
    from rag.settings import Settings

log = logging.getLogger(__name__)

# What one stored chunk costs on disk (vector, text, metadata, index, write-ahead log),
# measured at ~11 KB with the default chunking; doubled for headroom.
BYTES_PER_CHUNK = 24_000
# One stored candidate-sentence vector (rag/store/sentences.py): ~3.6 KB measured (80
# articles, 187 chunks, 1,134 sentences: 6.7 MB against 2.6 MB without), doubled.
BYTES_PER_SENTENCE = 7_200
_MB = 1024 * 1024


class ChunkStore:
    """Chunks and the document registry of one collection."""

    def __init__(self, settings: Settings, profile: StoreProfile, client: Any = None) -> None:
        self.settings = settings
        self.profile = profile
        self.name = settings.collection
        self.location = settings.chroma_url or str(settings.chroma_path)
        self.client = client if client is not None else open_client(settings)
        self._open()
        self._check_profile()

    def _open(self) -> None:
        self.chunks = wide_search(self._collection(self.name, {"hnsw:space": "cosine"}))
        self.registry = self._collection(f"{self.name}__docs", {"hnsw:space": "l2"})
        self.sentences = SentenceVectors(self._collection(f"{self.name}__sentences", THIN_GRAPH))

    def where_hint(self) -> str:
        """What to check when the store fails: the server, or the data dir's disk."""
        if self.settings.chroma_url:
            url = self.settings.chroma_url
            return f"Check the Chroma server at RAG_CHROMA_URL={url}; then re-run: it resumes."
        return (
            f"Check free space and write permission on RAG_DATA_DIR={self.settings.data_dir}; "
            "once fixed, the store works again and a re-run ingest resumes."
        )

    def ensure_space(self, chunks: int, sentences: int = 0) -> None:
        """Refuse to write when the disk would be left under RAG_MIN_FREE_MB.

        Chroma cannot compact its write-ahead log on a full disk, and then every query
        fails too; stopping first keeps the store readable.
        """
        if self.settings.chroma_url or self.settings.min_free_mb <= 0:
            return
        free = shutil.disk_usage(self.settings.chroma_path).free
        need = (
            self.settings.min_free_mb * _MB
            + chunks * BYTES_PER_CHUNK
            + sentences * BYTES_PER_SENTENCE
        )
        if free < need:
            raise StoreError(
                f"RAG_DATA_DIR={self.settings.data_dir}: only {free / _MB:.1f} MB free on its "
                f"disk, under RAG_MIN_FREE_MB ({self.settings.min_free_mb:g}) plus room for "
                f"{chunks} chunks; ingest stopped before writing, the store is intact. Free "
                "some space (or move RAG_DATA_DIR) and run the same ingest again: it resumes."
            )

    # --- opening ---------------------------------------------------------------------
    def _collection(self, name: str, extra: dict[str, Any]) -> Any:
        try:
            return self.client.get_or_create_collection(
                name=name, metadata={**self.profile.as_metadata(), **extra}
            )
        except Exception as exc:
            raise StoreError(
                f"cannot open collection '{name}' at {self.location} "
                f"({exc.__class__.__name__}: {exc})"
            ) from None

    def recorded_profile(self) -> dict[str, Any]:
        """The profile stored on the collection when it was created."""
        meta = dict(self.chunks.metadata or {})
        return {k: meta.get(k) for k in self.profile.as_metadata() if k != "schema"}

    def _check_profile(self) -> None:
        recorded = self.recorded_profile()
        wanted = {k: v for k, v in self.profile.as_metadata().items() if k != "schema"}
        if recorded["embed_model"] is None:
            return
        model_keys = ("embed_model", "dimension")
        if any(recorded[k] != wanted[k] for k in model_keys) and self.chunks.count():
            raise EmbedderMismatch(
                f"collection '{self.name}' at {self.location} was built with "
                f"{recorded['embed_model']} (dimension {recorded['dimension']}), but "
                f"RAG_EMBED_MODEL is {wanted['embed_model']} (dimension {wanted['dimension']}). "
                "Rebuild it with `rag ingest --rebuild PATH...`, or set RAG_COLLECTION to "
                "another name."
            )

    def check_chunking(self) -> None:
        """Ingest needs the same chunking as the stored chunks, or ids would collide."""
        recorded = self.recorded_profile()
        if not self.chunks.count() or recorded["chunk_tokens"] is None:
            return
        for key in ("chunk_tokens", "chunk_overlap"):
            if recorded[key] != getattr(self.profile, key):
                raise EmbedderMismatch(
                    f"collection '{self.name}' was chunked with {key}={recorded[key]}, but "
                    f"RAG_{key.upper()} is {getattr(self.profile, key)}. Re-chunk everything "
                    "with `rag ingest --rebuild PATH...`, or restore the setting."
                )

    def backend_warning(self) -> str | None:
        """Why new vectors would not match the stored ones' engine, if they would not.

        fp32 vectors (torch, onnx, auto) are the same; int8 ONNX ones agree to cosine ~0.996,
        so a mixed store answers, but it is not the store a clean ingest would build: ingest
        says so and goes on. Stores made before the backend was recorded are not judged.
        """
        recorded = self.recorded_profile().get("embed_backend")
        int8 = (recorded == "onnx-int8", self.profile.embed_backend == "onnx-int8")
        if not self.chunks.count() or recorded is None or int8[0] == int8[1]:
            return None
        return (
            f"collection '{self.name}' was embedded with the {recorded} backend, but "
            f"RAG_EMBED_BACKEND is {self.profile.embed_backend}: new chunks get "
            f"{self.profile.embed_backend} vectors beside {recorded} ones. Set "
            f"RAG_EMBED_BACKEND={recorded}, or rebuild with `rag ingest --rebuild PATH...` "
            "for a uniform store."
        )

    def reset(self) -> None:
        """Drop the collections and recreate them empty (`rag ingest --rebuild`)."""
        for name in (self.name, f"{self.name}__docs", f"{self.name}__sentences"):
            try:
                self.client.delete_collection(name)
            except Exception:  # absent collection: nothing to drop
                log.debug("collection %s did not exist", name)
        self._open()

    # --- registry --------------------------------------------------------------------
    @store_op("reading the document registry")
    def get_docs(self, doc_ids: Sequence[str]) -> dict[str, DocRecord]:
        """Registry entries of the given documents (absent ids are left out)."""
        found: dict[str, DocRecord] = {}
        for part in batches(list(dict.fromkeys(doc_ids)), MAX_BATCH):
            res = self.registry.get(ids=[f"doc:{d}" for d in part], include=["metadatas"])
            for meta in res["metadatas"] or []:
                found[meta["doc_id"]] = DocRecord(
                    meta["doc_id"],
                    meta["content_hash"],
                    meta.get("text_hash", ""),
                    json.loads(meta["chunk_ids"]),
                    bool(meta.get("deleting")),
                )
        return found

    @store_op("reading the document registry")
    def owners_of_texts(self, text_hashes: Sequence[str]) -> dict[str, str]:
        """For each known text hash, the doc id that stored that text first."""
        owners: dict[str, str] = {}
        for part in batches(list(dict.fromkeys(text_hashes)), MAX_BATCH):
            res = self.registry.get(ids=[f"txt:{h}" for h in part], include=["metadatas"])
            for rid, meta in zip(res["ids"], res["metadatas"] or [], strict=True):
                owners[rid[4:]] = meta["doc_id"]
        return owners

    # --- writing ---------------------------------------------------------------------
    def write_documents(self, items: Sequence[DocumentWrite]) -> list[list[str]]:
        """Store documents' chunks, drop their replaced ones, then record the documents.

        Returns, per item, the ids of the replaced chunks it dropped.

        One batch of Chroma calls for many documents (each call costs a commit). The order
        makes a kill at any point recoverable: chunk ids are deterministic, so a re-run
        upserts the same records, and registry entries (written last) still name the old
        chunks until they are gone.
        """
        if not items:
            return []
        check_values(items)
        chunks = [c for item in items for c in item.chunks]
        vectors = np.concatenate([np.asarray(item.vectors) for item in items])
        self.ensure_space(
            len(chunks),
            sum(len(i.sentence_vectors) for i in items if i.sentence_vectors is not None),
        )
        removed: list[list[str]] = []
        stale_texts: list[str] = []
        for item in items:
            kept = {c.chunk_id for c in item.chunks}
            removed.append([c for c in (item.old.chunk_ids if item.old else []) if c not in kept])
            if item.old and item.old.text_hash and item.old.text_hash != item.text_hash:
                stale_texts.append(f"txt:{item.old.text_hash}")
        stale = [c for ids in removed for c in ids]
        ids: list[str] = []
        metadatas: list[dict[str, Any]] = []
        for item in items:
            doc = item.doc
            ids += [f"doc:{doc.doc_id}", f"txt:{item.text_hash}"]
            metadatas += [
                {
                    "doc_id": doc.doc_id,
                    "content_hash": doc.content_hash,
                    "text_hash": item.text_hash,
                    "chunk_ids": json.dumps([c.chunk_id for c in item.chunks]),
                    **doc.fields(),
                    "deleting": False,  # Chroma merges metadata: clear a cut-short delete's flag
                },
                {"doc_id": doc.doc_id},
            ]
        try:
            for lo in range(0, len(chunks), MAX_BATCH):
                part = chunks[lo : lo + MAX_BATCH]
                self.chunks.upsert(
                    ids=[c.chunk_id for c in part],
                    embeddings=vectors[lo : lo + MAX_BATCH].tolist(),
                    documents=[c.text for c in part],
                    metadatas=[dict(c.metadata) for c in part],
                )
            self.sentences.write(
                [(i.chunks, i.sentence_vectors) for i in items if i.sentence_vectors is not None]
            )
            for ids_part in batches(stale, MAX_BATCH):
                self.chunks.delete(ids=ids_part)
            self.sentences.delete_chunks(stale)
            for ids_part in batches(stale_texts, MAX_BATCH):
                self.registry.delete(ids=ids_part)
            for lo in range(0, len(ids), MAX_BATCH):
                self.registry.upsert(
                    ids=ids[lo : lo + MAX_BATCH],
                    embeddings=[[0.0]] * len(ids[lo : lo + MAX_BATCH]),
                    metadatas=metadatas[lo : lo + MAX_BATCH],
                )
        except Exception as exc:
            first, last = items[0].doc.doc_id, items[-1].doc.doc_id
            which = first if len(items) == 1 else f"{len(items)} documents ({first} .. {last})"
            what = f"{exc.__class__.__name__}: {first_line(exc)}"
            refused = record_error(exc, f"writing {which} to {self.location}", what)
            if refused is not None:
                raise refused from None
            raise StoreError(
                f"writing {which} to {self.location} failed ({what}). {self.where_hint()}"
            ) from None
        return removed

    def delete_documents(self, records: Sequence[DocRecord]) -> int:
        """Remove documents: their chunks, then their registry entries. Returns chunks removed.

        The order makes a kill at any point recoverable. The registry entries are first
        flagged `deleting` (an ingest stores such a document afresh, a re-run delete finds
        it); then the chunks go, by the registry's ids and by their `doc_id` (so none is
        left behind); the registry entries go last, so a re-run still finds what remains.
        """
        if not records:
            return 0
        doc_ids = [r.doc_id for r in records]
        owners = self.owners_of_texts([r.text_hash for r in records if r.text_hash])
        texts = [f"txt:{r.text_hash}" for r in records if owners.get(r.text_hash) == r.doc_id]
        before = self.count()
        try:
            for part in batches([f"doc:{d}" for d in doc_ids], MAX_BATCH):
                res = self.registry.get(ids=part, include=["metadatas"])
                metas = [{**m, "deleting": True} for m in res["metadatas"] or []]
                if metas:
                    self.registry.update(ids=res["ids"], metadatas=metas)
            for part in batches([c for r in records for c in r.chunk_ids], MAX_BATCH):
                self.chunks.delete(ids=part)
            for part in batches(doc_ids, 500):
                self.chunks.delete(where={"doc_id": {"$in": part}})
            self.sentences.delete_documents(doc_ids)
            for part in batches(texts + [f"doc:{d}" for d in doc_ids], MAX_BATCH):
                self.registry.delete(ids=part)
        except Exception as exc:
            raise StoreError(
                f"deleting {len(records)} documents from {self.location} failed "
                f"({exc.__class__.__name__}: {first_line(exc)}); run the same delete again "
                f"to finish it. {self.where_hint()}"
            ) from None
        return before - self.count()

    @store_op("recording the ingest summary")
    def record_ingest(self, summary: dict[str, Any]) -> None:
        """Keep the last ingest's summary with the store, for `rag stats` and the app."""
        self.registry.upsert(
            ids=["meta:last_ingest"],
            embeddings=[[0.0]],
            metadatas=[{"doc_id": "", "summary": json.dumps(summary, ensure_ascii=False)}],
        )

    @store_op("reading the store")
    def last_ingest(self) -> dict[str, Any] | None:
        res = self.registry.get(ids=["meta:last_ingest"], include=["metadatas"])
        if not res["ids"]:
            return None
        return dict(json.loads(res["metadatas"][0]["summary"]))

    # --- reading ---------------------------------------------------------------------
    @store_op("counting chunks")
    def count(self) -> int:
        return int(self.chunks.count())

    @store_op("counting documents")
    def document_count(self) -> int:
        return sum(1 for _ in self.iter_registry())

    def iter_registry(self, page: int = MAX_BATCH) -> Iterator[dict[str, Any]]:
        """Metadata of every document record in the registry."""
        offset = 0
        while True:
            res = self._page(self.registry, ["metadatas"], page, offset)
            if not res["ids"]:
                return
            for rid, meta in zip(res["ids"], res["metadatas"] or [], strict=True):
                if rid.startswith("doc:"):
                    yield meta
            offset += len(res["ids"])

    @store_op("reading the store")
    def _page(self, collection: Any, include: list[str], page: int, offset: int) -> Any:
        return collection.get(include=include, limit=page, offset=offset)

    def iter_chunks(
        self, page: int = MAX_BATCH, include_text: bool = True
    ) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(chunk id, text, metadata) of every stored chunk, in pages."""
        include = ["metadatas", "documents"] if include_text else ["metadatas"]
        offset = 0
        while True:
            res = self._page(self.chunks, include, page, offset)
            if not res["ids"]:
                return
            docs = res.get("documents") or [""] * len(res["ids"])
            yield from zip(res["ids"], docs, res["metadatas"] or [], strict=True)
            offset += len(res["ids"])

    @store_op("reading chunks")
    @store_op("reading chunks")
    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Hit]:
        """The given chunks with their vectors (score 0), in the given order."""
        if not chunk_ids:
            return []
        res = self.chunks.get(ids=list(chunk_ids), include=["metadatas", "documents", "embeddings"])
        rows = zip(res["ids"], res["documents"], res["metadatas"], res["embeddings"], strict=True)
        by_id = {i: Hit(i, t, m, 0.0, np.asarray(e, dtype=np.float32)) for i, t, m, e in rows}
        return [by_id[i] for i in chunk_ids if i in by_id]

    @store_op("reading sentence vectors")
    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of these chunks' candidate sentences, by text hash."""
        return self.sentences.read(chunk_ids)

    @store_op("searching the store")
    def query(
        self,
        vector: np.ndarray,
        k: int,
        where: dict[str, Any] | None = None,
        *,
        full: bool = True,
        metadata: bool = True,
    ) -> list[Hit]:
        """Nearest chunks to a query vector, best first; with texts and vectors when `full`.

        Without them (ids, scores, metadata) a wide candidate query costs a third less:
        the retriever fetches texts and vectors only for the few candidates it keeps.
        Without `metadata` too (ids and scores; metadata {}), 40 candidates cost 1.5 ms
        instead of 3.8 (8,853 chunks): the retriever reads language, source and date from
        the BM25 index it holds in memory.

        No count() first: Chroma returns fewer than `k` by itself, and counting costs more.
        """
        res = self.chunks.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            n_results=k,
            where=where,
            include=[
                "distances",
                *(["metadatas"] if metadata else []),
                *(["documents", "embeddings"] if full else []),
            ],
        )
        ids = res["ids"][0]
        texts = res["documents"][0] if full else [""] * len(ids)
        vectors = res["embeddings"][0] if full else [None] * len(ids)
        metas = res["metadatas"][0] if metadata else [{} for _ in ids]
        return [
            Hit(
                cid,
                text,
                meta,
                1.0 - float(dist),
                None if emb is None else np.asarray(emb, dtype=np.float32),
            )
            for cid, text, meta, dist, emb in zip(
                ids, texts, metas, res["distances"][0], vectors, strict=True
            )
        ]
