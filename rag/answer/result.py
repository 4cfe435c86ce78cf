"""What the assistant returns: an answer, the citations behind it, and plain notices."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from rag.retrieve.retriever import Passage

AnswerMode = Literal["extractive", "llm", "not_found"]

RELATED = 3  # passages shown as "related" under a not-found answer
NOT_FOUND = {
    "ar": "لا تتضمن المقالات المتاحة إجابة عن هذا السؤال.",
    "en": "The articles do not contain the answer to this question.",
}


@dataclass(frozen=True)
class Status:
    """Work under way before the first word of an answer (e.g. "reading 5 passages with
    qwen2.5-1.5b..."): streamed so that a slow local model does not look stuck."""

    text: str


STATUS = {
    "en": "reading {n} passages with {model}…",
    "ar": "يقرأ {model} {n} مقاطع…",
}
# The grounded rewrite: what it writes from, and its one retry in the reader's language.
QUOTES_STATUS = {
    "en": "answering from the quoted sentences with {model}…",
    "ar": "يصوغ {model} الإجابة من الجمل المقتبسة…",
}
AGAIN_STATUS = {
    "en": "{model} answered in another language; asking again in English…",
    "ar": "أجاب {model} بلغة أخرى؛ يطلب الإجابة بالعربية مرة أخرى…",
}


@dataclass(frozen=True)
class Citation:
    """A numbered passage the answer cites, and the sentence in it that supports the claim."""

    n: int
    doc_id: str
    title: str
    source: str
    url: str
    date: str
    text: str  # the passage
    supporting: str  # the supporting sentence, verbatim from `text`
    span: tuple[int, int]  # char span of `supporting` in `text`
    score: float
    chunk_id: str = ""  # the stored chunk the passage is

    @classmethod
    def of(cls, n: int, passage: Passage, supporting: str, span: tuple[int, int], score: float):
        return cls(
            n=n,
            doc_id=passage.doc_id,
            title=passage.title,
            source=passage.source,
            url=passage.url,
            date=passage.date,
            text=passage.text,
            supporting=supporting,
            span=span,
            score=round(float(score), 4),
            chunk_id=passage.chunk_id,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "chunk_id": self.chunk_id,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "date": self.date,
            "text": self.text,
            "supporting": self.supporting,
            "span": list(self.span),
            "score": self.score,
        }


@dataclass
class Answer:
    """The result of `Assistant.ask`. `to_json()` is the `rag ask --json` contract."""

    text: str
    mode: AnswerMode
    citations: list[Citation] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)  # everything retrieved, numbered 1..
    question: str = ""
    query: str = ""  # the standalone query retrieval used (after follow-up rewriting)
    translation: str = ""  # the query in the other language, by the LLM ("" without one)
    language: str = "en"
    answerability: Judgement | None = None  # the evidence check that chose answer or not found
    # LLM mode: (sentences that cited a passage, those whose passage states them)
    claim_check: tuple[int, int] | None = None
    # The time the question asks about, as applied (rag.answer.time_scope), or None.
    time_range: dict[str, Any] | None = None

    @property
    def related(self) -> list[Passage]:
        """Passages shown beside a "not found" answer: close to the question, not cited."""
        return self.passages[:RELATED] if self.mode == "not_found" else []

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "mode": self.mode,
            "notices": list(self.notices),
            "citations": [c.to_json() for c in self.citations],
            "question": self.question,
            "query": self.query,
            "translation": self.translation,
            "language": self.language,
            "passages": [
                {
                    "n": i + 1,
                    "doc_id": p.doc_id,
                    "chunk_id": p.chunk_id,
                    "title": p.title,
                    "score": round(p.score, 5),
                    "dense_score": round(p.dense_score, 4),
                }
                for i, p in enumerate(self.passages)
            ],
            "related": [
                {
                    "doc_id": p.doc_id,
                    "chunk_id": p.chunk_id,
                    "title": p.title,
                    "source": p.source,
                    "url": p.url,
                    "date": p.date,
                    "text": p.text,
                }
                for p in self.related
            ],
            "answerability": self.answerability.to_json() if self.answerability else None,
            "time_range": self.time_range,
            "claims": (
                {"cited": self.claim_check[0], "supported": self.claim_check[1]}
                if self.claim_check is not None
                else None
            ),
        }


@dataclass(frozen=True)
class Judgement:
    """The answerability decision for one question and its retrieved passages."""

    answerable: bool
    score: float  # calibrated probability that the evidence answers the question
    threshold: float
    pair: str  # question language - evidence language, e.g. "en-ar"
    features: dict[str, float] = field(default_factory=dict)
    evidence: tuple[int, int, int] | None = None  # passage n (1-based), start, end

    @property
    def not_found_reason(self) -> str:
        """Why the evidence does not answer, for the "not found" notice."""
        return (
            f"the passages do not state what the question asks (evidence score "
            f"{self.score:.2f} < {self.threshold:.2f} for {self.pair or 'no passage'})."
        )

    @property
    def margin(self) -> float:
        """How far the score clears its threshold (negative: it does not)."""
        return self.score - self.threshold

    def to_json(self) -> dict[str, Any]:
        return {
            "answerable": self.answerable,
            "score": round(self.score, 4),
            "threshold": round(self.threshold, 4),
            "pair": self.pair,
        }


def clearest(first: Judgement, *others: Judgement) -> Judgement:
    """Of readings of the same question's evidence (its language's side and the other's;
    the question and its translation), the one that clears its threshold by more speaks;
    the first on a tie."""
    return max((first, *others), key=lambda j: j.margin)
