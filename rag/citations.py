"""Citation check: an LLM sentence keeps its [n] only if passage n states it.

The model is asked to add, after its answer, a verbatim evidence quote for each [n]. A quote
counts only if it occurs in passage n (after Arabic normalisation); without one, each
sentence of passage n with its neighbours is tried. A claim is supported by an evidence
window when
- every number it states, and every name in an English claim, is in the window (across
  scripts, names meet on their consonant skeleton: Erdogan / أردوغان), and
- in one language, most of its content words are in the window; across languages, where
  words cannot be compared, the window is close in meaning (e5 cosine).
"France" in a claim and not in the passage is unsupported, whatever the cosine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rag.analysis import normalize_arabic, script_language
from rag.answer import Citation
from rag.focus import Term, coverage, focus_terms, index_text, matches
from rag.retrieval import Passage
from rag.sentences import Span, split_cited, split_sentences

if TYPE_CHECKING:
    from rag.embedder import Embedder

# Same-language claims: share of their content words the evidence must state.
LEXICAL_SUPPORT = 0.6
_EVIDENCE_HEADER = re.compile(
    r"^\s*(?:\*\*)?(?:evidence|quotes|sources|الأدلة|الادلة|الدليل|الشواهد|الاقتباسات)(?:\*\*)?\s*[:：]",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTE_LINE = re.compile(r"\[(\d{1,3})\]\s*[:\-–]?\s*[\"“«„']+(.+?)[\"”»']+")
_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


@dataclass
class CheckedAnswer:
    text: str
    citations: list[Citation]
    notices: list[str]
    supported: int  # citations kept
    claims: int = 0  # sentences that cited a passage
    supported_claims: int = 0  # of those, sentences that kept a citation
    dropped: int = 0  # sentences removed (unsupported or uncited)


def split_evidence(raw: str) -> tuple[str, dict[int, list[str]]]:
    """(the answer, quotes per passage number) from "answer... Evidence: [n] "quote"" text."""
    header = _EVIDENCE_HEADER.search(raw)
    answer, tail = (raw[: header.start()], raw[header.end() :]) if header else (raw, "")
    quotes: dict[int, list[str]] = {}
    for n, quote in _QUOTE_LINE.findall(tail):
        quotes.setdefault(int(n), []).append(quote.strip())
    return answer.strip(), quotes


def _norm(text: str) -> str:
    return _SPACE.sub(" ", _PUNCT.sub(" ", normalize_arabic(text))).strip()


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _windows(passage: str, quotes: list[str]) -> list[tuple[str, Span]]:
    """Evidence to test: the verified quotes, else each sentence with its neighbours."""
    spans = split_sentences(passage) or [Span(0, len(passage), passage)]
    norm_passage = _norm(passage)
    verified = [q for q in quotes if len(_norm(q)) >= 8 and _norm(q) in norm_passage]
    out: list[tuple[str, Span]] = []
    for quote in verified:
        key = _norm(quote)
        span = next((s for s in spans if key in _norm(s.text) or _norm(s.text) in key), spans[0])
        out.append((quote, span))
    if out:
        return out
    for i, span in enumerate(spans):
        lo, hi = max(0, i - 1), min(len(spans), i + 2)
        out.append((" ".join(s.text for s in spans[lo:hi]), span))
    return out


def hard_terms(terms: list[Term], claim: str) -> list[Term]:
    """Terms a supporting passage must state: numbers, and names in English claims."""
    english = script_language(claim) == "en"
    return [t for t in terms if t.is_number or (english and t.is_name)]


def supports(
    claim: str,
    evidence: str,
    claim_vec: np.ndarray | None,
    evidence_vec: np.ndarray | None,
    threshold: float,
) -> tuple[bool, float]:
    """(does `evidence` state `claim`, a support score for ranking)."""
    terms = focus_terms(claim)
    index = index_text(evidence)
    cross = script_language(claim) != script_language(evidence)
    if not all(matches(t, index, cross) for t in hard_terms(terms, claim)):
        return False, 0.0
    cos = float(np.dot(claim_vec, evidence_vec)) if claim_vec is not None else 0.0
    if cross:
        return cos >= threshold, cos
    share, _ = coverage(terms, index, {}, cross_script=False)
    return share >= LEXICAL_SUPPORT, max(share, cos)


def check_citations(
    answer: str, passages: list[Passage], embedder: Embedder, threshold: float
) -> CheckedAnswer:
    """Keep the sentences whose citations hold; drop the rest, with a notice for each."""
    text, quotes = split_evidence(answer)
    parts = split_cited(text)
    notices: list[str] = []
    windows = {
        n: _windows(passages[n - 1].text, quotes.get(n, []))
        for n in sorted({n for _, ns in parts for n in ns if 1 <= n <= len(passages)})
    }
    claims = [s for s, ns in parts if ns]
    all_windows = [(n, w) for n, ws in windows.items() for w, _ in ws]
    vectors = (
        embedder.embed_batch(
            [embedder.query_prompt + t for t in claims + [w for _, w in all_windows]]
        )
        if claims
        else np.zeros((0, 1))
    )
    claim_vec = {c: vectors[i] for i, c in enumerate(claims)}
    window_vec = {
        (n, j): vectors[len(claims) + i]
        for i, (n, j) in enumerate((n, j) for n, ws in windows.items() for j in range(len(ws)))
    }

    out: list[str] = []
    best: dict[int, tuple[float, Span]] = {}
    kept_total = supported_claims = dropped = 0
    for sentence, numbers in parts:
        if not numbers:
            dropped += 1
            continue
        kept: list[int] = []
        for n in dict.fromkeys(numbers):
            if not 1 <= n <= len(passages):
                notices.append(
                    f"citation_removed: [{n}] points at no passage (there are {len(passages)})."
                )
                continue
            verdicts = [
                (*supports(sentence, w, claim_vec[sentence], window_vec[(n, j)], threshold), span)
                for j, (w, span) in enumerate(windows[n])
            ]
            ok = [(score, span) for good, score, span in verdicts if good]
            if ok:
                score, span = max(ok, key=lambda v: v[0])
                kept.append(n)
                if n not in best or score > best[n][0]:
                    best[n] = (score, span)
            else:
                notices.append(
                    f"citation_removed: passage [{n}] does not state “{_short(sentence)}”."
                )
        if kept:
            supported_claims += 1
            kept_total += len(kept)
            out.append(sentence + "".join(f" [{n}]" for n in kept))
        else:
            dropped += 1
    uncited = sum(1 for _, numbers in parts if not numbers)
    if uncited:
        notices.append(f"uncited: {uncited} sentence(s) cited no passage and were removed.")
    if len(claims) > supported_claims:
        notices.append(
            f"unsupported: {len(claims) - supported_claims} sentence(s) whose passages do not "
            "state them were removed."
        )
    citations = [
        Citation.of(n, passages[n - 1], span.text, (span.start, span.end), score)
        for n, (score, span) in sorted(best.items())
    ]
    return CheckedAnswer(
        " ".join(out), citations, notices, kept_total, len(claims), supported_claims, dropped
    )
