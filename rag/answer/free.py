"""The free reading (RAG_LLM_STYLE=free): the LLM reads the best passages' excerpts and writes
its own answer, which the citation check then prunes. The grounded rewrite
(rag/answer/rewrite.py) is the default: on the dev suite it is faster and more often
supported (README, "Answering with an LLM").
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING

from rag.answer.citations import check_citations
from rag.answer.llm import LLMUnavailable
from rag.answer.prompts import prompt_passages
from rag.answer.result import STATUS, Answer, Judgement, Status
from rag.answer.rewrite import kept_answer

if TYPE_CHECKING:
    from rag.answer.extractive import ScoredSentence
    from rag.answer.rewrite import Writer
    from rag.retrieve.retriever import Passage


def free_answer(
    writer: Writer,
    question: str,
    language: str,
    passages: list[Passage],
    sentences: Sequence[ScoredSentence],
    judgement: Judgement,
    quotes: Callable[[], Answer],
    notices: list[str],
) -> Generator[str | Status, None, Answer]:
    """Stream the LLM's answer from the best passages, then return it checked; the quotes
    (`quotes()`, the extractive answer) when it fails, with a notice."""
    model = writer.chat_model
    # The LLM reads (and may cite) the best-ranked passages only; all stay as related.
    read = passages[: writer.settings.llm_passages]
    best = [s for s in sentences if s.n <= len(read)]
    messages = [
        {"role": "system", "content": writer.prompts.get("system", language)},
        {
            "role": "user",
            "content": writer.prompts.render(
                "answer", language, passages=prompt_passages(read, best), question=question
            )
            # A time question: the answer says the date of each fact it cites.
            + ("\n\n" + writer.prompts.get("time", language) if writer.timed else ""),
        },
    ]
    parts: list[str] = []

    def fallback(note: str) -> Answer:
        notices.append(note)
        return quotes()

    template = STATUS.get(language, STATUS["en"])
    yield Status(template.format(n=len(read), model=model.model))
    try:
        for delta in model.stream(messages):
            parts.append(delta)
            yield delta
    except LLMUnavailable as exc:
        return fallback(f"llm_fallback: {exc}; showing quoted passages instead.")
    raw = "".join(parts).strip()
    checked = check_citations(
        raw,
        read,
        writer.embedder,
        writer.settings.support_threshold,
        question=question,
        rarity=writer.rarity,
    )
    return kept_answer(
        checked,
        raw,
        judgement,
        passages,
        question,
        language,
        notices,
        lambda: fallback(
            "llm_unsupported: no sentence of the generated answer is stated by the "
            "passage it cites; showing quoted passages instead."
        ),
        "passages",
    )
