"""The question in the other language (Arabic <-> English), by the configured LLM.

BM25 cannot match an English question's words in an Arabic passage, and the evidence check
can compare words only within one script (names and numbers aside). With an LLM, the
question is also asked in the other language: its words search that language's passages,
and the evidence check reads them as a same-language question (RAGFlow's cross-language
query). A reply that is not one line in the target script is no translation: the question
is then answered as without an LLM.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import TYPE_CHECKING

from rag.answer.llm import LLMUnavailable
from rag.text.analysis import other_language, script_language

if TYPE_CHECKING:
    from rag.answer.llm import ChatModel
    from rag.answer.prompts import Prompts

CACHE = 256  # questions whose translation is kept (a chat asks the same one again)
_LABEL = re.compile(
    r"^\s*(?:arabic|english|translation|question|العربية|الترجمة|السؤال)\s*[:：]\s*", re.I
)
_QUOTES = "\"'“”«»„`"


def clean(reply: str, target: str, question: str) -> str | None:
    """The translation in `reply`, or None when it is not one in the target script."""
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    if not lines:
        return None
    text = _LABEL.sub("", lines[0]).strip().strip(_QUOTES).strip()
    if not 2 <= len(text) <= 3 * len(question) + 40 or script_language(text) != target:
        return None
    return text


class Translator:
    """Translates questions with the chat model, once per question."""

    def __init__(self, chat_model: ChatModel, prompts: Prompts) -> None:
        self.chat_model = chat_model
        self.prompts = prompts
        self._cache: OrderedDict[tuple[str, str], str | None] = OrderedDict()

    def __call__(self, question: str, language: str) -> str | None:
        key = (question, language)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        prompt = self.prompts.render("translate", language, question=question)
        try:
            reply = self.chat_model.complete([{"role": "user", "content": prompt}])
        except LLMUnavailable:
            return None  # not cached: the endpoint may be back for the next question
        text = clean(reply, other_language(language), question)
        self._cache[key] = text
        if len(self._cache) > CACHE:
            self._cache.popitem(last=False)
        return text
