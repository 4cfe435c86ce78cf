"""Prompt files from `prompts/`: loaded and checked once, at start-up."""

from __future__ import annotations

import string
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import ConfigError

if TYPE_CHECKING:
    from rag.retrieval import Passage

REQUIRED = {"system": set(), "answer": {"passages", "question"}, "rewrite": {"history", "question"}}
LANGUAGES = ("en", "ar")


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


def format_passages(passages: list[Passage]) -> str:
    """Passages as delimited, numbered blocks: the model sees them as data, not instructions."""
    blocks = []
    for n, p in enumerate(passages, start=1):
        meta = f'n="{n}" title="{escape(p.title)}"'
        if p.date:
            meta += f' date="{escape(p.date[:10])}"'
        # Closing tags inside an article must not end the block early.
        body = p.text.replace("</passage>", "</ passage>")
        blocks.append(f"<passage {meta}>\n{body}\n</passage>")
    return "\n\n".join(blocks)
