"""Deterministic stand-ins that are real subclasses of the interfaces they replace."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from rag.embedder import Embedder
from rag.text.analysis import normalize_arabic


class HashEmbedder(Embedder):
    """Hashed character trigrams: texts sharing words are close, in any script; no model."""

    model_id = "test/hash-trigrams"
    dimension = 256

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            text = f" {normalize_arabic(text)} "
            for i in range(len(text) - 2):
                digest = hashlib.blake2b(text[i : i + 3].encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)

    def count_tokens(self, text: str) -> int:
        return len(text.split())
