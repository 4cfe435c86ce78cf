"""Citation check: an LLM sentence keeps its [n] only if passage n states it.

The model is asked to add, after its answer, a verbatim evidence quote for each [n]. A quote
counts only if it occurs in passage n (after Arabic normalisation); without one, each
sentence of passage n with its neighbours is tried. Whether a window states a claim is
rag/answer/support.py's: its numbers, names, months and weekdays, the words it repeats from
the question, and most of its words in one language or its meaning (e5 cosine) across.
"France" in a claim and not in the passage is unsupported, whatever the cosine, and so is
"X did not resign" citing "X resigned" (rag/text/polarity.py).

A grounded rewrite (rag/answer/rewrite.py) is checked against the quotes it was given only:
each quote of passage n, and all of them together, are its evidence windows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rag.answer.result import Citation
from rag.answer.support import (
    Claim,
    Evidence,
    asked_stated,
    asked_terms,
    read_claim,
    read_evidence,
    supports_terms,
    written,
)
from rag.retrieve.retriever import Passage
from rag.text.analysis import normalize_arabic
from rag.text.focus import Term, focus_terms, matches
from rag.text.polarity import opposes
from rag.text.sentences import Span, split_cited, split_sentences, with_neighbours

if TYPE_CHECKING:
    from rag.embedder import Embedder

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


def _given_windows(quotes: Sequence[Span]) -> list[tuple[str, Span]]:
    """Each given quote, then all of them together (a sentence may join two of them)."""
    out = [(q.text, q) for q in quotes]
    if len(quotes) > 1:
        out.append((" ".join(q.text for q in quotes), quotes[0]))
    return out


def check_citations(
    answer: str,
    passages: list[Passage],
    embedder: Embedder,
    threshold: float,
    question: str = "",
    rarity: Callable[[Sequence[str]], Mapping[str, float]] | None = None,
    given: Mapping[int, Sequence[Span]] | None = None,
) -> CheckedAnswer:
    """Keep the sentences whose citations hold; drop the rest, with a notice for each.

    With `given` (per passage number, the quotes the LLM was given), a sentence is checked
    against those quotes only, and a citation of a passage it was given no quote of goes.

    With the `question`, a sentence that only restates it (no word of its own) states
    nothing and goes, and with the archive's `rarity`, the question's rare words a sentence
    repeats must be in the evidence it cites. A citation whose evidence states the claim's
    words with the opposite polarity goes."""
    text, quotes = split_evidence(answer)
    parts, notices, removed = _drop_non_claims(split_cited(text), question)
    claims = [s for s, ns in parts if ns]
    evidence = _EvidenceSet.build(
        claims, parts, passages, quotes, embedder, question, rarity, given
    )

    out: list[str] = []
    best: dict[int, tuple[float, Span]] = {}
    kept_total = supported_claims = 0
    dropped = removed
    for sentence, numbers in parts:
        if not numbers:
            dropped += 1
            continue
        kept = []
        for n in dict.fromkeys(numbers):
            verdict = evidence.judge(sentence, n, threshold)
            if isinstance(verdict, str):
                notices.append(verdict)
                continue
            kept.append(n)
            if n not in best or verdict[0] > best[n][0]:
                best[n] = verdict
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


def _drop_non_claims(
    parts: list[tuple[str, list[int]]], question: str
) -> tuple[list[tuple[str, list[int]]], list[str], int]:
    """Sentences that state nothing go: one that only restates the question (no word of its
    own), and "the articles do not say X [2]" next to real claims. Returns the rest, the
    notices and how many went."""
    notices: list[str] = []
    asked = {t.stem for t in focus_terms(question)}
    echoes = [s for s, ns in parts if ns and asked and {t.stem for t in focus_terms(s)} <= asked]
    if echoes:
        parts = [(s, ns) for s, ns in parts if s not in echoes]
        notices.append(
            f"restated: {len(echoes)} sentence(s) that only repeat the question were removed."
        )
    hedges = [s for s, ns in parts if ns and says_not_found(s)]
    if hedges:
        parts = [(s, ns) for s, ns in parts if s not in hedges]
        notices.append(
            f"not_a_claim: {len(hedges)} sentence(s) saying the passages lack the answer were "
            "removed from an answer that states other things."
        )
    return parts, notices, len(echoes) + len(hedges)


@dataclass
class _EvidenceSet:
    """The cited passages' evidence windows, and every claim and window analysed and
    embedded once (not once per comparison)."""

    passages: list[Passage]
    windows: dict[int, list[tuple[str, Span]]]
    claim_text: dict[str, Claim]
    claim_vec: dict[str, np.ndarray]
    window_text: dict[tuple[int, int], Evidence]
    window_vec: dict[tuple[int, int], np.ndarray]
    passage_text: dict[int, Evidence]
    required: dict[str, list[Term]]
    asked: dict[str, list[Term]]  # per claim, the question's words it repeats
    given: bool = False  # checked against given quotes (a grounded rewrite)

    @classmethod
    def build(
        cls,
        claims: list[str],
        parts: list[tuple[str, list[int]]],
        passages: list[Passage],
        quotes: dict[int, list[str]],
        embedder: Embedder,
        question: str,
        rarity: Callable[[Sequence[str]], Mapping[str, float]] | None,
        given: Mapping[int, Sequence[Span]] | None = None,
    ) -> _EvidenceSet:
        cited = sorted({n for _, ns in parts for n in ns if 1 <= n <= len(passages)})
        windows = {
            n: (
                _given_windows(given.get(n, []))
                if given is not None
                else _windows(passages[n - 1].text, quotes.get(n, []))
            )
            for n in cited
        }
        window_keys = [(n, j) for n, ws in windows.items() for j in range(len(ws))]
        texts = claims + [windows[n][j][0] for n, j in window_keys]
        vectors = (
            embedder.embed_batch([embedder.query_prompt + t for t in texts])
            if claims
            else np.zeros((0, 1), dtype=np.float32)
        )
        claim_text = {c: read_claim(c, lead_name=given is not None) for c in claims}
        return cls(
            passages=passages,
            windows=windows,
            claim_text=claim_text,
            claim_vec={c: vectors[i] for i, c in enumerate(claims)},
            window_text={(n, j): read_evidence(windows[n][j][0]) for n, j in window_keys},
            window_vec={key: vectors[len(claims) + i] for i, key in enumerate(window_keys)},
            passage_text={n: read_evidence(passages[n - 1].text) for n in windows},
            required=_required_terms(claim_text, question, rarity),
            asked={c: asked_terms(said, question) for c, said in claim_text.items()},
            given=given is not None,
        )

    def judge(self, claim: str, n: int, threshold: float) -> tuple[float, Span] | str:
        """(support score, evidence span) when passage n states `claim`; else the notice
        that says why its citation goes."""
        if not 1 <= n <= len(self.passages):
            return f"citation_removed: [{n}] points at no passage (there are {len(self.passages)})."
        if not self.windows[n]:
            return (
                f"citation_removed: passage [{n}] does not state “{_short(claim)}”: none of "
                "its sentences was among the quotes the answer was written from."
            )
        said = self.claim_text[claim]
        whole = self.passage_text[n]
        if whole.language == said.language and not all(
            matches(t, whole.terms, False) for t in self.required[claim]
        ):
            return f"citation_removed: passage [{n}] does not name what “{_short(claim)}” is about."
        supported: list[tuple[float, Span]] = []
        opposed = False
        for j, (window, span) in enumerate(self.windows[n]):
            cos = float(np.dot(self.claim_vec[claim], self.window_vec[(n, j)]))
            article = whole if self.given else None
            good, score = supports_terms(
                said, self.window_text[(n, j)], cos, threshold, article, self.asked[claim]
            )
            if not good:
                continue
            if opposes(claim, window, span.text):
                opposed = True
                continue
            supported.append((score, span))
        if supported:
            return max(supported, key=lambda v: v[0])
        if opposed:
            return (
                f"citation_removed: passage [{n}] states the opposite of “{_short(claim)}” "
                "(negated on one side only)."
            )
        unsaid = ("، " if said.language == "ar" else ", ").join(self.unsaid(claim, n))
        if unsaid:
            return (
                f"citation_removed: passage [{n}] does not state “{_short(claim)}”: its "
                f"evidence does not say “{unsaid}”, which the answer took from the question."
            )
        return f"citation_removed: passage [{n}] does not state “{_short(claim)}”."

    def unsaid(self, claim: str, n: int) -> list[str]:
        """The question's words the claim repeats that no same-language window of passage n
        states, as the claim writes them."""
        said = self.claim_text[claim]
        windows = [
            self.window_text[(n, j)]
            for j in range(len(self.windows[n]))
            if self.window_text[(n, j)].language == said.language
        ]
        if not windows:
            return []
        article = self.passage_text[n] if self.given else None
        missing = {
            t.stem
            for t in self.asked[claim]
            if not any(asked_stated(t, said, w, article) for w in windows)
        }
        return written(missing, claim)


def _required_terms(
    claims: Mapping[str, Claim],
    question: str,
    rarity: Callable[[Sequence[str]], Mapping[str, float]] | None,
) -> dict[str, list[Term]]:
    """Per claim, the question's rare words it repeats: the passage it cites must name them
    (Arabic claims; English names are checked already as hard terms, and Arabic has no
    capitals to tell a name, so its rare words stand in for them)."""
    asked = {t.stem for t in focus_terms(question)}
    shared = {t.stem for c in claims.values() for t in c.terms if t.stem in asked}
    weights = rarity(sorted(shared)) if rarity and shared else {}
    return {
        text: [t for t in c.terms if weights.get(t.stem, 0.0) >= RARE_TERM]
        if c.language == "ar"
        else []
        for text, c in claims.items()
    }
