"""Cached e5 vectors of short texts the answer step embeds again and again: single words
(the answerability check's soft word matching), candidate sentences (a passage that
answers one question is retrieved for the next ones too) and the contextual word states of
questions and evidence windows (word alignment). Each text is embedded once per process
while the cache holds it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rag.embedder import Embedder, WordStates

LIMIT = 50_000  # vectors kept (~75 MB at 384 floats); the cache empties when full


class VectorCache:
    """`cache(texts)`: one row per text, embedded with `prompt` (e5: "query: " for words,
    "passage: " for sentences)."""

    def __init__(self, embedder: Embedder, prompt: str, limit: int = LIMIT) -> None:
        self.embedder = embedder
        self.prompt = prompt
        self.limit = limit
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        cache, embedder = self._cache, self.embedder
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            if len(cache) + len(missing) > self.limit:
                cache.clear()
            vectors = embedder.embed_batch([self.prompt + t for t in missing])
            cache.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, embedder.dimension), dtype=np.float32)
        return np.stack([cache[t] for t in texts])


def word_vectors(embedder: Embedder) -> VectorCache:
    """Single words, with the symmetric "query: " prompt."""
    return VectorCache(embedder, embedder.query_prompt)


def sentence_vectors(embedder: Embedder) -> VectorCache:
    """Candidate answer sentences, embedded as passages."""
    return VectorCache(embedder, embedder.passage_prompt)


class StatesCache:
    """`cache(texts, prompt)`: each text's contextual word states (`Embedder.word_states`),
    computed once per process while the cache holds it (evidence windows recur)."""

    def __init__(self, embedder: Embedder, limit: int = LIMIT // 20) -> None:
        self.embedder = embedder
        self.limit = limit
        self._cache: dict[tuple[str, str], WordStates] = {}

    def __call__(self, texts: Sequence[str], prompt: str) -> list[WordStates]:
        cache = self._cache
        missing = [t for t in dict.fromkeys(texts) if (prompt, t) not in cache]
        if missing:
            if len(cache) + len(missing) > self.limit:
                cache.clear()
            states = self.embedder.word_states(missing, prompt)
            cache.update(((prompt, t), s) for t, s in zip(missing, states, strict=True))
        return [cache[(prompt, t)] for t in texts]
