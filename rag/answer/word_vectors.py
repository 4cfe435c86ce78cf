"""e5 vectors of single words, for the answerability check's soft word matching, cached
across questions (a word is embedded once per process)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rag.embedder import Embedder

LIMIT = 50_000  # word vectors kept (~75 MB at 384 floats); the cache empties when full


class WordVectors:
    """`vectors(words)`: one row per word (symmetric "query: " prompt)."""

    def __init__(self, embedder: Embedder, limit: int = LIMIT) -> None:
        self.embedder = embedder
        self.limit = limit
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, words: Sequence[str]) -> np.ndarray:
        cache, embedder = self._cache, self.embedder
        missing = [w for w in dict.fromkeys(words) if w not in cache]
        if missing:
            if len(cache) > self.limit:
                cache.clear()
            vectors = embedder.embed_batch([embedder.query_prompt + w for w in missing])
            cache.update(zip(missing, vectors, strict=True))
        if not words:
            return np.zeros((0, embedder.dimension), dtype=np.float32)
        return np.stack([cache[w] for w in words])
