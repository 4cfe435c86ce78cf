"""The question's time applied to its evidence, after retrieval (`rag.answer.time_scope`
decided the range before it):

- "latest" / "recently": the passages that answer on their own come first, newest first
  ("recently": those of its window before the others; undated ones after the dated, never
  dropped), and the answer quotes the first of them. The rest keep their order after them.
- An asked range whose articles do not answer: news reports a period after it ends (a
  2016 article on "the 2015 season"), so the evidence found without the question's range
  stands when the passage that answers states that time itself: its own words, or a date
  that, read against its article's date, falls in the range. Otherwise the usual "not
  found", with related passages from the range.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Protocol

from rag.answer.evidence import Evidence
from rag.answer.options import AskOptions
from rag.answer.result import Judgement
from rag.answer.time_scope import TimeScope, time_scope
from rag.retrieve.retriever import Passage
from rag.store.documents import is_iso_date
from rag.text.analysis import normalize_arabic
from rag.text.sentences import split_sentences
from rag.text.time_expressions import find_time_range

if TYPE_CHECKING:
    from rag.answer.answerability import AnswerabilityModel, Lexicon
    from rag.answer.time_scope import ArchiveSpan
    from rag.retrieve.retriever import Retriever
    from rag.settings import Settings


class Reader(Protocol):
    """What the time handling reads of the assistant."""

    settings: Settings
    retriever: Retriever
    archive_span: ArchiveSpan
    answerability: AnswerabilityModel
    lexicon: Lexicon


TEXTS = {
    "en": "no article dated in the asked range answers; passage [{n}] ({date}) reports on "
    "that time",
    "ar": "لا مقال مؤرخ في النطاق المسؤول عنه يجيب؛ المقطع [{n}] ({date}) يتناول تلك الفترة",
}


def timed_evidence(
    assistant: Reader,
    question: str,
    language: str,
    options: AskOptions,
    retrieve: Callable[[str, AskOptions], Evidence],
) -> tuple[TimeScope, Evidence]:
    """The question's time scope and its evidence: retrieved within the scope's filters
    for the question without its time words (none when the archive cannot cover the asked
    time), then `settle`d; the wider retrieval reads the whole question."""
    assistant.retriever.refresh()
    span = assistant.archive_span(assistant.retriever.bm25.meta.get("date"))
    scope = time_scope(question, language, options.filters, span, assistant.settings)
    if scope.uncovered:  # no article can be from the time asked about
        return scope, Evidence(question, [], [], Judgement(False, 0.0, 1.0, ""), [], None)
    evidence = retrieve(scope.without_time(question), replace(options, filters=scope.filters))
    wider = lambda: retrieve(question, options)  # noqa: E731
    return scope, settle(assistant, scope, evidence, language, wider)


def settle(
    assistant: Reader,
    scope: TimeScope,
    evidence: Evidence,
    language: str,
    wider: Callable[[], Evidence],
) -> Evidence:
    """The evidence with the question's time applied (`wider`: the same retrieval without
    the question's range)."""
    if scope.kind in ("latest", "recent") and evidence.judgement.answerable:
        return newest_first(assistant, scope, evidence, language)
    if scope.from_question and not evidence.judgement.answerable:
        other = wider()
        where = other.judgement.evidence
        if other.judgement.answerable and where and 1 <= where[0] <= len(other.passages):
            passage = other.passages[where[0] - 1]
            if states_time(passage, scope):
                day = passage.date[:10] if is_iso_date(passage.date) else "-"
                note = "time: " + TEXTS.get(language, TEXTS["en"]).format(n=where[0], date=day)
                return other._replace(notes=[*other.notes, note])
    return evidence


def newest_first(
    assistant: Reader, scope: TimeScope, evidence: Evidence, language: str
) -> Evidence:
    """The answering passages first, newest first; the answer quotes the newest."""
    passages = evidence.passages
    by_n: dict[int, list] = {}
    for s in evidence.sentences:
        by_n.setdefault(s.n, []).append(s)
    judge, lexicon = assistant.answerability.judge, assistant.lexicon
    answering = [
        i
        for i, p in enumerate(passages)
        if by_n.get(i + 1)
        and judge(
            evidence.query, language, [p], [replace(s, n=1) for s in by_n[i + 1]], lexicon
        ).answerable
    ]
    if not answering:
        return evidence
    window = (scope.start or "", scope.end or "9999") if scope.kind == "recent" else None

    def key(i: int) -> tuple[bool, bool, str]:
        day = passages[i].date[:10] if is_iso_date(passages[i].date) else ""
        outside = window is not None and not (day and window[0] <= day <= window[1])
        return (outside, not day, _descending(day))

    order = sorted(answering, key=key) + [i for i in range(len(passages)) if i not in answering]
    new_n = {old + 1: new + 1 for new, old in enumerate(order)}
    first = passages[order[0]]
    quoted = {i + 1 for i in answering if passages[i].date[:10] == first.date[:10] or i == order[0]}
    sentences = [replace(s, n=new_n[s.n]) for s in evidence.sentences if s.n in quoted]
    judgement = evidence.judgement
    if judgement.evidence:
        n, start, end = judgement.evidence
        judgement = replace(judgement, evidence=(new_n.get(n, n), start, end))
    return evidence._replace(
        passages=[passages[i] for i in order], sentences=sentences, judgement=judgement
    )


def states_time(passage: Passage, scope: TimeScope) -> bool:
    """Does `passage` speak of the asked time: the question's own words for it, or a date
    that, read against the article's date, falls in the asked range?"""
    if scope.asked is None:
        return False
    text = normalize_arabic(passage.text).lower()
    words = [normalize_arabic(w).strip().lower() for w in scope.asked.text.split(",")]
    if any(w and w in text for w in words):
        return True
    if not is_iso_date(passage.date):
        return False
    own = date.fromisoformat(passage.date[:10])
    low, high = scope.start or "0000", scope.end or "9999"
    for sentence in split_sentences(passage.text)[:12]:
        found = find_time_range(sentence.text, own)
        if found is None or found.kind == "recent" or (found.start, found.end) == (None, None):
            continue
        first = found.start.isoformat() if found.start else "0000"
        last = found.end.isoformat() if found.end else "9999"
        if first <= high and low <= last:
            return True
    return False


def _descending(day: str) -> str:
    """A sort key that puts later ISO dates first."""
    return "".join(chr(0x10FFFF - ord(c)) for c in day)
