"""Prompt files from `prompts/`: loaded and checked once, at start-up."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import ConfigError
from rag.text.sentences import split_sentences

if TYPE_CHECKING:
    from rag.answer.extractive import ScoredSentence
    from rag.retrieve.retriever import Passage

REQUIRED = {
    "system": set(),
    "answer": {"passages", "question"},
    "rewrite": {"history", "question"},
    "translate": {"question"},
    "grounded": {"quotes", "question"},
    "language": set(),
    "time": set(),  # added to the answer prompt when the question asks about a time
}
LANGUAGES = ("en", "ar")
# What the LLM reads of each passage: its best sentence with the neighbours that fit, capped
# (measured by bench/llm.py: the 1.5B model's first word within ~15 s on 2 CPU cores).
PROMPT_SENTENCES = 1
PROMPT_CHARS = 450


@dataclass(frozen=True)
class Prompts:
    """The prompt texts, by name then language."""

    texts: dict[str, dict[str, str]]

    def get(self, name: str, language: str) -> str:
        by_lang = self.texts[name]
        return by_lang.get(language, by_lang["en"])

    def render(self, name: str, language: str, **values: str) -> str:
        return self.get(name, language).format(**values)


def load_prompts(directory: Path) -> Prompts:
    """Read every prompt file; a missing file or placeholder is a ConfigError naming it."""
    texts: dict[str, dict[str, str]] = {}
    for name, needed in REQUIRED.items():
        texts[name] = {}
        for lang in LANGUAGES:
            path = directory / f"{name}.{lang}.md"
            try:
                text = path.read_text(encoding="utf-8").strip()
            except OSError:
                raise ConfigError(
                    f"prompt file {path} is missing. Restore it, or point RAG_PROMPTS_DIR at a "
                    f"directory with {name}.en.md and {name}.ar.md."
                ) from None
            try:
                found = {f for _, f, _, _ in string.Formatter().parse(text) if f}
            except ValueError as exc:
                raise ConfigError(
                    f"prompt file {path}: {exc}. Write literal braces as {{{{ and }}}}."
                ) from None
            missing = needed - found
            unknown = found - needed
            if missing:
                raise ConfigError(
                    f"prompt file {path} lacks the placeholder(s) "
                    + ", ".join("{" + m + "}" for m in sorted(missing))
                    + "; add them where the values belong."
                )
            if unknown:
                raise ConfigError(
                    f"prompt file {path} has unknown placeholder(s) "
                    + ", ".join("{" + u + "}" for u in sorted(unknown))
                    + f"; allowed: {', '.join(sorted(needed)) or 'none'}."
                )
            texts[name][lang] = text
    return Prompts(texts)


# "<passage" or "</passage" in any case, with any spaces or slashes between: a delimiter.
_DELIMITER = re.compile(r"<\s*/?\s*passage", re.IGNORECASE)


def format_passages(passages: list[Passage], bodies: list[str] | None = None) -> str:
    """Passages as delimited, numbered blocks: the model sees them as data, not instructions.
    `bodies` replaces each passage's text (its excerpt, see `excerpts`)."""
    blocks = []
    for n, p in enumerate(passages, start=1):
        meta = f'n="{n}" title="{escape(p.title)}"'
        if p.date:
            meta += f' date="{escape(p.date[:10])}"'
        text = bodies[n - 1] if bodies is not None else p.text
        blocks.append(f"<passage {meta}>\n{defuse(text)}\n</passage>")
    return "\n\n".join(blocks)


def defuse(text: str) -> str:
    """Article text with any spelling of the passage delimiters (</PASSAGE>, < passage n="2">)
    made harmless: it can neither end a block early nor open a forged one."""
    return _DELIMITER.sub(lambda m: m.group(0).replace("<", "‹"), text)


def excerpts(
    passages: list[Passage],
    best: Sequence[tuple[int, int]],
    per_passage: int = PROMPT_SENTENCES,
    max_chars: int = PROMPT_CHARS,
) -> list[str]:
    """What the LLM reads of each passage: its best sentences (`best`: (passage number,
    sentence start) from the best down), then their neighbours (the next one first) while
    the excerpt stays within `max_chars`, in reading order, gaps marked "…"; a passage with
    none scored keeps its opening. A CPU model reads ~37 tokens a second: five whole chunks
    cost it half a minute before the first word."""
    chosen: dict[int, list[int]] = {}
    for n, start in best:
        if len(chosen.setdefault(n, [])) < per_passage:
            chosen[n].append(start)
    out = []
    for n, p in enumerate(passages, start=1):
        spans = split_sentences(p.text)
        picked = [i for s in chosen.get(n, []) for i, span in enumerate(spans) if span.start == s]
        if not picked:
            out.append(_clip(p.text, max_chars))
            continue
        keep = set(picked)
        for i in picked:
            for j in (i + 1, i - 1):
                size = sum(len(spans[k].text) + 1 for k in keep | {j} if 0 <= k < len(spans))
                if 0 <= j < len(spans) and j not in keep and size <= max_chars:
                    keep.add(j)
        text, last = "", -2
        for i in sorted(keep):
            text += (" " if i == last + 1 else (" … " if text else "")) + spans[i].text
            last = i
        out.append(_clip(text.strip(), max_chars))
    return out


def _clip(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > max_chars // 2 else max_chars] + " …"


def prompt_passages(passages: list[Passage], sentences: list[ScoredSentence]) -> str:
    """The passages as the LLM reads them: each one's best sentences with their neighbours."""
    ranked = sorted(sentences, key=lambda s: s.score, reverse=True)
    return format_passages(passages, excerpts(passages, [(s.n, s.start) for s in ranked]))
