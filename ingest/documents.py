"""Raw records -> cleaned Documents with stable ids and a detected language."""

from __future__ import annotations

import email.utils
import hashlib
import re
from datetime import datetime
from pathlib import Path

from ingest.clean import clean_text, detect_language
from ingest.readers import RawRecord
from rag.store.documents import Document, is_iso_date
from rag.text.safe import invalid_unicode, plain_field, repaired

_SPACE = re.compile(r"\s+")
# Metadata is copied onto every chunk: a 400 KB title must not become 400 KB per chunk.
FIELD_LIMITS = {"title": 300, "source": 200, "url": 2048, "date": 64}
MAX_ID_CHARS = 512


_DATE_FORMATS = ("%Y/%m/%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y",
                 "%B %d, %Y", "%b %d, %Y", "%Y%m%d")  # fmt: skip


def normalize_date(raw: str) -> str:
    """ISO 8601 (YYYY-MM-DD, time kept when given) for the dates feeds write, so that date
    filters compare like with like; a date that cannot be read is kept as written (and
    matches no date filter)."""
    raw = raw.strip()
    if not raw or is_iso_date(raw):
        return raw
    try:
        return email.utils.parsedate_to_datetime(raw).isoformat()  # RFC 2822 (RSS)
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date().isoformat()
        except ValueError:
            continue
    return raw


def _capped(value: str, field: str) -> str:
    limit = FIELD_LIMITS[field]
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def doc_id_for(record: RawRecord, root: Path, body: str = "") -> str:
    """The record's own `id`, else its origin relative to the ingested root.

    Relative to the root's parent, so `rag ingest corpus/` names `corpus/a.txt` the same on
    every machine and from any working directory. A record of a multi-record file (JSON
    array, JSON Lines, CSV) without an `id` is named by its `url`, else by its text
    (`corpus/feed.json#url-1f0c...`, `#text-9a2b...`), not by its position: inserting or
    removing a record must not shift the others onto each other's ids.
    """
    own = record.fields.get("id", "").strip()
    if own:
        return own
    origin = record.origin
    base = str(root.parent).rstrip("/")
    if base not in ("", ".") and origin.startswith(base + "/"):
        origin = origin[len(base) + 1 :]
    origin = origin.removeprefix("./")
    position = f"#{record.index}"
    if not origin.endswith(position):
        return origin  # one article per file: the file names it
    url = record.fields.get("url", "").strip()
    key = f"url-{_digest(url)}" if url else f"text-{_digest(_SPACE.sub(' ', body).strip())}"
    return f"{origin[: -len(position)]}#{key}"


def legacy_position(doc_id: str, owner: str) -> bool:
    """Is `owner` the positional id (`file#3`) an older version gave a record of the file
    that `doc_id` (`file#text-...`) comes from? Such stores still hold those articles."""
    base, sep, key = doc_id.rpartition("#")
    if not sep or not key.startswith(("url-", "text-")):
        return False
    prefix, sep, position = owner.rpartition("#")
    return bool(sep) and prefix == base and position.isdigit()


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


# The fields copied onto every chunk and shown on every line about the article.
LINE_FIELDS = ("id", "title", "source", "url", "date", "author")


class InvalidField(ValueError):
    """A record's field holds what no store accepts (one failure line for that record)."""


def safe_fields(fields: dict[str, str]) -> dict[str, str]:
    """Every field as valid, visible text: article text repaired (lone surrogates replaced,
    control characters dropped), one-line fields without control or bidi characters. A
    one-line field with invalid Unicode (a lone surrogate) raises InvalidField: its value
    cannot be kept as written, and an id or source that silently changed would mislead."""
    out = {}
    for name, value in fields.items():
        if name not in LINE_FIELDS:
            out[name] = repaired(value)
            continue
        bad = invalid_unicode(value)
        if bad is not None:
            raise InvalidField(
                f"field `{name}` holds invalid Unicode (a lone surrogate {bad}); write it as "
                "valid UTF-8 text (or leave the field out) and ingest again"
            )
        out[name] = plain_field(value)
    return out


def to_document(record: RawRecord, root: Path) -> Document | None:
    """A Document, or None when nothing readable is left after cleaning."""
    fields = safe_fields(record.fields)
    record = RawRecord(fields, record.origin, record.index)
    body = clean_text(fields.get("text", ""))
    if not body.strip():
        return None
    title = _capped(_SPACE.sub(" ", fields.get("title", "")).strip(), "title")
    # The title is part of what is searched and quoted, so it opens the text.
    text = body if not title or body.startswith(title) else f"{title}\n\n{body}"
    return Document(
        doc_id=doc_id_for(record, root, body),
        text=text,
        title=title or plain_field(body.split("\n", 1)[0][:120]).strip(),
        url=_capped(_SPACE.sub("", fields.get("url", "")), "url"),
        date=_capped(normalize_date(fields.get("date", "")), "date"),
        source=_capped(_SPACE.sub(" ", fields.get("source", "")).strip(), "source"),
        language=detect_language(text),
        origin=record.origin,
    )


def text_hash(doc: Document) -> str:
    """Hash of the body with spacing normalised: the same article under two ids shares it."""
    body = doc.text[len(doc.title) :] if doc.text.startswith(doc.title) else doc.text
    if not body.strip():  # a one-line article is all title: hash it, or all such would match
        body = doc.text
    return hashlib.sha1(_SPACE.sub(" ", body).strip().encode()).hexdigest()
