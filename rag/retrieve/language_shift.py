"""Where the other language's passages are: the gap between an Arabic sentence's vector and
its English translation's, averaged over the parallel sentences shipped beside this module.

multilingual-e5 places a question far nearer the passages of its own language than an
equally relevant passage of the other, so in an archive where one language dominates, an
Arabic question's English answer is rarely among the 40 nearest chunks (`bench/hubs.py`:
19% of the dev suite's ar-en questions in a 10k-chunk mixed news archive), and the other
language's passages that are near every question (long, general articles) crowd the top.
Moving the question's vector by the language gap lands it among the other language's
passages on its subject, as near as its own language's (a vector's language identity is
largely a shift shared by all its language's vectors: Libovický et al. 2020, "On the
Language Neutrality of Pre-trained Multilingual Representations"). The gap is taken over
translated sentence pairs, so the archive's topics do not bend it.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.text.analysis import other_language

if TYPE_CHECKING:
    from rag.embedder import Embedder

PARALLEL = Path(__file__).with_name("parallel.jsonl")  # {"en": ..., "ar": ...} per line
LANGUAGES = ("ar", "en")


class LanguageShift:
    """The English-minus-Arabic passage gap of one embedder, computed once (about 140 short
    sentences) and kept in `cache_dir` under a key naming the embedder and the sentences."""

    def __init__(self, embedder: Embedder, cache_dir: Path) -> None:
        self.embedder = embedder
        self.cache_dir = cache_dir
        self._gap: np.ndarray | None = None
        self._lock = threading.Lock()

    def gap(self) -> np.ndarray:
        """English minus Arabic: mean over the parallel pairs of their passage vectors'
        difference."""
        with self._lock:
            if self._gap is None:
                path = self._cached_path()
                self._gap = self._cached(path) if path.is_file() else self._compute(path)
            return self._gap

    def moved(self, qvec: np.ndarray, qlang: str, alpha: float) -> np.ndarray | None:
        """The question vector moved `alpha` gaps towards the other language's passages
        (unit length); None when shifting is off or the language is neither."""
        if alpha <= 0 or qlang not in LANGUAGES:
            return None
        towards = other_language(qlang)
        step = self.gap() if towards == "en" else -self.gap()
        moved = qvec + alpha * step
        return moved / (np.linalg.norm(moved) or 1.0)

    def _cached_path(self) -> Path:
        text = PARALLEL.read_bytes()
        key = hashlib.sha256(
            b"\0".join(
                [
                    self.embedder.model_id.encode(),
                    type(self.embedder).__name__.encode(),
                    str(self.embedder.dimension).encode(),
                    text,
                ]
            )
        ).hexdigest()[:20]
        return self.cache_dir / "language-gap" / f"{key}.npy"

    def _cached(self, path: Path) -> np.ndarray:
        try:
            return np.load(path)
        except (OSError, ValueError):  # a torn or foreign file: compute it again
            return self._compute(path)

    def _compute(self, path: Path) -> np.ndarray:
        pairs = [json.loads(line) for line in PARALLEL.read_text("utf-8").splitlines() if line]
        english = self.embedder.embed_documents([p["en"] for p in pairs])
        arabic = self.embedder.embed_documents([p["ar"] for p in pairs])
        gap = (english - arabic).mean(axis=0).astype(np.float32)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npy")
            np.save(tmp, gap)
            tmp.replace(path)
        except OSError:
            pass  # a read-only cache: computed again next time
        return gap
