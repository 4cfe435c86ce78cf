"""The answer step's vector caches: a word or candidate sentence is embedded once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from fakes import HashEmbedder

from rag.answer.word_vectors import VectorCache, sentence_vectors, word_vectors


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
