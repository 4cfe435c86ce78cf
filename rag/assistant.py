"""The public API: `Assistant.ask(question, history=...) -> Answer`, and its streaming twin.

question -> (follow-up rewrite) -> retrieval -> LLM answer + citation check, or the
extractive answer; the LLM path falls back to extractive on any failure, with a notice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import numpy as np

from rag.analysis import script_language
from rag.answer import Answer
from rag.bm25_index import Bm25Index
from rag.citations import check_citations
from rag.embedder import Embedder, load_embedder
from rag.errors import InputError
from rag.extractive import extractive_answer, is_not_found, not_found_answer
from rag.followup import format_history, rewrite_by_rule
from rag.llm import ChatModel, LLMUnavailable, load_chat_model
from rag.prompts import Prompts, format_passages, load_prompts
from rag.retrieval import Filters, Mode, Passage, Retriever
from rag.settings import Settings
from rag.store import ChunkStore, StoreProfile

log = logging.getLogger(__name__)
AskMode = Literal["auto", "extractive", "llm"]
MAX_QUESTION_CHARS = 2000


class Assistant:
    """Answers questions about the stored articles, citing the passages it used."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: ChunkStore,
        bm25: Bm25Index,
        chat_model: ChatModel | None = None,
        prompts: Prompts | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.retriever = Retriever(settings, embedder, store, bm25)
        self.chat_model = chat_model
        self.prompts = prompts or load_prompts(settings.prompts_dir)

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Assistant:
        """Build every part from settings: the one place adapters are chosen."""
        prompts = load_prompts(settings.prompts_dir)  # fail fast on a broken prompt file
        embedder = embedder or load_embedder(settings)
        profile = StoreProfile.of(settings, embedder.dimension)
        store = ChunkStore(settings, profile)
        bm25 = Bm25Index.open(settings, store)
        return cls(settings, embedder, store, bm25, load_chat_model(settings), prompts)

    # --- public API --------------------------------------------------------------------
    def ask(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        *,
        k: int | None = None,
        retriever: Mode | None = None,
        mode: AskMode | None = None,
        filters: Filters | None = None,
    ) -> Answer:
        """Answer `question` (given the chat `history`) from the stored articles."""
        final: Answer | None = None
        for item in self.ask_stream(
            question, history, k=k, retriever=retriever, mode=mode, filters=filters
        ):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def ask_stream(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        *,
        k: int | None = None,
        retriever: Mode | None = None,
        mode: AskMode | None = None,
        filters: Filters | None = None,
    ) -> Iterator[str | Answer]:
        """Text deltas as they are generated, then the final checked `Answer` (last item)."""
        question = (question or "").strip()
        if not question:
            raise InputError("question", "is empty; type a question about the articles")
        if len(question) > MAX_QUESTION_CHARS:
            raise InputError("question", f"is longer than {MAX_QUESTION_CHARS} characters")
        language = script_language(question)
        language = language if language in ("ar", "en") else "en"
        mode = mode or self.settings.answer_mode
        use_llm = mode != "extractive" and self.chat_model is not None
        notices: list[str] = []
        if mode == "llm" and self.chat_model is None:
            notices.append("llm_unconfigured: no LLM is configured (RAG_LLM_BASE_URL); quoting.")

        query = question
        if history:
            query, note = self._standalone(question, history, language, use_llm)
            notices.extend(note)
        self.retriever.refresh()
        qvec = self.embedder.embed_query(query)
        passages = self.retriever.retrieve(
            query, k=k, mode=retriever, filters=filters, query_vector=qvec
        )

        if use_llm and passages and not is_not_found(passages, self.settings):
            answer = yield from self._llm_answer(question, language, passages, qvec, notices)
        else:
            answer = self._extractive(question, qvec, passages, language)
            if answer.text:
                yield answer.text
        answer.notices = notices + answer.notices
        answer.query = query
        yield answer

    # --- internals ---------------------------------------------------------------------
    def _standalone(
        self, question: str, history: Sequence[Any], language: str, use_llm: bool
    ) -> tuple[str, list[str]]:
        if use_llm and self.chat_model is not None:
            prompt = self.prompts.render(
                "rewrite", language, history=format_history(history), question=question
            )
            try:
                rewritten = self.chat_model.complete([{"role": "user", "content": prompt}])
                rewritten = rewritten.strip().splitlines()[0].strip() if rewritten.strip() else ""
                if 3 <= len(rewritten) <= 4 * len(question) + 200:
                    return rewritten, []
            except LLMUnavailable as exc:
                return rewrite_by_rule(question, history), [f"llm_fallback: {exc}"]
        return rewrite_by_rule(question, history), []

    def _extractive(
        self, question: str, qvec: np.ndarray, passages: list[Passage], language: str
    ) -> Answer:
        return extractive_answer(question, qvec, passages, self.embedder, self.settings, language)

    def _llm_answer(
        self,
        question: str,
        language: str,
        passages: list[Passage],
        qvec: np.ndarray,
        notices: list[str],
    ) -> Iterator[str]:
        assert self.chat_model is not None
        messages = [
            {"role": "system", "content": self.prompts.get("system", language)},
            {
                "role": "user",
                "content": self.prompts.render(
                    "answer", language, passages=format_passages(passages), question=question
                ),
            },
        ]
        parts: list[str] = []
        try:
            for delta in self.chat_model.stream(messages):
                parts.append(delta)
                yield delta
        except LLMUnavailable as exc:
            notices.append(f"llm_fallback: {exc}; showing quoted passages instead.")
            return self._extractive(question, qvec, passages, language)
        raw = "".join(parts).strip()
        checked = check_citations(raw, passages, self.embedder, self.settings.support_threshold)
        if checked.supported == 0:
            notices.extend(checked.notices)
            notices.append(
                "llm_unsupported: the generated answer had no supported citation; "
                "showing quoted passages instead."
            )
            return self._extractive(question, qvec, passages, language)
        return Answer(
            text=checked.text,
            mode="llm",
            citations=checked.citations,
            notices=checked.notices,
            passages=passages,
            question=question,
            language=language,
        )


__all__ = ["Answer", "Assistant", "Filters", "not_found_answer"]
