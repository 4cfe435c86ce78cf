"""Managing the archive: list the stored articles, find them, remove them.

A delete removes an article's chunks, its registry entries and its BM25 rows together,
under the data dir's write lock (an ingest and a delete never interleave). A kill at any
point leaves a store that the same delete, run again, completes: see
`ChunkStore.delete_documents` for the order, and the BM25 index is marked dirty before
Chroma changes (a killed delete leaves it to be rebuilt from Chroma on the next open).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rag.errors import ConfigError
from rag.store.documents import DOC_FIELDS, is_iso_date
from rag.store.filters import Filters
from rag.store.write_lock import writer_lock
from rag.text.analysis import normalize_arabic

if TYPE_CHECKING:
    from rag.settings import Settings
    from rag.store.bm25_index import Bm25Index
    from rag.store.chunks import ChunkStore
    from rag.store.documents import DocRecord

# Documents per delete step: each step is a few Chroma calls, and progress is told per step.
DELETE_STEP = 64


@dataclass(frozen=True)
class Article:
    """One stored article, as `rag list` shows it."""

    doc_id: str
    title: str
    source: str
    date: str
    language: str
    chunks: int
    url: str = ""

    @classmethod
    def of(cls, meta: dict[str, Any]) -> Article:
        return cls(
            doc_id=str(meta.get("doc_id", "")),
            chunks=len(json.loads(meta.get("chunk_ids") or "[]")),
            **{name: str(meta.get(name) or "") for name in DOC_FIELDS},
        )

    def to_json(self) -> dict[str, Any]:
        """`rag list --json`: doc_id, title, source, date, language, chunks, url."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ArticleQuery:
    """Which articles to list; empty fields do not filter. Dates are ISO `YYYY-MM-DD`."""

    source: str | None = None
    language: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    match: str | None = None

    def check(self) -> None:
        for flag, value in (("--from", self.date_from), ("--to", self.date_to)):
            if value and not is_iso_date(value):
                raise ConfigError(f"{flag} {value!r}: give a date as YYYY-MM-DD")
        if self.language and self.language not in ("ar", "en"):
            raise ConfigError(f"--language {self.language!r}: use ar or en")

    def accepts(self, article: Article) -> bool:
        """The retrieval filters' rules (`Filters.accepts`), plus the text match."""
        filters = Filters(self.language, self.source, self.date_from, self.date_to)
        if not filters.accepts(dataclasses.asdict(article)):
            return False
        if self.match:
            needle = normalize_arabic(self.match.strip())
            hay = " ".join((article.doc_id, article.title, article.source, article.url))
            return needle in normalize_arabic(hay)
        return True


@dataclass
class DeleteReport:
    """What a delete did: `deleted` and `not_found` doc ids, and the chunks removed."""

    deleted: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    chunks: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"deleted": self.deleted, "not_found": self.not_found, "chunks": self.chunks}


def newest_first(articles: Sequence[Article]) -> list[Article]:
    """Dated articles newest first, then undated ones; ties by title and id."""
    dated = sorted((a for a in articles if is_iso_date(a.date)), key=lambda a: (a.title, a.doc_id))
    dated.sort(key=lambda a: a.date, reverse=True)
    undated = sorted(
        (a for a in articles if not is_iso_date(a.date)), key=lambda a: (a.title, a.doc_id)
    )
    return dated + undated


class Archive:
    """List and delete stored articles; deletes keep the BM25 index in step.

    The index is the one given, or the store's saved one, opened at the first delete (a
    listing never reads it). A writer's own copy: a retriever answering meanwhile swaps in
    the saved index when it sees it is newer, never a half-updated one.
    """

    def __init__(
        self, settings: Settings, store: ChunkStore, bm25: Bm25Index | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self.bm25 = bm25

    # --- reading -------------------------------------------------------------------------
    def articles(
        self, query: ArticleQuery | None = None, limit: int | None = None
    ) -> list[Article]:
        """Stored articles matching `query`, newest first, at most `limit`."""
        query = query or ArticleQuery()
        query.check()
        found = [a for a in map(Article.of, self.store.iter_registry()) if query.accepts(a)]
        ordered = newest_first(found)
        return ordered if limit is None else ordered[:limit]

    def select(
        self,
        doc_ids: Sequence[str] = (),
        *,
        source: str | None = None,
        before: str | None = None,
    ) -> tuple[list[Article], list[str]]:
        """The articles named by id, plus those matching every given filter (`source`, dated
        before `before`); and the ids given that are not stored."""
        if before and not is_iso_date(before):
            raise ConfigError(f"--before {before!r}: give a date as YYYY-MM-DD")
        if not doc_ids and not source and not before:
            raise ConfigError("name the articles to delete: doc ids, --source or --before")
        chosen: dict[str, Article] = {}
        wanted = set(doc_ids)
        for meta in self.store.iter_registry():
            article = Article.of(meta)
            by_filter = bool(source or before) and (
                (not source or article.source == source)
                and (not before or (is_iso_date(article.date) and article.date[:10] < before))
            )
            if article.doc_id in wanted or by_filter:
                chosen[article.doc_id] = article
        missing = [d for d in dict.fromkeys(doc_ids) if d not in chosen]
        return newest_first(list(chosen.values())), missing

    # --- deleting ------------------------------------------------------------------------
    def delete(
        self,
        doc_ids: Sequence[str],
        progress: Callable[[int, int], None] | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> DeleteReport:
        """Remove the given articles (chunks, registry entries, BM25 rows) under the write
        lock. Ids not stored are reported in `not_found`."""
        report = DeleteReport()
        ids = list(dict.fromkeys(doc_ids))
        with writer_lock(self.settings, on_wait):
            if self.bm25 is None:
                from rag.store.bm25_index import Bm25Index

                self.bm25 = Bm25Index.open(self.settings, self.store, locked=True)
            bm25 = self.bm25
            bm25.catch_up(self.store)
            records = self.store.get_docs(ids)
            report.not_found = [d for d in ids if d not in records]
            todo: list[DocRecord] = [records[d] for d in ids if d in records]
            for lo in range(0, len(todo), DELETE_STEP):
                step = todo[lo : lo + DELETE_STEP]
                # dirty on disk before Chroma changes
                bm25.on_document([], [c for r in step for c in r.chunk_ids])
                report.chunks += self.store.delete_documents(step)
                report.deleted += [r.doc_id for r in step]
                if progress is not None:
                    progress(len(report.deleted), len(todo))
            if len(bm25.rows) != self.store.count():
                # chunks the registry did not list (left by an old crash) went too
                bm25.rebuild_from(self.store)
            bm25.flush()
        return report
