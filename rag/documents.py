"""The records that flow from ingest into the store: documents and their chunks."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

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
