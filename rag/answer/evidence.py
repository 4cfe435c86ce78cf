"""What an answer is built from: the query, its passages and the evidence check
(`Assistant.evidence`)."""

from __future__ import annotations

from typing import NamedTuple

from rag.answer.extractive import ScoredSentence
from rag.answer.result import Judgement
from rag.retrieve.retriever import Passage


class Evidence(NamedTuple):
    """What an answer is built from (`Assistant.evidence`)."""

    query: str  # the standalone query (after follow-up rewriting)
    passages: list[Passage]
    notes: list[str]
    judgement: Judgement  # does the evidence answer, or is it "not found"
    sentences: list[ScoredSentence]
    translation: str | None  # the query in the other language, with an LLM
