"""Sentence splitting in linear time (reliability round three, item 8): the same spans as the
quadratic version, and a bounded amount of text looked at per candidate sentence end."""

from __future__ import annotations

import random
import re
import sys
from typing import Any

import pytest

from rag.text import sentences
from rag.text.sentences import Span, split_sentences

# Abbreviations, sentence ends of both scripts, quotes, decimals, line breaks, word joins.
PIECES = [
    *("Mr.", "Prof.", "U.S.", "B.", "No.", "vs.", "Gov.", "St.", "e.g.", "xMr.", "aProf."),
    *(" ", "  ", "\t", "\u00a0", "\n", "\n\n", ".", "!", "?", "؟", "؛", "۔"),
    *('"', "»", ")", "]", "x", "A", "word", "كلمة", "3.5", "Dr. ", "[1]"),
]


def quadratic_split(text: str, min_chars: int = 2) -> list[Span]:
    """The splitter as it was: each candidate end searched for an abbreviation from 0."""
    spans: list[Span] = []
    start = 0
    for match in sentences._END.finditer(text):
        if "\n" not in match.group() and sentences._ABBREV.search(text, 0, match.start()):
            continue
        sentences._append(spans, text, start, match.start(), min_chars)
        start = match.end()
    sentences._append(spans, text, start, len(text), min_chars)
    return spans


def test_the_same_spans_as_the_quadratic_splitter_on_varied_text() -> None:
    rng = random.Random(20261203)
    for _ in range(3000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40)))
        assert split_sentences(text) == quadratic_split(text), repr(text)


def test_a_24k_character_text_splits_looking_at_a_bounded_window_per_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unit = "The U.S. envoy met Mr. Smith in Riyadh. Prof. Ali said No. 5 was next! "
    text = unit * (24_000 // len(unit) + 1)
    assert len(text) >= 24_000
    real = sentences._ABBREV
    scanned: list[int] = []

    class Counting:
        """The abbreviation pattern, counting the characters each search may look at."""

        def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Any:
            scanned.append(min(endpos, len(string)) - pos)
            return real.search(string, pos, endpos)

    monkeypatch.setattr(sentences, "_ABBREV", Counting())
    spans = split_sentences(text)
    monkeypatch.undo()

    # Three sentences per unit: the abbreviations (U.S., Mr., Prof., No.) end none of them.
    assert [s.text for s in spans[:3]] == [
        "The U.S. envoy met Mr. Smith in Riyadh.",
        "Prof. Ali said No. 5 was next!",
        "The U.S. envoy met Mr. Smith in Riyadh.",
    ]
    assert len(spans) == 2 * text.count(unit)
    assert all(text[s.start : s.end] == s.text for s in spans)
    # Linear: a few characters per candidate end, never the text before it.
    assert len(scanned) == len(re.findall(r"[.!?]\s", text))
    assert max(scanned) <= 8, max(scanned)
