"""The embedder interface every stage uses: one small abstract base.

The base class owns the e5 prompt convention ("query: " for questions, "passage: " for
chunks) so every engine embeds the same way. The engines (torch sentence-transformers, int8
ONNX) and the choice between them from Settings live in `rag.models`
(`rag.models.load.load_embedder`; the wiring hands it out).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

# The window of BERT-style encoders, special tokens included.
MAX_WINDOW = 512
WORD = re.compile(r"\w+", re.UNICODE)  # what a "word" is for word states
RECENT_QUERIES = 64  # question vectors each embedder remembers


class WordStates(NamedTuple):
    """A text's words (`WORD` matches, in order) and one L2-normalised vector per word."""

    words: tuple[str, ...]
    vectors: np.ndarray  # float32 [len(words), dim]


class Embedder(ABC):
    """Turns texts into L2-normalised vectors. Subclasses implement `embed_batch`."""

    model_id: str
    dimension: int
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    _recent_queries: dict[str, np.ndarray]

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
        """Embed one question with the query prompt; returns a 1-d vector. The last few
        questions are remembered: an evaluation's ranking and a retry ask the same one again."""
        recent: dict[str, np.ndarray] | None = getattr(self, "_recent_queries", None)
        if recent is None:
            recent = {}
            self._recent_queries = recent
        vector = recent.get(text)
        if vector is None:
            vector = self.embed_batch([self.query_prompt + text])[0]
            if len(recent) >= RECENT_QUERIES:
                recent.clear()
            recent[text] = vector
        return vector.copy()

    def word_states(self, texts: Sequence[str], prompt: str = "") -> list[WordStates]:
        """Each text's words with a vector per word, for aligning the words of two texts.

        This base embeds every word alone (`prompt` + word), so a word's vector ignores its
        sentence; engines that can read their encoder's token states override it with
        contextual vectors (`SentenceTransformerEmbedder`)."""
        words = [tuple(WORD.findall(t)) for t in texts]
        distinct = list(dict.fromkeys(w for ws in words for w in ws))
        vectors = self.embed_batch([prompt + w for w in distinct]) if distinct else None
        row = {w: i for i, w in enumerate(distinct)}
        out = []
        for ws in words:
            if not ws or vectors is None:
                out.append(WordStates(ws, np.zeros((0, self.dimension), dtype=np.float32)))
            else:
                out.append(WordStates(ws, vectors[[row[w] for w in ws]]))
        return out
