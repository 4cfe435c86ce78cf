"""Word alignment measured on hand-aligned sentence pairs (`eval/alignment/pairs.jsonl`).

Each content word of a pair's `a` side either has gold links into `b` or none (the other
text does not state it). A predicted link (`rag.answer.alignment.links`) is right when it
is one of the word's gold links; precision is over predicted links of content words,
recall over content words that have gold links."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from rag.answer.alignment import ALIGN_MIN, content_positions, links
from rag.embedder import WordStates

PAIRS = Path(__file__).with_name("alignment") / "pairs.jsonl"
T = TypeVar("T")


class Pair(NamedTuple):
    kind: str  # ar-en, en-ar, paraphrase-en, paraphrase-ar
    a: str
    b: str
    links: tuple[tuple[str, str], ...]


class Scores(NamedTuple):
    precision: float
    recall: float
    f1: float
    links: int  # gold links counted (content words of a with a counterpart)


def read_rows(path: Path, make: Callable[[dict[str, Any]], T], what: str) -> list[T]:
    """One `make(row)` per JSON line of `path`; a bad line is a ValueError naming the file,
    the line and the README that describes the format."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(make(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f"{path}:{n}: not {what} ({exc}); see eval/alignment/README.md"
            ) from None
    return out


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    return read_rows(
        path,
        lambda row: Pair(row["kind"], row["a"], row["b"], tuple((a, b) for a, b in row["links"])),
        "a pair",
    )


def group(kind: str) -> str:
    """Translations count as "cross", paraphrases as "paraphrase"."""
    return "paraphrase" if kind.startswith("paraphrase") else "cross"


def score(
    pairs: Sequence[Pair],
    a_states: Sequence[WordStates],
    b_states: Sequence[WordStates],
    minimum: float = ALIGN_MIN,
) -> dict[str, Scores]:
    """Precision, recall and F1 per group ("cross", "paraphrase") and "all"."""
    counts: dict[str, list[int]] = {}
    for pair, sa, sb in zip(pairs, a_states, b_states, strict=True):
        gold: dict[str, set[str]] = {}
        for x, y in pair.links:
            gold.setdefault(x, set()).add(y)
        predicted = dict(links(sa.vectors, sb.vectors, minimum))
        for key in (group(pair.kind), "all"):
            c = counts.setdefault(key, [0, 0, 0])
            for i in content_positions(sa.words):
                word = sa.words[i]
                c[2] += word in gold
                if i in predicted:
                    c[1] += 1
                    c[0] += sb.words[predicted[i]] in gold.get(word, ())
    out = {}
    for key, (right, made, wanted) in counts.items():
        p, r = right / max(made, 1), right / max(wanted, 1)
        out[key] = Scores(p, r, 2 * p * r / (p + r) if p + r else 0.0, wanted)
    return out
