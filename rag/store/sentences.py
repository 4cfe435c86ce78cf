"""Stored vectors of the chunks' candidate answer sentences: the `<name>__sentences`
collection.

The extractive answer scores every candidate sentence of the retrieved passages against
the question (rag/answer/extractive.py). Embedding them at question time cost ~20x the
retrieval; ingest embeds them once, with their chunks, and a question reads them by id.
One record per sentence: id `<chunk_id>#s<i>`, its vector, and the chunk, document and
text hash it belongs to. The vectors are an accelerator, never the truth: a sentence whose
record is absent (a store ingested without them, a cut-short write) or whose text hash
differs is embedded at question time, so answers are the same either way.

The collection is only ever read by id, never searched: its HNSW graph is built as thin as
Chroma allows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.store.chroma import MAX_BATCH, batches
from rag.store.documents import Chunk
from rag.text.sentences import MAX_CANDIDATES, candidate_spans

# Never searched: the thinnest graph Chroma builds, cheap to insert into.
THIN_GRAPH = {"hnsw:space": "cosine", "hnsw:M": 4, "hnsw:construction_ef": 8}


def sentence_key(text: str) -> str:
    """What a stored vector is checked against: the sentence's text hash."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def sentence_ids(chunk_ids: Sequence[str]) -> list[str]:
    """Every record id these chunks' candidate sentences can have (`<chunk_id>#s<i>`)."""
    return [f"{cid}#s{i}" for cid in dict.fromkeys(chunk_ids) for i in range(MAX_CANDIDATES)]


def sentence_texts(chunks: Sequence[Chunk]) -> list[str]:
    """The distinct candidate sentences of a document's chunks, in order: the rows of its
    stored vectors (a sentence in two overlapping chunks is embedded once)."""
    spans = (span.text for chunk in chunks for span in candidate_spans(chunk.text))
    return list(dict.fromkeys(spans))


class SentenceVectors:
    """The `<name>__sentences` collection of one store."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection

    def write(self, documents: Sequence[tuple[Sequence[Chunk], np.ndarray]]) -> None:
        """Upsert the candidate sentences' vectors of each document's chunks (its rows as
        `sentence_texts`), all documents in one batch of calls (each call costs a commit)."""
        ids: list[str] = []
        metadatas: list[dict[str, Any]] = []
        rows: list[np.ndarray] = []
        for chunks, vectors in documents:
            texts = sentence_texts(chunks)
            if len(texts) != len(vectors):
                raise ValueError(f"{len(texts)} candidate sentences but {len(vectors)} vectors")
            row = {text: i for i, text in enumerate(texts)}
            for chunk in chunks:
                spans = candidate_spans(chunk.text)
                ids += sentence_ids([chunk.chunk_id])[: len(spans)]
                rows += [vectors[row[span.text]] for span in spans]
                metadatas += [
                    {
                        "chunk_id": chunk.chunk_id,
                        "doc_id": chunk.doc_id,
                        "key": sentence_key(s.text),
                    }
                    for s in spans
                ]
        for lo in range(0, len(ids), MAX_BATCH):
            self.collection.upsert(
                ids=ids[lo : lo + MAX_BATCH],
                embeddings=np.asarray(rows[lo : lo + MAX_BATCH], dtype=np.float32).tolist(),
                metadatas=metadatas[lo : lo + MAX_BATCH],
            )

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        for part in batches(sentence_ids(chunk_ids), MAX_BATCH):
            self.collection.delete(ids=part)

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        for part in batches(list(doc_ids), 500):
            self.collection.delete(where={"doc_id": {"$in": part}})

    def read(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these chunks' candidate sentences, by `sentence_key`."""
        if not chunk_ids:
            return {}
        res = self.collection.get(ids=sentence_ids(chunk_ids), include=["metadatas", "embeddings"])
        vectors = res["embeddings"] if res["embeddings"] is not None else []
        return {
            meta["key"]: np.asarray(vector, dtype=np.float32)
            for meta, vector in zip(res["metadatas"] or [], vectors, strict=True)
        }

    def count(self) -> int:
        return int(self.collection.count())
