"""The extractive answerer: quotes the retrieved sentences that best answer the question.

Sentences are scored by the embedder (so an English question finds Arabic sentences) plus
a lexical bonus for shared words, and quoted in reading order with their passage number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rag.answer.result import NOT_FOUND, Answer, Citation
from rag.embedder import Embedder
from rag.retrieve.retriever import Passage
from rag.text.analysis import analyze
from rag.text.polarity import opposes
from rag.text.sentences import candidate_spans

if TYPE_CHECKING:
    from rag.settings import Settings

LEXICAL_WEIGHT = 0.1


@dataclass(frozen=True)
class ScoredSentence:
    n: int  # passage number (1-based)
    start: int
    end: int
    text: str
    score: float  # cosine + lexical bonus: the ranking
    cos: float = 0.0  # cosine with the question alone


# How candidate sentences are embedded: an Embedder (as passages), or a cache of it
# (rag/answer/word_vectors.py) that embeds each sentence once.
SentenceEmbedding = Embedder | Callable[[Sequence[str]], np.ndarray]


def score_sentences(
    question: str, qvec: np.ndarray, passages: list[Passage], embed: SentenceEmbedding
) -> list[ScoredSentence]:
    """Every candidate sentence of the passages, scored against the question."""
    return score_sentences_for([(question, qvec)], passages, embed)[0]


def score_sentences_for(
    questions: list[tuple[str, np.ndarray]], passages: list[Passage], embed: SentenceEmbedding
) -> list[list[ScoredSentence]]:
    """The candidate sentences scored against each (question, vector), embedded once."""
    candidates: list[tuple[int, int, int, str]] = []
    for n, passage in enumerate(passages, start=1):
        for span in candidate_spans(passage.text):
            candidates.append((n, span.start, span.end, span.text))
    if not candidates:
        return [[] for _ in questions]
    texts = [c[3] for c in candidates]
    vectors = embed.embed_documents(texts) if isinstance(embed, Embedder) else embed(texts)
    terms = [set(analyze(c[3])) for c in candidates]
    out = []
    for question, qvec in questions:
        qterms = set(analyze(question))
        scored = []
        for (n, start, end, text), words, cos in zip(
            candidates, terms, vectors @ qvec, strict=True
        ):
            overlap = len(qterms & words) / len(qterms) if qterms else 0.0
            scored.append(
                ScoredSentence(
                    n, start, end, text, float(cos) + LEXICAL_WEIGHT * overlap, float(cos)
                )
            )
        out.append(scored)
    return out


def not_found_answer(
    question: str, language: str, passages: list[Passage], reason: str = "", text: str = ""
) -> Answer:
    """ "The articles do not answer this" (or `text`: why not, such as the archive's span);
    the closest passages stay as related, uncited."""
    return Answer(
        text=text or NOT_FOUND.get(language, NOT_FOUND["en"]),
        mode="not_found",
        notices=[
            "not_found: "
            + (reason or "the retrieved passages do not answer the question.")
            + (" The closest passages are listed as related, not cited." if passages else "")
        ],
        passages=passages,
        question=question,
        language=language,
    )


def extractive_answer(
    question: str,
    passages: list[Passage],
    scored: list[ScoredSentence],
    settings: Settings,
    language: str,
    answers: Callable[[ScoredSentence], bool] | None = None,
) -> Answer:
    """Quote the best sentences with [n] markers (answerability was decided before); see
    `choose_quotes`."""
    chosen, why = choose_quotes(question, passages, scored, settings, answers)
    return quotes_answer(question, passages, chosen, language, why)


def choose_quotes(
    question: str,
    passages: list[Passage],
    scored: list[ScoredSentence],
    settings: Settings,
    answers: Callable[[ScoredSentence], bool] | None = None,
) -> tuple[list[ScoredSentence], str]:
    """(the sentences that answer, in reading order; why there are none when empty).

    A sentence that states the question's words with the opposite polarity ("did not
    demand" for "what did Erdogan demand?") is never offered as its answer. With
    `answers` (does this sentence, on its own, answer the question?), each quote from
    another article than the best quote's must pass it too: near in cosine is not enough."""
    if not scored:
        return [], ""
    scored = [s for s in scored if not opposes(question, s.text, s.text)]
    if not scored:
        return [], "the passages state the opposite of what is asked."
    scored = sorted(scored, key=lambda s: s.score, reverse=True)
    best = scored[0].score
    chosen: list[ScoredSentence] = []
    per_passage: dict[int, int] = {}
    for sent in scored:
        if (
            len(chosen) >= settings.extractive_sentences
            or sent.score < best - settings.extractive_margin
        ):
            break
        if per_passage.get(sent.n, 0) >= 2 or any(_same(sent.text, c.text) for c in chosen):
            continue
        if (
            chosen
            and answers is not None
            and not _same_article(sent, chosen[0], passages)
            and not answers(sent)
        ):
            continue
        chosen.append(sent)
        per_passage[sent.n] = per_passage.get(sent.n, 0) + 1
    # Reading order: by passage number, then by place in the passage.
    return sorted(chosen, key=lambda s: (s.n, s.start)), ""


def quotes_answer(
    question: str,
    passages: list[Passage],
    chosen: list[ScoredSentence],
    language: str,
    why: str = "",
) -> Answer:
    """The chosen sentences quoted with their [n]; "not found" (for `why`) when none."""
    if not chosen:
        return not_found_answer(question, language, passages, why)
    text = " ".join(f"{_with_stop(s.text)} [{s.n}]" for s in chosen)
    return Answer(
        text=text,
        mode="extractive",
        citations=_citations(chosen, passages),
        passages=passages,
        question=question,
        language=language,
    )


def _citations(chosen: list[ScoredSentence], passages: list[Passage]) -> list[Citation]:
    best_per_n: dict[int, ScoredSentence] = {}
    for sent in chosen:
        if sent.n not in best_per_n or sent.score > best_per_n[sent.n].score:
            best_per_n[sent.n] = sent
    return [
        Citation.of(n, passages[n - 1], s.text, (s.start, s.end), s.score)
        for n, s in sorted(best_per_n.items())
    ]


def _same_article(a: ScoredSentence, b: ScoredSentence, passages: list[Passage]) -> bool:
    return passages[a.n - 1].doc_id == passages[b.n - 1].doc_id


def _same(a: str, b: str) -> bool:
    """Near-identical sentences (news repeats the lead): keep one."""
    ta, tb = set(analyze(a)), set(analyze(b))
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) > 0.8


def _with_stop(sentence: str) -> str:
    return sentence if sentence[-1:] in ".!?؟۔؛" else sentence + "."
