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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from rag.answer.result import Citation
from rag.retrieve.retriever import Passage
from rag.text.analysis import normalize_arabic, script_language
from rag.text.focus import Term, TermIndex, coverage, focus_terms, index_text, matches
from rag.text.sentences import Span, split_cited, split_sentences, with_neighbours

if TYPE_CHECKING:
    from rag.embedder import Embedder

# Same-language claims: share of their content words the evidence must state.
LEXICAL_SUPPORT = 0.6
# A rare word (archive rarity, 0..1) an Arabic claim shares with the question must be in the
# passage it cites: "the capacity of the Chtouka plant is 450,000 m3 [1]" citing the Ras
# al-Nour plant's passage states nothing about Chtouka.
RARE_TERM = 0.75
_EVIDENCE_HEADER = re.compile(
    r"^\s*(?:\*\*)?(?:evidence|quotes|sources|الأدلة|الادلة|الدليل|الشواهد|الاقتباسات)(?:\*\*)?\s*[:：]",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTE_LINE = re.compile(r"\[(\d{1,3})\]\s*[:\-–]?\s*[\"“«„']+(.+?)[\"”»']+")
_NOT_FOUND_REPLY = re.compile(
    r"(do(es)? not|don't|doesn't) (contain|mention|say|state|provide|include)|"
    r"no (information|answer|mention)|not (found|mentioned|stated)|"
    r"لا (تتضمن|تذكر|يذكر|تحتوي|يحتوي|توجد|يوجد)|لم (تذكر|يذكر|يرد|ترد)|"
    r"ليس(ت)? (هناك|في المقاطع)",
    re.IGNORECASE,
)
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


def says_not_found(text: str) -> bool:
    """Does an LLM reply say the passages hold no answer?"""
    return bool(_NOT_FOUND_REPLY.search(normalize_arabic(text)))


def _norm(text: str) -> str:
    return _SPACE.sub(" ", _PUNCT.sub(" ", normalize_arabic(text))).strip()


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _windows(passage: str, quotes: list[str]) -> list[tuple[str, Span]]:
    """Evidence to test: the verified quotes, else each sentence with its neighbours."""
    spans = split_sentences(passage) or [Span(0, len(passage), passage)]
    norm_passage = _norm(passage)
    norm_spans = [(_norm(s.text), s) for s in spans]
    out: list[tuple[str, Span]] = []
    for quote in quotes:
        key = _norm(quote)
        if len(key) >= 8 and key in norm_passage:
            span = next((s for text, s in norm_spans if key in text or text in key), spans[0])
            out.append((quote, span))
    if out:
        return out
    return [(with_neighbours(spans, i), span) for i, span in enumerate(spans)]


class _Claim(NamedTuple):
    terms: list[Term]
    language: str


class _Evidence(NamedTuple):
    terms: TermIndex
    language: str


def _claim(text: str) -> _Claim:
    return _Claim(focus_terms(text), script_language(text))


def _evidence(text: str) -> _Evidence:
    return _Evidence(index_text(text), script_language(text))


def hard_terms(terms: list[Term], claim_language: str) -> list[Term]:
    """Terms a supporting passage must state: numbers, and names in English claims."""
    english = claim_language == "en"
    return [t for t in terms if t.is_number or (english and t.is_name)]


def supports(
    claim: str,
    evidence: str,
    claim_vec: np.ndarray | None,
    evidence_vec: np.ndarray | None,
    threshold: float,
) -> tuple[bool, float]:
    """(does `evidence` state `claim`, a support score for ranking)."""
    both = claim_vec is not None and evidence_vec is not None
    cos = float(np.dot(claim_vec, evidence_vec)) if both else 0.0  # type: ignore[arg-type]
    return _supports(_claim(claim), _evidence(evidence), cos, threshold)


def _supports(
    claim: _Claim, evidence: _Evidence, cos: float, threshold: float
) -> tuple[bool, float]:
    cross = claim.language != evidence.language
    if not all(matches(t, evidence.terms, cross) for t in hard_terms(claim.terms, claim.language)):
        return False, 0.0
    if cross:
        return cos >= threshold, cos
    share, _ = coverage(claim.terms, evidence.terms, {}, cross_script=False)
    return share >= LEXICAL_SUPPORT, max(share, cos)


def check_citations(
    answer: str,
    passages: list[Passage],
    embedder: Embedder,
    threshold: float,
    question: str = "",
    rarity: Callable[[Sequence[str]], Mapping[str, float]] | None = None,
) -> CheckedAnswer:
    """Keep the sentences whose citations hold; drop the rest, with a notice for each.

    With the `question`, a sentence that only restates it (no word of its own) states
    nothing and goes, and with the archive's `rarity`, the question's rare words a sentence
    repeats must be in the evidence it cites."""
    text, quotes = split_evidence(answer)
    parts = split_cited(text)
    notices: list[str] = []
    asked = {t.stem for t in focus_terms(question)}
    echoes = [s for s, ns in parts if ns and asked and {t.stem for t in focus_terms(s)} <= asked]
    if echoes:
        parts = [(s, ns) for s, ns in parts if s not in echoes]
        notices.append(
            f"restated: {len(echoes)} sentence(s) that only repeat the question were removed."
        )
    windows = {
        n: _windows(passages[n - 1].text, quotes.get(n, []))
        for n in sorted({n for _, ns in parts for n in ns if 1 <= n <= len(passages)})
    }
    # "The articles do not say X [2]" next to real claims states nothing: it goes.
    hedges = [s for s, ns in parts if ns and says_not_found(s)]
    parts = [(s, ns) for s, ns in parts if s not in hedges]
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
    window_keys = [(n, j) for n, ws in windows.items() for j in range(len(ws))]
    window_vec = {key: vectors[len(claims) + i] for i, key in enumerate(window_keys)}
    # Each claim and window is analysed once, not once per comparison.
    claim_text = {c: _claim(c) for c in claims}
    shared = {t.stem for c in claims for t in claim_text[c].terms if t.stem in asked}
    weights = rarity(sorted(shared)) if rarity and shared else {}
    required = {
        c: [t for t in claim_text[c].terms if weights.get(t.stem, 0.0) >= RARE_TERM]
        # English names are checked already (hard terms); Arabic has no capitals to tell
        # a name, so its rare words stand in for them.
        if claim_text[c].language == "ar"
        else []
        for c in claims
    }
    # The question's rare words a claim repeats must be in the passage it cites, anywhere.
    passage_text = {n - 1: _evidence(passages[n - 1].text) for n in windows}
    window_text = {(n, j): _evidence(windows[n][j][0]) for n, j in window_keys}

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
            whole = passage_text[n - 1]
            if whole.language == claim_text[sentence].language and not all(
                matches(t, whole.terms, False) for t in required[sentence]
            ):
                notices.append(
                    f"citation_removed: passage [{n}] does not name what “{_short(sentence)}” "
                    "is about."
                )
                continue
            verdicts = [
                (
                    *_supports(
                        claim_text[sentence],
                        window_text[(n, j)],
                        float(np.dot(claim_vec[sentence], window_vec[(n, j)])),
                        threshold,
                    ),
                    span,
                )
                for j, (_, span) in enumerate(windows[n])
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
    dropped += len(echoes)
    if hedges:
        dropped += len(hedges)
        notices.append(
            f"not_a_claim: {len(hedges)} sentence(s) saying the passages lack the answer were "
            "removed from an answer that states other things."
        )
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
