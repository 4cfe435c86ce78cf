"""Raw records -> cleaned Documents with stable ids and a detected language."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ingest.clean import clean_text, detect_language
from ingest.readers import RawRecord
from rag.documents import Document

_SPACE = re.compile(r"\s+")


def doc_id_for(record: RawRecord, root: Path) -> str:
    """The record's own `id`, else its origin relative to the ingested root.

    Relative to the root's parent, so `rag ingest corpus/` names `corpus/a.txt` the same on
    every machine and from any working directory.
    """
    own = record.fields.get("id", "").strip()
    if own:
        return own
    origin = record.origin
    base = str(root.parent).rstrip("/")
    if base not in ("", ".") and origin.startswith(base + "/"):
        origin = origin[len(base) + 1 :]
    return origin.removeprefix("./")


def to_document(record: RawRecord, root: Path) -> Document | None:
    """A Document, or None when nothing readable is left after cleaning."""
    fields = record.fields
    body = clean_text(fields.get("text", ""))
    if not body.strip():
        return None
    title = _SPACE.sub(" ", fields.get("title", "")).strip()
    # The title is part of what is searched and quoted, so it opens the text.
    text = body if not title or body.startswith(title) else f"{title}\n\n{body}"
    return Document(
        doc_id=doc_id_for(record, root),
        text=text,
        title=title or body.split("\n", 1)[0][:120],
        url=fields.get("url", ""),
        date=fields.get("date", ""),
        source=fields.get("source", ""),
        language=detect_language(text),
        origin=record.origin,
    )


def text_hash(doc: Document) -> str:
    """Hash of the body with spacing normalised: the same article under two ids shares it."""
    body = doc.text[len(doc.title) :] if doc.text.startswith(doc.title) else doc.text
    if not body.strip():  # a one-line article is all title: hash it, or all such would match
        body = doc.text
    return hashlib.sha1(_SPACE.sub(" ", body).strip().encode()).hexdigest()
