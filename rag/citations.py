"""Citation check: every cited sentence of an LLM answer must be supported by its passage.

Support is lexical (most of the claim's words are in the passage, after Arabic-aware
analysis) or semantic (the embedder finds a passage sentence close to the claim), so a claim
in English citing an Arabic passage can still be supported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rag.analysis import analyze
from rag.answer import Citation
from rag.retrieval import Passage
from rag.sentences import Span, split_cited, split_sentences

if TYPE_CHECKING:
    from rag.embedder import Embedder

LEXICAL_SUPPORT = 0.6


@dataclass
class CheckedAnswer:
    text: str
    citations: list[Citation]
    notices: list[str]
    supported: int  # citations kept


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _embed_symmetric(embedder: Embedder, texts: list[str]) -> np.ndarray:
    # e5 compares two statements best with the "query: " prompt on both sides.
    return embedder.embed_batch([embedder.query_prompt + t for t in texts])


def check_citations(
    answer: str, passages: list[Passage], embedder: Embedder, threshold: float
) -> CheckedAnswer:
    """Keep supported citations, drop the rest with a notice for each."""
    parts = split_cited(answer)
    notices: list[str] = []
    passage_spans = {}
    cited = sorted({n for _, ns in parts for n in ns if 1 <= n <= len(passages)})
    for n in cited:
        passage_spans[n] = split_sentences(passages[n - 1].text) or [
            Span(0, len(passages[n - 1].text), passages[n - 1].text)
        ]
    claims = [s for s, ns in parts if ns]
    all_spans = [(n, sp) for n in cited for sp in passage_spans[n]]
    vectors = (
        _embed_symmetric(embedder, claims + [sp.text for _, sp in all_spans]) if claims else None
    )
    claim_vec = {c: vectors[i] for i, c in enumerate(claims)} if vectors is not None else {}
    span_vec = (
        {(n, sp.start): vectors[len(claims) + j] for j, (n, sp) in enumerate(all_spans)}
        if vectors is not None
        else {}
    )

    out_sentences: list[str] = []
    best: dict[int, tuple[float, Span]] = {}
    kept_total = 0
    for sentence, numbers in parts:
        kept: list[int] = []
        for n in dict.fromkeys(numbers):
            if not 1 <= n <= len(passages):
                notices.append(
                    f"citation_removed: [{n}] points at no passage (there are {len(passages)})."
                )
                continue
            score, span = _support(sentence, claim_vec[sentence], n, passage_spans[n], span_vec)
            if score >= threshold:
                kept.append(n)
                if n not in best or score > best[n][0]:
                    best[n] = (score, span)
            else:
                notices.append(
                    f"citation_removed: passage [{n}] does not support “{_short(sentence)}”."
                )
        kept_total += len(kept)
        out_sentences.append(sentence + "".join(f" [{n}]" for n in kept))
    uncited = sum(1 for _, numbers in parts if not numbers)
    if uncited:
        notices.append(f"uncited: {uncited} sentence(s) of the answer cite no passage.")
    citations = [
        Citation.of(n, passages[n - 1], span.text, (span.start, span.end), score)
        for n, (score, span) in sorted(best.items())
    ]
    return CheckedAnswer(" ".join(out_sentences), citations, notices, kept_total)


def _support(
    claim: str,
    claim_vector: np.ndarray,
    n: int,
    spans: list[Span],
    span_vec: dict[tuple[int, int], np.ndarray],
) -> tuple[float, Span]:
    """Best support of `claim` by a sentence of passage n: max of lexical and semantic."""
    claim_terms = set(analyze(claim))
    best_score, best_span = -1.0, spans[0]
    for span in spans:
        cos = float(np.dot(claim_vector, span_vec[(n, span.start)]))
        lexical = (
            len(claim_terms & set(analyze(span.text))) / len(claim_terms) if claim_terms else 0.0
        )
        # Lexical overlap above LEXICAL_SUPPORT counts as full support.
        score = max(cos, 1.0 if lexical >= LEXICAL_SUPPORT else 0.0)
        if score > best_score:
            best_score, best_span = score, span
    return best_score, best_span
