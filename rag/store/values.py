"""What the store can take: values Chroma accepts, checked before anything is written, and
Chroma's refusals of a record's values told apart from disk or server failures."""

from __future__ import annotations

from collections.abc import Sequence

from rag.errors import RecordError
from rag.store.documents import DocumentWrite
from rag.text.safe import invalid_unicode

# What Chroma stores as a metadata value.
_SCALARS = (str, int, float, bool)


def check_values(items: Sequence[DocumentWrite]) -> None:
    """Refuse, before anything is written, a record whose values the store cannot take
    (not a str/number/bool, or a string that is not valid Unicode): a write that failed
    halfway would leave chunks its registry does not list."""
    for item in items:
        values: list[object] = [*item.doc.fields().values(), item.doc.doc_id]
        values += [v for c in item.chunks for v in (c.text, *c.metadata.values())]
        for value in values:
            bad = not isinstance(value, _SCALARS) or (
                isinstance(value, str) and invalid_unicode(value) is not None
            )
            if bad:
                shown = repr(value)[:60]
                reason = (
                    f"the store cannot take the value {shown} of {item.doc.doc_id!r}; check the "
                    "record's fields (id, title, source, url, date) and ingest again"
                )
                raise RecordError(f"writing {item.doc.doc_id}: {reason}", reason)


def record_error(exc: Exception, doing: str, what: str) -> RecordError | None:
    """A RecordError when Chroma refused the records' values (it checks them before it
    writes: a TypeError or ValueError), None for anything else (disk, server)."""
    if not isinstance(exc, (TypeError, ValueError)) or isinstance(exc, OSError):
        return None
    reason = (
        f"the store refused its values ({what}); check the record's fields "
        "(id, title, source, url, date) and ingest again"
    )
    return RecordError(f"{doing} failed: {reason}", reason)
