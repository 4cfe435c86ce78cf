"""The answer step's vector caches: a word or candidate sentence is embedded once."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from fakes import HashEmbedder

from rag.answer.word_vectors import StatesCache, VectorCache, sentence_vectors, word_vectors
from rag.embedder import WordStates


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return super().embed_batch(texts)


def test_each_text_is_embedded_once_with_its_prompt():
    embedder = CountingEmbedder()
    sentences = sentence_vectors(embedder)
    first = sentences(["Erdogan demanded a withdrawal.", "The bank kept its rate."])
    again = sentences(["The bank kept its rate.", "Erdogan demanded a withdrawal."])
    assert embedder.seen == [
        "passage: Erdogan demanded a withdrawal.",
        "passage: The bank kept its rate.",
    ]
    assert np.allclose(first[::-1], again)
    expected = embedder.embed_documents(["The bank kept its rate."])[0]
    assert np.allclose(again[0], expected)
    words = word_vectors(embedder)
    words(["demand", "demand"])
    assert embedder.seen[-1] == "query: demand" and words([]).shape == (0, embedder.dimension)


def test_a_full_cache_starts_over():
    embedder = CountingEmbedder()
    cache = VectorCache(embedder, "query: ", limit=2)
    cache(["a", "b"])
    cache(["c"])  # over the limit: emptied, then c
    cache(["a"])
    assert embedder.seen == ["query: a", "query: b", "query: c", "query: a"]


class EmptiedMidway(HashEmbedder):
    """Another answer's thread empties the cache while this one embeds (a full cache
    starting over under concurrent questions)."""

    def __init__(self) -> None:
        self.cache: dict[object, object] | None = None

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        vectors = super().embed_batch(texts)
        assert self.cache is not None
        self.cache.clear()
        return vectors

    def word_states(self, texts: Sequence[str], prompt: str) -> list[WordStates]:
        states = super().word_states(texts, prompt)
        assert self.cache is not None
        self.cache.clear()
        return states


def test_a_cache_emptied_by_another_thread_still_answers():
    embedder = EmptiedMidway()
    cache = VectorCache(embedder, "query: ")
    embedder.cache = cache._cache  # type: ignore[assignment]
    cache(["a"])  # held; embedding "b" empties the cache before "a" is read back
    assert cache(["a", "b", "a"]).shape == (3, embedder.dimension)
    states = StatesCache(embedder)
    embedder.cache = states._cache  # type: ignore[assignment]
    states(["Erdogan demanded"], "query: ")
    assert len(states(["Erdogan demanded", "the bank"], "query: ")) == 2


def test_threads_sharing_a_small_cache_all_get_their_vectors():
    embedder = HashEmbedder()
    cache = VectorCache(embedder, "query: ", limit=3)
    words = [f"w{i}" for i in range(12)]

    def ask(i: int) -> np.ndarray:
        return cache(words[i % 9 : i % 9 + 3])

    with ThreadPoolExecutor(8) as pool:
        shapes = {v.shape for v in pool.map(ask, range(400))}
    assert shapes == {(3, embedder.dimension)}
