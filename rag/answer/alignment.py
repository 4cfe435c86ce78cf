"""Which of a question's words does an evidence window state, in any wording or language?

Both texts' words carry contextual vectors from the embedder's middle layer
(`Embedder.word_states`). A question word is aligned when it and a window word are each
other's most similar word and their cosine reaches `ALIGN_MIN` (SimAlign's "ArgMax", Jalili
Sabet et al. 2020, with a floor, because a window that does not state a word still has a
most similar one). The aligned share of the question's content words, weighted by their
rarity in the archive, is the answerability check's `align_coverage`;
`bench/alignment.py` measures the links against hand-aligned pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from rag.embedder import WordStates
from rag.text.analysis import is_stopword, prepare
from rag.text.focus import term_key

ALIGN_MIN = 0.5  # cosine at which a mutual best pair counts as aligned (bench/alignment.py)

Rarity = Callable[[Sequence[str]], Mapping[str, float]]


class Alignment(NamedTuple):
    """How much of the question a window states: rarity-weighted aligned share, mean best
    cosine of the question's content words, and the rarity of the rarest unaligned one."""

    coverage: float
    mean: float
    missing: float


NOTHING = Alignment(0.0, 0.0, 1.0)


def links(a: np.ndarray, b: np.ndarray, minimum: float = ALIGN_MIN) -> list[tuple[int, int]]:
    """Mutual best pairs (i of a, j of b) whose cosine reaches `minimum`."""
    if not len(a) or not len(b):
        return []
    sims = a @ b.T
    forward, backward = sims.argmax(axis=1), sims.argmax(axis=0)
    return [
        (i, int(j)) for i, j in enumerate(forward) if backward[j] == i and sims[i, j] >= minimum
    ]


def is_content(word: str) -> bool:
    """A prepared word worth matching: 3+ letters, not a stop word or a number."""
    return len(word) >= 3 and not word.isdigit() and not is_stopword(word)


def content_positions(words: Sequence[str]) -> list[int]:
    """Positions of the words worth aligning (`is_content`)."""
    return [i for i, raw in enumerate(words) if is_content(prepare(raw))]


def alignment(question: WordStates, window: WordStates, rarity: Rarity) -> Alignment:
    """What `window` states of `question`'s content words (see the module doc)."""
    positions = content_positions(question.words)
    if not positions or not len(window.words):
        return NOTHING if positions else Alignment(1.0, 1.0, 0.0)
    keys = [term_key(question.words[i]) for i in positions]
    weights = rarity(keys)
    aligned = {i for i, _ in links(question.vectors, window.vectors)}
    best = (question.vectors[positions] @ window.vectors.T).max(axis=1)
    weight = [weights.get(k, 1.0) for k in keys]
    stated = sum(w for i, w in zip(positions, weight, strict=True) if i in aligned)
    missing = [w for i, w in zip(positions, weight, strict=True) if i not in aligned]
    return Alignment(stated / (sum(weight) or 1.0), float(np.mean(best)), max(missing, default=0.0))
