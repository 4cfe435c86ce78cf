"""Evaluation metrics as pure functions: retrieval, answers, citations, latency.

Retrieval is measured at the document level over the ranked passages: a passage counts as
relevant when its document is one of the question's `relevant_docs`, and a document found
twice counts once (for recall and nDCG). Answer matching is SQuAD-style, with Arabic
normalisation, so "الولايات المتحدة" and "ولايات المتحدة" or "أذربيجان" and "اذربيجان" meet.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from rag.text.analysis import normalize_arabic
from rag.text.sentences import split_cited

_SPACE = re.compile(r"\s+")
_CITE = re.compile(r"\s*\[\d{1,3}\]")
# "Sentence. [1]": the marker after the stop (the extractive answerer's style).
_MARKER_AFTER_STOP = re.compile(r"([.!?؟۔؛])((?:\s*\[\d{1,3}\])+)")
_EN_ARTICLES = frozenset({"a", "an", "the"})
# The Arabic article, with a conjunction (و ف) and preposition (ب ك ل) glued before it;
# stripped as SQuAD strips "a/an/the", and only when two letters or more remain.
_AR_ARTICLE = re.compile("^(?:[وف]?[بك]?ال|[وف]?لل)(?=..)")


# --- retrieval -----------------------------------------------------------------------------
def first_relevant_rank(ranked_docs: Sequence[str], relevant: Iterable[str]) -> int | None:
    """1-based rank of the first passage from a relevant document, or None."""
    wanted = set(relevant)
    return next((i for i, doc in enumerate(ranked_docs, start=1) if doc in wanted), None)


def hit_at_k(ranked_docs: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """1.0 when a relevant document is among the first k passages."""
    rank = first_relevant_rank(ranked_docs, relevant)
    return 1.0 if rank is not None and rank <= k else 0.0


def recall_at_k(ranked_docs: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Share of the relevant documents found among the first k passages."""
    wanted = set(relevant)
    if not wanted:
        return 0.0
    return len(wanted & set(ranked_docs[:k])) / len(wanted)


def mrr_at_k(ranked_docs: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Reciprocal rank of the first relevant passage within the first k (0 if none)."""
    rank = first_relevant_rank(ranked_docs[:k], relevant)
    return 1.0 / rank if rank is not None else 0.0


def ndcg_at_k(ranked_docs: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Binary-gain nDCG over the first k passages; a document's repeats gain nothing."""
    wanted = set(relevant)
    if not wanted:
        return 0.0
    seen: set[str] = set()
    dcg = 0.0
    for i, doc in enumerate(ranked_docs[:k], start=1):
        if doc in wanted and doc not in seen:
            seen.add(doc)
            dcg += 1.0 / math.log2(i + 1)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(wanted), k) + 1))
    return dcg / ideal


def match_text(text: str) -> str:
    """Arabic-normalised text with single spaces, for substring checks."""
    return _SPACE.sub(" ", normalize_arabic(text)).strip()


def evidence_hit(passage_texts: Iterable[str], evidence: Iterable[str]) -> float:
    """1.0 when one passage contains one of the evidence strings (Arabic-normalised)."""
    wanted = [match_text(e) for e in evidence if e.strip()]
    return float(any(e in match_text(t) for t in passage_texts for e in wanted))


# --- answers -------------------------------------------------------------------------------
def strip_citations(text: str) -> str:
    """The answer without its [n] markers."""
    return _CITE.sub("", text).strip()


def answer_tokens(text: str) -> list[str]:
    """SQuAD normalisation, Arabic-aware: no punctuation, articles or diacritics."""
    text = normalize_arabic(strip_citations(text))
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    tokens = []
    for token in text.split():
        if token in _EN_ARTICLES:
            continue
        tokens.append(_AR_ARTICLE.sub("", token))
    return tokens


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals one normalised answer."""
    pred = answer_tokens(prediction)
    return float(any(pred == answer_tokens(a) for a in answers))


def token_f1(prediction: str, answers: Sequence[str]) -> float:
    """Best SQuAD token F1 of the prediction against the answers."""
    pred = answer_tokens(prediction)
    best = 0.0
    for answer in answers:
        gold = answer_tokens(answer)
        common = sum((Counter(pred) & Counter(gold)).values())
        if not pred or not gold or not common:
            continue
        precision, recall = common / len(pred), common / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_answer(prediction: str, answers: Sequence[str]) -> float:
    """1.0 when one normalised answer occurs as whole words in the normalised prediction."""
    pred = " " + " ".join(answer_tokens(prediction)) + " "
    return float(any((gold := " ".join(answer_tokens(a))) and f" {gold} " in pred for a in answers))


# --- citations -----------------------------------------------------------------------------
def cited_is_relevant(
    doc_id: str, text: str, relevant: Iterable[str], evidence: Iterable[str]
) -> bool:
    """A cited passage is relevant when its document is, or when it holds the evidence."""
    return doc_id in set(relevant) or evidence_hit([text], evidence) == 1.0


def citation_precision(
    cited: Sequence[tuple[str, str]], relevant: Iterable[str], evidence: Iterable[str]
) -> float | None:
    """Share of the cited passages (doc id, text) that are relevant; None when none cited."""
    if not cited:
        return None
    relevant, evidence = list(relevant), list(evidence)
    good = sum(cited_is_relevant(doc, text, relevant, evidence) for doc, text in cited)
    return good / len(cited)


def citation_recall(cited_docs: Iterable[str], relevant: Iterable[str]) -> float | None:
    """Share of the relevant documents the answer cites; None without relevant documents."""
    wanted = set(relevant)
    if not wanted:
        return None
    return len(wanted & set(cited_docs)) / len(wanted)


def supported_sentences(answer: str, cited: dict[int, tuple[str, str]]) -> tuple[int, int]:
    """(supported, total) answer sentences; `cited` maps n -> (passage text, supporting).

    A sentence is supported when one of its [n] citations points at a passage that contains
    it (Arabic-normalised, final stop ignored) or whose supporting sentence is it: extractive
    answers quote verbatim, so this is exact rather than a similarity guess.
    """
    supported = total = 0
    # split_cited reads "Claim. [1] Next. [2]" as "[1]" opening the next sentence; moving
    # each marker before its stop gives every sentence its own citations.
    answer = _MARKER_AFTER_STOP.sub(r"\2\1", answer)
    for sentence, numbers in split_cited(answer):
        total += 1
        claim = match_text(sentence).rstrip(".!?؟۔؛ ")
        if not claim:
            continue
        for n in numbers:
            if n not in cited:
                continue
            passage, supporting = cited[n]
            if claim in match_text(passage) or claim == match_text(supporting).rstrip(".!?؟۔؛ "):
                supported += 1
                break
    return supported, total


# --- aggregation ---------------------------------------------------------------------------
def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the defined values; None when there are none."""
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def latency_summary(seconds: Sequence[float]) -> dict[str, float | None]:
    """Median and 95th percentile (linear interpolation) in seconds."""
    if not seconds:
        return {"median_s": None, "p95_s": None}
    arr = np.asarray(seconds, dtype=float)
    return {
        "median_s": round(float(np.median(arr)), 4),
        "p95_s": round(float(np.percentile(arr, 95)), 4),
    }
