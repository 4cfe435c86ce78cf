"""The public API: `Assistant.ask(question, history=...) -> Answer`, and its streaming twin.

question -> (follow-up rewrite) -> retrieval -> evidence check -> the extractive answer's
quotes -> (with an LLM) their grounded rewrite in the reader's language, checked; the LLM
path falls back to the quotes on any failure, with a notice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from rag.answer.answerability import ALIGN_FEATURES, SOFT_FEATURES, AnswerabilityModel, Lexicon
from rag.answer.evidence import Evidence
from rag.answer.extractive import (
    ScoredSentence,
    choose_quotes,
    extractive_answer,
    not_found_answer,
    quotes_answer,
    score_sentences,
    score_sentences_for,
)
from rag.answer.free import free_answer
from rag.answer.llm import ChatModel, LLMUnavailable
from rag.answer.options import AskOptions
from rag.answer.prompts import Prompts, load_prompts
from rag.answer.result import Answer, Judgement, Status, clearest
from rag.answer.rewrite import Writer, grounded_answer
from rag.answer.time_scope import ArchiveSpan
from rag.answer.timed import timed_evidence
from rag.answer.translate import Translator
from rag.answer.word_vectors import StatesCache, StoredSentences, sentence_vectors, word_vectors
from rag.embedder import Embedder
from rag.errors import InputError
from rag.options import MAX_K, AskMode, RetrieverMode, bounded_int
from rag.retrieve.followup import (
    format_history,
    is_followup,
    is_short,
    rewrite_by_rule,
    with_history,
)
from rag.retrieve.retriever import Passage, Retriever
from rag.settings import Settings
from rag.store.bm25_index import Bm25Index
from rag.store.chunks import ChunkStore
from rag.store.filters import Filters
from rag.text.analysis import other_language, question_language

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 2000
# How far over its threshold the history-augmented evidence must score for a short
# question (no lead word, no pronoun) to be read as a follow-up.
STRONG_MARGIN = 0.15


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
        answerability: AnswerabilityModel | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.retriever = Retriever(settings, embedder, store, bm25)
        self.chat_model = chat_model
        self.prompts = prompts or load_prompts(settings.prompts_dir)
        self.answerability = answerability or AnswerabilityModel.load(settings.answerability_model)
        self.sentence_vectors = StoredSentences(sentence_vectors(embedder), store.sentence_vectors)
        self.lexicon = Lexicon(
            self.retriever.bm25.rarity,
            # Single-word vectors (soft matching) cost a forward pass per word: only when read.
            word_vectors(embedder) if self.answerability.reads(*SOFT_FEATURES) else None,
            # Contextual word states cost a forward pass per window: only when read.
            StatesCache(embedder) if self.answerability.reads(*ALIGN_FEATURES) else None,
            embedder.query_prompt,
            embedder.passage_prompt,
        )
        self.translator = Translator(chat_model, self.prompts) if chat_model else None
        self.archive_span = ArchiveSpan()  # the archive's dates, for the question's time

    # --- public API --------------------------------------------------------------------
    def ask(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        *,
        k: int | None = None,
        retriever: RetrieverMode | None = None,
        mode: AskMode | None = None,
        filters: Filters | None = None,
        options: AskOptions | None = None,
    ) -> Answer:
        """Answer `question` (given the chat `history`) from the stored articles. The
        options come one by one or together as `options` (which then wins)."""
        options = options or AskOptions(k, retriever, mode, filters)
        final: Answer | None = None
        for item in self.ask_stream(question, history, options=options):
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
        retriever: RetrieverMode | None = None,
        mode: AskMode | None = None,
        filters: Filters | None = None,
        options: AskOptions | None = None,
    ) -> Iterator[str | Status | Answer]:
        """Text deltas as they are generated, then the final checked `Answer` (last item).
        Before an LLM's first word, a `Status` says what it is reading."""
        options = options or AskOptions(k, retriever, mode, filters)
        question = (question or "").strip()
        if not question:
            raise InputError("question", "is empty; type a question about the articles")
        if len(question) > MAX_QUESTION_CHARS:
            raise InputError("question", f"is longer than {MAX_QUESTION_CHARS} characters")
        language = question_language(question)
        mode = options.mode or self.settings.answer_mode
        use_llm = mode != "extractive" and self.chat_model is not None
        notices: list[str] = []
        if mode == "llm" and self.chat_model is None:
            notices.append("llm_unconfigured: no LLM is configured (RAG_LLM_BASE_URL); quoting.")

        scope, evidence = timed_evidence(
            self, question, language, options,
            lambda asked, opts: self._retrieve(asked, history, language, use_llm, opts),
        )  # fmt: skip
        notices.extend(scope.notices)
        passages, judgement, sentences = evidence.passages, evidence.judgement, evidence.sentences
        notices.extend(evidence.notes)

        if not judgement.answerable:
            reason = scope.uncovered or judgement.not_found_reason
            answer = not_found_answer(question, language, passages, reason, scope.uncovered)
            yield answer.text
        elif use_llm:
            answer = yield from self._llm_answer(
                question, language, passages, sentences, judgement, notices, scope.asked is not None
            )
        else:
            answer = self._quotes(question, language, passages, sentences, judgement)
            if answer.text:
                yield answer.text
        answer.notices = notices + answer.notices
        answer.query = evidence.query
        answer.translation = evidence.translation or ""
        answer.answerability = judgement
        answer.time_range = scope.as_dict()
        yield answer

    def evidence(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        *,
        k: int | None = None,
        retriever: RetrieverMode | None = None,
        filters: Filters | None = None,
        use_llm: bool = False,
    ) -> Evidence:
        """The passages and the evidence check an answer would start from, without writing
        the answer; `use_llm` as in LLM mode (the LLM's follow-up rewrite and translation)."""
        question = question.strip()
        use_llm = use_llm and self.chat_model is not None
        options = AskOptions(k, retriever, None, filters)
        return self._retrieve(question, history, question_language(question), use_llm, options)

    def judge(
        self,
        question: str,
        language: str,
        passages: list[Passage],
        qvec: np.ndarray,
        translation: str | None = None,
    ) -> tuple[Judgement, list[ScoredSentence]]:
        """Does the evidence answer `question`? With the scored candidate sentences.

        With a `translation` (the question in the other language), the evidence in that
        language is also read by the translation, as a same-language question: whichever
        reading clears its threshold by more speaks (a poor translation cannot make a
        question answered without it go unanswered)."""
        judge, words = self.answerability.judge, self.lexicon
        embed = self.sentence_vectors.of([p.chunk_id for p in passages])
        if not translation:
            sentences = score_sentences(question, qvec, passages, embed)
            return judge(question, language, passages, sentences, words), sentences
        other = other_language(language)
        tvec = self.embedder.embed_query(translation)
        own, theirs = score_sentences_for([(question, qvec), (translation, tvec)], passages, embed)
        # The passages' cosines with the translation, for its side of the check.
        hits = self.store.get_chunks([p.chunk_id for p in passages])
        cosines = {h.chunk_id: float(np.dot(h.vector, tvec)) for h in hits if h.vector is not None}
        rescored = [
            replace(p, dense_score=cosines.get(p.chunk_id, p.dense_score)) for p in passages
        ]
        direct = judge(question, language, passages, own, words)
        across = judge(translation, other, rescored, theirs, words, sides=("same",))
        # Each passage's sentences ranked by the question in its own language.
        sentences = [
            t if passages[s.n - 1].language == other else s
            for s, t in zip(own, theirs, strict=True)
        ]
        return clearest(direct, replace(across, pair=f"{language}-{other}")), sentences

    def sentence_answers(
        self, question: str, language: str, passages: list[Passage], judgement: Judgement
    ) -> Callable[[ScoredSentence], bool]:
        """Does one sentence, with its neighbours, answer the question by itself? The
        evidence check on that sentence's window alone; a sentence of the article whose
        window made the evidence answer (the judgement's) passes."""
        where = judgement.evidence[0] if judgement.evidence else 0
        accepted = passages[where - 1].doc_id if 1 <= where <= len(passages) else None

        def answers(sent: ScoredSentence) -> bool:
            if passages[sent.n - 1].doc_id == accepted:
                return True
            alone = [passages[sent.n - 1]]
            judged = self.answerability.judge(
                question, language, alone, [replace(sent, n=1)], self.lexicon
            )
            return judged.answerable

        return answers

    def _quotes(
        self,
        question: str,
        language: str,
        passages: list[Passage],
        sentences: list[ScoredSentence],
        judgement: Judgement,
    ) -> Answer:
        """The extractive answer: each quote beyond the best must answer on its own."""
        answers = self.sentence_answers(question, language, passages, judgement)
        return extractive_answer(question, passages, sentences, self.settings, language, answers)

    # --- internals ---------------------------------------------------------------------
    def _retrieve(
        self,
        question: str,
        history: Sequence[Any] | None,
        language: str,
        use_llm: bool,
        options: AskOptions,
    ) -> Evidence:
        """The standalone query, its passages, the evidence judgement and the question in the
        other language (with an LLM).

        A question is rewritten with the history only when it depends on it: its wording
        says so (a lead word, a pronoun), or it is too short to tell and only the history
        makes its evidence answer it. A self-contained question retrieves what it would
        retrieve alone.
        """
        if options.k is not None:  # a request's number, bounded at the edge of the API
            options = replace(options, k=bounded_int(options.k, "k", 1, MAX_K))
        self.retriever.refresh()
        notes: list[str] = []

        def attempt(query: str, focus: str, notes: list[str]) -> Evidence:
            qvec = self.embedder.embed_query(query)
            translation = self._translate(query, language, use_llm) if focus == query else None
            passages = self.retriever.retrieve(
                query,
                k=options.k,
                mode=options.retriever,
                filters=options.filters,
                query_vector=qvec,
                language=language,
                translation=translation,
            )
            judgement, sentences = self.judge(focus, language, passages, qvec, translation)
            return Evidence(query, passages, notes, judgement, sentences, translation)

        if history and is_followup(question):
            query, notes = self._rewrite(question, history, language, use_llm)
            # An LLM rewrite is a whole question: its terms are the focus.
            focus = query if use_llm and not notes and query != question else question
            return attempt(query, focus, notes)
        result = attempt(question, question, [])
        if history and is_short(question) and not result.judgement.answerable:
            augmented = attempt(with_history(question, history), question, [])
            judged = augmented.judgement
            # Only evidence that is clearly strong with the history: a borderline
            # score would let "capital of France?" borrow the last question's passages.
            if judged.answerable and judged.margin >= STRONG_MARGIN:
                return augmented
        return result

    def _translate(self, question: str, language: str, use_llm: bool) -> str | None:
        """The question in the other language, when an LLM is used and the archive holds
        passages in that language."""
        if not (use_llm and self.translator and self.settings.llm_translate):
            return None
        if not self.retriever.bm25.has_language(other_language(language)):
            return None
        return self.translator(question, language)

    def _rewrite(
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

    def _llm_answer(
        self,
        question: str,
        language: str,
        passages: list[Passage],
        sentences: list[ScoredSentence],
        judgement: Judgement,
        notices: list[str],
        timed: bool = False,
    ) -> Generator[str | Status, None, Answer]:
        """The LLM's answer by RAG_LLM_STYLE: the grounded rewrite of the chosen quotes, or
        the free reading of the best passages."""
        assert self.chat_model is not None
        writer = Writer(
            self.chat_model,
            self.prompts,
            self.embedder,
            self.settings,
            self.retriever.bm25.rarity,
            timed,
        )
        if self.settings.llm_style == "free":
            return (
                yield from free_answer(
                    writer,
                    question,
                    language,
                    passages,
                    sentences,
                    judgement,
                    lambda: self._quotes(question, language, passages, sentences, judgement),
                    notices,
                )
            )
        answers = self.sentence_answers(question, language, passages, judgement)
        chosen, why = choose_quotes(question, passages, sentences, self.settings, answers)
        quotes = quotes_answer(question, passages, chosen, language, why)
        if not chosen:
            return quotes
        return (
            yield from grounded_answer(
                writer, question, language, passages, chosen, quotes, judgement, notices
            )
        )


__all__ = ["Answer", "Assistant", "Filters", "not_found_answer"]
