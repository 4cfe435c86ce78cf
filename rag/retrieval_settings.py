"""The retrieval group of the Settings (`rag.settings` combines the groups; kept apart so
that file stays small)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from rag.options import RetrieverMode


class RetrievalSettings(BaseModel):
    """How a question finds passages: the retriever, how many, and how dense and BM25 hits
    are fused."""

    retriever: RetrieverMode = Field(
        "hybrid", description="Default retriever: hybrid (dense + BM25 fused), dense or bm25."
    )
    top_k: int = Field(5, ge=1, le=50, description="Passages given to the answerer.")
    candidates: int = Field(
        40, ge=5, le=1000, description="Candidates fetched from each retriever before fusion."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant k.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in fusion.")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion.")
    fusion: Literal["calibrated", "language-rank"] = Field(
        "calibrated",
        description="How dense hits of both languages are ranked for fusion: calibrated (one "
        "ranking, other-language cosines shifted by the fitted offsets; an other-language hit "
        "gets a lexical share only when it states a name or number of the question) or "
        "language-rank (each hit ranked within its language, every other-language hit given "
        "a lexical share: the earlier behaviour, kept for comparison).",
    )
    fusion_offset_en_ar: float = Field(
        0.02,
        ge=-0.5,
        le=0.5,
        description="Added to an Arabic passage's cosine (with the English question moved "
        "across the language gap) before ranking; fitted on the dev split of two mixed "
        "archives (bench/fusion.py --fit and bench/hubs.py --grid) without lowering "
        "same-language hit@1.",
    )
    fusion_offset_ar_en: float = Field(
        0.02,
        ge=-0.5,
        le=0.5,
        description="Added to an English passage's cosine (with the Arabic question moved "
        "across the language gap) before ranking; fitted like fusion_offset_en_ar.",
    )
    language_shift: float = Field(
        1.0,
        ge=0,
        le=2,
        description="Cross-language dense search: the question's vector is also moved by this "
        "multiple of the gap between English and Arabic (the mean difference of translated "
        "sentence pairs' vectors), and that search finds and scores the other language's "
        "passages (0: off, the other language is found by the question's own vector).",
    )
    fusion_margin: float = Field(
        0.06,
        ge=0,
        le=1,
        description="Calibrated fusion: an other-language passage whose shifted cosine is "
        "within this of the best question-language passage's takes BM25's share (as does "
        "one stating a name or number of the question); fitted like fusion_offset_en_ar.",
    )
    bm25_min_ratio: float = Field(
        0.3,
        ge=0,
        le=1,
        description="BM25 hits scoring under this fraction of the best BM25 hit are not fused.",
    )
    mmr_lambda: float = Field(
        0.7, ge=0, le=1, description="MMR trade-off: 1 = relevance only, 0 = diversity only."
    )
    filter_overfetch: int = Field(
        10, ge=1, le=100, description="Filtered queries fetch this many times more candidates."
    )
    time_aware: bool = Field(
        True,
        description='Read the time a question asks about ("in March 2015", "latest", "أمس"): '
        'an asked range filters, "latest" puts the newest answering article first, '
        '"recently" prefers the last 30 days. false: the question\'s time is ignored.',
    )
    time_reference: Literal["archive", "today"] = Field(
        "archive",
        description='What "yesterday" or "last week" counts from: the archive\'s newest article '
        "date (an archive is often older than today), or today's date.",
    )
