"""Cached e5 vectors of short texts the answer step embeds again and again: single words
(the answerability check's soft word matching), candidate sentences (a passage that
answers one question is retrieved for the next ones too; ingest stores them, and
`StoredSentences` reads those first) and the contextual word states of
questions and evidence windows (word alignment). Each text is embedded once per process
while the cache holds it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from rag.store.sentences import sentence_key

if TYPE_CHECKING:
    from rag.embedder import Embedder, WordStates

LIMIT = 50_000  # vectors kept (~75 MB at 384 floats); the cache empties when full

K = TypeVar("K")
V = TypeVar("V")


def held(cache: dict[K, V], keys: Sequence[K]) -> tuple[dict[K, V], list[K]]:
    """What `cache` holds of `keys` now, and the keys it lacks (each once). Each lookup is
    one `dict.get`, so answers on other threads may fill or empty the cache meanwhile: the
    caller reads only what this returned."""
    found: dict[K, V] = {}
    for key in dict.fromkeys(keys):
        value = cache.get(key)
        if value is not None:
            found[key] = value
    return found, [key for key in dict.fromkeys(keys) if key not in found]


def keep(cache: dict[K, V], new: dict[K, V], limit: int) -> dict[K, V]:
    """Add `new` to `cache` (emptied first when it would pass `limit`); returns `new`."""
    if len(cache) + len(new) > limit:
        cache.clear()
    cache.update(new)
    return new


class VectorCache:
    """`cache(texts)`: one row per text, embedded with `prompt` (e5: "query: " for words,
    "passage: " for sentences)."""

    def __init__(self, embedder: Embedder, prompt: str, limit: int = LIMIT) -> None:
        self.embedder = embedder
        self.prompt = prompt
        self.limit = limit
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        embedder = self.embedder
        found, missing = held(self._cache, texts)
        if missing:
            vectors = embedder.embed_batch([self.prompt + t for t in missing])
            found.update(keep(self._cache, dict(zip(missing, vectors, strict=True)), self.limit))
        if not texts:
            return np.zeros((0, embedder.dimension), dtype=np.float32)
        return np.stack([found[t] for t in texts])


class StoredSentences:
    """Candidate sentences' vectors for the passages of one question: those ingest stored
    (`read`: chunk ids -> vectors by text hash), the rest from `cache` (embedded)."""

    def __init__(
        self, cache: VectorCache, read: Callable[[Sequence[str]], dict[str, np.ndarray]]
    ) -> None:
        self.cache = cache
        self.read = read

    def of(self, chunk_ids: Sequence[str]) -> Callable[[Sequence[str]], np.ndarray]:
        """`embed(texts)` for these chunks' sentences: one store read, then only what it
        lacks is embedded (a store ingested without them, a sentence of another text)."""
        stored = self.read(chunk_ids)

        def embed(texts: Sequence[str]) -> np.ndarray:
            if not texts:
                return self.cache([])
            keys = [sentence_key(t) for t in texts]
            missing = [t for t, key in zip(texts, keys, strict=True) if key not in stored]
            made = dict(zip(missing, self.cache(missing), strict=True)) if missing else {}
            return np.stack(
                [stored[k] if k in stored else made[t] for t, k in zip(texts, keys, strict=True)]
            )

        return embed


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
        found, missing = held(self._cache, [(prompt, t) for t in texts])
        if missing:
            states = self.embedder.word_states([t for _, t in missing], prompt)
            found.update(keep(self._cache, dict(zip(missing, states, strict=True)), self.limit))
        return [found[(prompt, t)] for t in texts]
