"""The time a question asks about, applied to one question: the range retrieval filters to,
the reader's notices, and whether the archive covers it at all.

    scope = time_scope(question, "en", picked_filters, ("2014-03-09", "2016-06-30"), settings)

- An explicit range ("in March 2015", "أمس", "last week") filters retrieval like `--from` /
  `--to`; relative ones count from the reference date: the archive's newest article date by
  default (RAG_TIME_REFERENCE=today: today's date). A range the reader picked too (the CLI's
  flags, the chat's date boxes) meets the question's: the narrower range (their intersection)
  applies and a notice says so when they differ.
- An archive without any dated article is searched whole, with a notice (a range could
  only exclude every article).
- A range wholly outside the archive's dated articles is `uncovered`: the answer is "not
  found", naming the dates the archive covers.
- "latest" and "recently" filter nothing (an undated article is never dropped by them):
  `rag.answer.timed` orders the passages that answer, newest first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from rag.store.documents import is_iso_date
from rag.store.filters import Filters
from rag.text.time_expressions import TimeRange, find_time_range

if TYPE_CHECKING:
    from rag.settings import Settings

Span = tuple[str, str]  # the archive's oldest and newest article dates, ISO

TEXTS = {
    "en": {
        "range": "articles from {start} to {end}",
        "from": "articles from {start} on",
        "to": "articles up to {end}",
        "archive": "counted from the archive's newest article date, {ref}",
        "today": "counted from today, {ref}",
        "latest": "the newest answering articles first",
        "recent": "preferring articles from {start} to {end}",
        "narrower": "the question asks about {asked} and the date filter is {picked}: using "
        "the narrower {used}",
        "disjoint": "the question asks about {asked} and the date filter is {picked}: they "
        "share no day",
        "covers": "The archive's dated articles cover {start} to {end}; it has no articles "
        "from the time asked about ({asked}).",
        "filter": "The archive's dated articles cover {start} to {end}; the date filter "
        "({picked}) reaches none of them.",
        "undated": "the archive has no dated articles, so the time asked about ({asked}) "
        "filters nothing: every article is searched",
        "outside": "The archive has no articles from the time asked about ({asked}).",
    },
    "ar": {
        "range": "مقالات من {start} إلى {end}",
        "from": "مقالات من {start} فصاعدا",
        "to": "مقالات حتى {end}",
        "archive": "محسوبا من تاريخ أحدث مقال في الأرشيف، {ref}",
        "today": "محسوبا من تاريخ اليوم، {ref}",
        "latest": "المقالات الأحدث التي تجيب أولا",
        "recent": "تفضيل المقالات من {start} إلى {end}",
        "narrower": "يسأل السؤال عن {asked} ومرشح التاريخ {picked}: يستخدم النطاق الأضيق {used}",
        "disjoint": "يسأل السؤال عن {asked} ومرشح التاريخ {picked}: لا يشتركان في أي يوم",
        "covers": "تغطي مقالات الأرشيف المؤرخة الفترة من {start} إلى {end}، ولا مقالات فيه من "
        "الفترة المسؤول عنها ({asked}).",
        "filter": "تغطي مقالات الأرشيف المؤرخة الفترة من {start} إلى {end}، ولا يصل مرشح "
        "التاريخ ({picked}) إلى أي منها.",
        "undated": "لا مقالات مؤرخة في الأرشيف، فلا تُصفّى المقالات بالفترة المسؤول عنها "
        "({asked}): البحث في كل المقالات",
        "outside": "لا مقالات في الأرشيف من الفترة المسؤول عنها ({asked}).",
    },
}


@dataclass(frozen=True)
class TimeScope:
    """The time handling of one question (`time_scope`)."""

    filters: Filters  # what retrieval applies: the picked filters, met with the asked range
    asked: TimeRange | None = None  # the question's own time (None: none, or handling off)
    reference: str | None = None  # ISO date relative times count from
    span: Span | None = None  # the archive's dated articles, oldest and newest
    notices: tuple[str, ...] = ()
    uncovered: str = ""  # why no article can be from the asked range ("" when some may)
    from_question: bool = False  # the date filter narrows because of the question

    def without_time(self, question: str) -> str:
        """`question` without the words of its time, once they are applied: the evidence
        check then weighs what is asked, not a year or month the article need not repeat
        (a report of "Wednesday" answers "what did the bank decide in March 2015?")."""
        if self.asked is None:
            return question
        rest = question
        for part in self.asked.text.split(", "):
            rest = rest.replace(part, " ") if part.strip() else rest
        rest = " ".join(rest.split())
        return rest if sum(c.isalpha() for c in rest) >= 8 else question

    @property
    def kind(self) -> str | None:
        return self.asked.kind if self.asked else None

    @property
    def start(self) -> str | None:
        """The range applied (an explicit range) or preferred ("recently")."""
        if self.kind == "recent" and self.asked and self.asked.start:
            return self.asked.start.isoformat()
        return self.filters.date_from if self.asked else None

    @property
    def end(self) -> str | None:
        if self.kind == "recent" and self.asked and self.asked.end:
            return self.asked.end.isoformat()
        return self.filters.date_to if self.asked else None

    def as_dict(self) -> dict[str, Any] | None:
        """`rag ask --json`'s `time_range`: the range used, the words, the reference date."""
        if self.asked is None:
            return None
        return {
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "text": self.asked.text,
            "relative": self.asked.relative,
            "reference": self.reference,
            "archive": list(self.span) if self.span else None,
            "covered": not self.uncovered,
        }


def archive_span(dates: Iterable[str]) -> Span | None:
    """The oldest and newest ISO dates among `dates` (other values are not dates)."""
    found = [d[:10] for d in dates if d and is_iso_date(d)]
    return (min(found), max(found)) if found else None


class ArchiveSpan:
    """`archive_span` of the index's date column, computed again only when the column is
    replaced (an ingest rebuilds it)."""

    def __init__(self) -> None:
        self._dates: object = None
        self._span: Span | None = None

    def __call__(self, dates: Iterable[str] | None) -> Span | None:
        if dates is not self._dates:
            self._dates, self._span = dates, archive_span(dates if dates is not None else ())
        return self._span


def describe(start: str | None, end: str | None, language: str) -> str:
    """ "articles from 2015-03-01 to 2015-03-31" (open ends said as such)."""
    texts = TEXTS.get(language, TEXTS["en"])
    if start and end:
        return texts["range"].format(start=start, end=end)
    if start:
        return texts["from"].format(start=start)
    return texts["to"].format(end=end)


def time_scope(
    question: str,
    language: str,
    filters: Filters | None,
    span: Span | None,
    settings: Settings,
    today: date | None = None,
) -> TimeScope:
    """How `question`'s own time applies, given the picked `filters` and the archive's span."""
    filters = filters or Filters()
    if not settings.time_aware:
        return TimeScope(filters)
    by_archive = settings.time_reference == "archive" and span is not None
    reference = date.fromisoformat(span[1]) if span and by_archive else today or date.today()
    asked = find_time_range(question, reference)
    if asked is None:
        return _picked_only(TimeScope(filters), span, language)
    texts = TEXTS.get(language, TEXTS["en"])
    comma = "، " if language == "ar" else ", "
    counted = (
        f" ({_quoted(asked.text, language)}{comma}"
        f"{texts['archive' if by_archive else 'today'].format(ref=reference.isoformat())})"
        if asked.relative
        else f" ({_quoted(asked.text, language)})"
    )
    scope = TimeScope(filters, asked, reference.isoformat(), span)
    if asked.kind == "recent" or (asked.start is None and asked.end is None):
        start, end = _iso(asked.start), _iso(asked.end)
        what = texts["recent"].format(start=start, end=end) if start else texts["latest"]
        return replace(scope, notices=(f"time: {what}{counted}",))
    return _explicit(scope, asked, filters, span, language, counted)


def _picked_only(scope: TimeScope, span: Span | None, language: str) -> TimeScope:
    """Only the pickers' range: one that reaches no dated article is "not found", saying
    which dates the archive covers."""
    low, high = scope.filters.date_from, scope.filters.date_to
    if span is None or not _outside(low, high, span):
        return scope
    picked = describe(low, high, language)
    text = TEXTS.get(language, TEXTS["en"])["filter"]
    return replace(scope, uncovered=text.format(start=span[0], end=span[1], picked=picked))


def _explicit(
    scope: TimeScope,
    asked: TimeRange,
    picked: Filters,
    span: Span | None,
    language: str,
    counted: str,
) -> TimeScope:
    """An asked range, met with the picked one: the narrower applies."""
    texts = TEXTS.get(language, TEXTS["en"])
    start, end = _iso(asked.start), _iso(asked.end)
    used_start = max(filter(None, (start, picked.date_from)), default=None)
    used_end = min(filter(None, (end, picked.date_to)), default=None)
    asked_words = describe(start, end, language)
    notices = []
    if (used_start, used_end) != (start, end):
        picked_words = describe(picked.date_from, picked.date_to, language)
        if used_start and used_end and used_start > used_end:
            notice = texts["disjoint"].format(asked=asked_words, picked=picked_words)
            filters = replace(picked, date_from=start, date_to=end)
            return replace(
                scope, filters=filters, notices=(f"time: {notice}",), uncovered=notice + "."
            )
        used = describe(used_start, used_end, language)
        notices.append(
            "time: " + texts["narrower"].format(asked=asked_words, picked=picked_words, used=used)
        )
    if span is None:  # no dated article: a range could only exclude them all
        return replace(scope, notices=(f"time: {texts['undated'].format(asked=asked_words)}",))
    filters = replace(picked, date_from=used_start, date_to=used_end)
    notices.insert(0, f"time: {describe(used_start, used_end, language)}{counted}")
    uncovered = ""
    if _outside(used_start, used_end, span):
        uncovered = texts["covers"].format(start=span[0], end=span[1], asked=asked_words)
    return replace(
        scope,
        filters=filters,
        notices=tuple(notices),
        uncovered=uncovered,
        from_question=(used_start, used_end) != (picked.date_from, picked.date_to),
    )


def _outside(start: str | None, end: str | None, span: Span) -> bool:
    """Does the range start..end (open ends None) miss every day of the archive's span?"""
    return bool((end and end < span[0]) or (start and start > span[1]))


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _quoted(text: str, language: str) -> str:
    return f"«{text}»" if language == "ar" else f'"{text}"'
