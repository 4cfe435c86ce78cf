"""The embedder interface every stage uses: one small abstract base.

The base class owns the e5 prompt convention ("query: " for questions, "passage: " for
chunks) so every engine embeds the same way. The engines (torch sentence-transformers, int8
ONNX) and the choice between them from Settings live in `rag.models`
(`rag.models.load.load_embedder`; the wiring hands it out).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

# The window of BERT-style encoders, special tokens included.
MAX_WINDOW = 512


class Embedder(ABC):
    """Turns texts into L2-normalised vectors. Subclasses implement `embed_batch`."""

    model_id: str
    dimension: int
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts exactly as given (prompts already applied); float32 [n, dim]."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens of `text` alone, without special tokens."""

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Embed chunks with the passage prompt."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.embed_batch([self.passage_prompt + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one question with the query prompt; returns a 1-d vector."""
        return self.embed_batch([self.query_prompt + text])[0]
