"""Metadata restrictions (language, source, dates) shared by retrieval, the archive and the
Chroma and BM25 queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rag.store.documents import is_iso_date


@dataclass(frozen=True)
class Filters:
    """Metadata restrictions; empty fields do not filter. Dates are ISO `YYYY-MM-DD`."""

    language: str | None = None
    source: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def __bool__(self) -> bool:
        return any((self.language, self.source, self.date_from, self.date_to))

    def accepts(self, meta: dict[str, Any]) -> bool:
        date = str(meta.get("date", ""))[:10]
        # Only an ISO date compares correctly as text ("Mon, 12 Mar" > "2024-..." is true).
        date = date if is_iso_date(date) else ""
        return (
            (not self.language or meta.get("language") == self.language)
            and (not self.source or meta.get("source") == self.source)
            and (not self.date_from or (bool(date) and date >= self.date_from))
            and (not self.date_to or (bool(date) and date <= self.date_to))
        )

    def where(self) -> dict[str, Any] | None:
        """The same restriction as a Chroma `where` (dates compared as strings in Python)."""
        clauses: list[dict[str, Any]] = []
        if self.language:
            clauses.append({"language": self.language})
        if self.source:
            clauses.append({"source": self.source})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}
