"""Sentence spans in Arabic and English text, for quoting and for checking citations."""

from __future__ import annotations

import re
from typing import NamedTuple

# A sentence ends at . ! ? ؟ ۔ (and ؛ which Arabic news uses as a full stop) followed by
# space, or at a line break. Decimal points and initials (U.S.) are not followed by space.
_END = re.compile(r"(?<=[.!?؟۔؛])[\"'»”)\]]*\s+|\n+")
_CITE = re.compile(r"\s*\[(\d{1,3})\]")
_LEAD_CITES = re.compile(r"^(?:\[\d{1,3}\]\s*)+")
# "U.S." / "Mr." before a space is not a sentence end.
_ABBREV = re.compile(
    r"(?:\b[A-Z]\.|\b(?:Mr|Mrs|Ms|Dr|St|Gen|Col|Lt|Sgt|Prof|Sen|Rep|Gov|vs|No)\.)$"
)
# Its longest match ("Prof."): it is looked for only in that many characters before a
# candidate end, so splitting stays linear in the text's length (`\b` still sees the
# character before the window).
_ABBREV_SPAN = len("Prof.")


class Span(NamedTuple):
    start: int
    end: int
    text: str


def split_sentences(text: str, min_chars: int = 2) -> list[Span]:
    """Sentences of `text` with their char offsets (whitespace trimmed)."""
    spans: list[Span] = []
    start = 0
    for match in _END.finditer(text):
        end = match.start()
        if "\n" not in match.group() and _ABBREV.search(text, max(0, end - _ABBREV_SPAN), end):
            continue
        _append(spans, text, start, match.start(), min_chars)
        start = match.end()
    _append(spans, text, start, len(text), min_chars)
    return spans


# The candidate answer sentences of a passage: its first sentences (news puts the facts
# first, and this bounds the cost) of at least MIN_CANDIDATE_CHARS characters.
MAX_CANDIDATES = 12
MIN_CANDIDATE_CHARS = 12


def candidate_spans(text: str) -> list[Span]:
    """The sentences of a passage the extractive answer may quote; their vectors are
    stored at ingest (rag/store/sentences.py) or embedded when a question needs them."""
    spans = split_sentences(text)[:MAX_CANDIDATES]
    return [span for span in spans if len(span.text) >= MIN_CANDIDATE_CHARS]


def with_neighbours(spans: list[Span], i: int) -> str:
    """Sentence i with the sentences before and after it: news often names the subject one
    sentence earlier, so a claim or an answer is judged against this window."""
    return " ".join(s.text for s in spans[max(0, i - 1) : i + 2])


def _append(spans: list[Span], text: str, start: int, end: int, min_chars: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if len(stripped) < min_chars:
        return
    lead = len(piece) - len(piece.lstrip())
    spans.append(Span(start + lead, start + lead + len(stripped), stripped))


def split_cited(answer: str) -> list[tuple[str, list[int]]]:
    """Answer sentences with the citation numbers that follow them ([1], [2][3]).

    Markers right after a full stop ("Claim. [1] Next.") close the sentence before them.
    """
    out: list[tuple[str, list[int]]] = []
    for span in split_sentences(answer):
        text = span.text
        lead = _LEAD_CITES.match(text)
        if lead and out:
            out[-1][1].extend(int(n) for n in _CITE.findall(lead.group()))
            text = text[lead.end() :]
        numbers = [int(n) for n in _CITE.findall(text)]
        bare = _CITE.sub("", text).strip()
        if bare:
            out.append((bare, numbers))
        elif numbers and out:
            # "[2]" alone after a sentence end belongs to the sentence before it.
            out[-1][1].extend(numbers)
    return out
