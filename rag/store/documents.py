"""The records that flow from ingest into the store: documents and their chunks."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_iso_date(value: str) -> bool:
    """Does `value` start with YYYY-MM-DD? Only such dates compare correctly as text, so
    only they are stored as written and take part in date filters."""
    return bool(_ISO_DATE.fullmatch(value[:10]))


@dataclass(frozen=True)
class Document:
    """One article, cleaned, with its metadata."""

    doc_id: str
    text: str
    title: str = ""
    url: str = ""
    date: str = ""
    source: str = ""
    language: str = "other"
    origin: str = ""  # file (and record) it came from, for reports

    @property
    def content_hash(self) -> str:
        """Hash of what determines the chunks: text and title."""
        return hashlib.sha1(f"{self.title}\n\n{self.text}".encode()).hexdigest()

    def fields(self) -> dict[str, str]:
        """The article's metadata (DOC_FIELDS), as every chunk and the registry store it."""
        return {name: getattr(self, name) for name in DOC_FIELDS}


# The one list of an article's metadata keys: on each chunk (with CHUNK_FIELDS), on its
# registry entry, on retrieved passages and in `rag list`.
DOC_FIELDS = ("title", "url", "date", "source", "language")
# What a chunk adds: its document, its place in it, and the content it was cut from.
CHUNK_FIELDS = ("doc_id", "position", "start", "end", "content_hash")


def chunk_metadata(
    doc: Document, position: int, start: int, end: int, content_hash: str
) -> dict[str, str | int | float]:
    """A chunk's Chroma metadata: CHUNK_FIELDS and the document's DOC_FIELDS."""
    place = (doc.doc_id, position, start, end, content_hash)
    return {**dict(zip(CHUNK_FIELDS, place, strict=True)), **doc.fields()}


@dataclass(frozen=True)
class Chunk:
    """A piece of a document sized for the embedder, with its place in the document."""

    chunk_id: str
    doc_id: str
    position: int
    start: int  # char offset in Document.text
    end: int
    text: str
    metadata: dict[str, str | int | float] = field(default_factory=dict)


def chunk_id_for(doc_id: str, content_hash: str, position: int) -> str:
    """Chunk ids derive from doc id + content, so unchanged documents keep their ids."""
    digest = hashlib.sha1(f"{doc_id}\x00{content_hash}\x00{position}".encode()).hexdigest()
    return f"{digest[:20]}-{position}"


@dataclass(frozen=True)
class DocRecord:
    """Registry entry of one stored document."""

    doc_id: str
    content_hash: str
    text_hash: str
    chunk_ids: list[str]
    deleting: bool = False  # a delete began and did not finish: ingest stores it afresh


@dataclass(frozen=True)
class DocumentWrite:
    """One document to store: its chunks with their vectors, and what it replaces."""

    doc: Document
    text_hash: str
    chunks: Sequence[Chunk]
    vectors: np.ndarray
    old: DocRecord | None
    # Its chunks' candidate sentences' vectors (rows as rag.store.sentences.sentence_texts),
    # or None when ingest does not store them (RAG_SENTENCE_VECTORS=false).
    sentence_vectors: np.ndarray | None = None


@dataclass(frozen=True)
class Hit:
    """One chunk returned by a vector query."""

    chunk_id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity to the query
    vector: np.ndarray | None = None
