"""The grounded rewrite: the LLM answers from the checked quotes alone, in the reader's language.

Once the evidence check has found that the passages answer, the extractive answerer has
chosen the sentences that answer and checked them. The LLM is given only those sentences
(with their [n]) and the question, and asked to answer in the question's language from
them: a translation and condensation of checked evidence, not a free reading of passages.
Its prompt is a few hundred tokens, so a CPU model starts soon.

Two checks stand between its words and the reader:
- the language: the first letters it streams (and then the whole answer) must be in the
  question's language; otherwise it is asked once more with a stricter instruction
  (`prompts/language.*.md`), and then the quotes are shown with a notice;
- the claims: every sentence is checked against the quotes it cites (names, numbers,
  polarity; rag/answer/citations.py) and goes if they do not state it; with nothing left
  the quotes are shown with a notice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, NamedTuple

from rag.answer.citations import CheckedAnswer, check_citations, says_not_found
from rag.answer.extractive import not_found_answer
from rag.answer.llm import ChatModel, LLMUnavailable, Message
from rag.answer.prompts import Prompts, defuse
from rag.answer.result import AGAIN_STATUS, QUOTES_STATUS, Answer, Judgement, Status
from rag.text.analysis import script_language
from rag.text.sentences import Span

if TYPE_CHECKING:
    from rag.answer.extractive import ScoredSentence
    from rag.embedder import Embedder
    from rag.retrieve.retriever import Passage
    from rag.settings import Settings

_CITE = re.compile(r"\[(\d{1,3})\]")
# Letters an answer streams before its language is judged (and it is shown): enough to
# tell Arabic from English, a fraction of a second of a CPU model's time.
JUDGED_LETTERS = 24
LANGUAGE_NAMES = {"ar": "Arabic", "en": "English", "other": "no language"}
# An LLM's "not found" is overruled (quotes shown) only when the evidence check is this sure.
CONFIDENT = 0.9


class Writer(NamedTuple):
    """What writing an LLM answer takes: the model, the prompts and the citation check's
    parts (embedder, support threshold, the archive's word rarity)."""

    chat_model: ChatModel
    prompts: Prompts
    embedder: Embedder
    settings: Settings
    rarity: Callable[[Sequence[str]], Mapping[str, float]] | None
    timed: bool = False  # a time question: the answer states the date of each fact it cites


class WrongLanguage(Exception):
    """The LLM writes in another language than the reader's."""

    def __init__(self, language: str) -> None:
        super().__init__(language)
        self.language = language


def answer_language(text: str) -> str:
    """The language an answer is written in: "ar", "en", or "other" (no letters to tell)."""
    return script_language(text)


def quote_blocks(chosen: Sequence[ScoredSentence], dates: Mapping[int, str] | None = None) -> str:
    """The chosen quotes as blocks numbered 1.. in the order of their passages (one block per
    passage, its quotes in reading order; see `passage_numbers`): article text is data to
    the model, never instructions. With `dates` (passage n -> date: a time question), each
    block carries its article's date."""
    by_n: dict[int, list[str]] = {}
    for sent in chosen:
        by_n.setdefault(sent.n, []).append(sent.text)
    dates = dates or {}
    return "\n".join(
        f'<passage n="{i}"'
        + (f' date="{escape(dates[n][:10])}"' if dates.get(n) else "")
        + f">{defuse(' … '.join(texts))}</passage>"
        for i, (n, texts) in enumerate(by_n.items(), start=1)
    )


def passage_numbers(text: str, chosen: Sequence[ScoredSentence], passages: int) -> str:
    """The answer's [k] (the k-th quote block) as the [n] of the passage it quotes; a
    number that is no block's points past the passages (its citation then goes). The
    blocks are numbered 1.. because a small model cites "[1]", as the prompt's example
    does, whatever number the block had."""
    order = list(dict.fromkeys(s.n for s in chosen))

    def passage(match: re.Match[str]) -> str:
        k = int(match.group(1))
        if 1 <= k <= len(order):
            return f"[{order[k - 1]}]"
        return f"[{k if k > passages else passages + k}]"

    return _CITE.sub(passage, text)


def rewrite_messages(
    prompts: Prompts,
    question: str,
    language: str,
    chosen: Sequence[ScoredSentence],
    strict: bool = False,
    dates: Mapping[int, str] | None = None,
) -> list[Message]:
    """The system prompt and the question with its quotes; `strict` adds the instruction to
    write in the question's language only (the retry); `dates` (a time question) dates the
    quotes and asks for the date of each fact."""
    user = prompts.render(
        "grounded", language, quotes=quote_blocks(chosen, dates), question=question
    )
    if dates is not None:
        user += "\n\n" + prompts.get("time", language)
    if strict:
        user += "\n\n" + prompts.get("language", language)
    return [
        {"role": "system", "content": prompts.get("system", language)},
        {"role": "user", "content": user},
    ]


def in_language(deltas: Iterator[str], language: str, parts: list[str]) -> Iterator[str]:
    """The deltas, held back until their first `JUDGED_LETTERS` letters show the answer is
    in `language`; `WrongLanguage` as soon as they show another (the stream is closed, so
    the model stops writing). Every delta is also appended to `parts`."""
    held = ""
    judged = False
    try:
        for delta in deltas:
            parts.append(delta)
            if judged:
                yield delta
                continue
            held += delta
            if sum(ch.isalpha() for ch in held) >= JUDGED_LETTERS:
                _check(held, language)
                judged = True
                yield held
    finally:
        close = getattr(deltas, "close", None)
        if close is not None:
            close()
    if not judged and held:
        _check(held, language)
        yield held
    _check("".join(parts), language)


def _check(text: str, language: str) -> None:
    written = answer_language(text)
    if written not in (language, "other"):
        raise WrongLanguage(written)


def grounded_answer(
    writer: Writer,
    question: str,
    language: str,
    passages: list[Passage],
    chosen: Sequence[ScoredSentence],
    quotes: Answer,
    judgement: Judgement,
    notices: list[str],
) -> Generator[str | Status, None, Answer]:
    """Stream the LLM's answer from the `chosen` quotes, then return it checked; `quotes`
    (the extractive answer of the same sentences) when it fails, with a notice. The LLM's
    "not found" stands unless the evidence check (`judgement`) is confident."""
    model = writer.chat_model

    def fallback(note: str) -> Answer:
        notices.append(note + " Showing the quotes instead.")
        return quotes

    yield Status(QUOTES_STATUS.get(language, QUOTES_STATUS["en"]).format(model=model.model))
    dates = {s.n: passages[s.n - 1].date for s in chosen} if writer.timed else None
    wrote: list[str] = []
    raw = ""
    for strict in (False, True):
        parts: list[str] = []
        messages = rewrite_messages(writer.prompts, question, language, chosen, strict, dates)
        try:
            yield from in_language(model.stream(messages), language, parts)
        except LLMUnavailable as exc:
            return fallback(f"llm_fallback: {exc}.")
        except WrongLanguage as exc:
            wrote.append(exc.language)
            if not strict:
                yield Status(AGAIN_STATUS.get(language, AGAIN_STATUS["en"]).format(
                    model=model.model
                ))  # fmt: skip
            continue
        raw = "".join(parts).strip()
        break
    else:
        return fallback(
            f"llm_language: the LLM answered in {LANGUAGE_NAMES.get(wrote[-1], wrote[-1])}, "
            f"not {LANGUAGE_NAMES[language]}, even when asked again."
        )
    if wrote:
        notices.append(
            f"llm_language: the LLM first answered in {LANGUAGE_NAMES.get(wrote[0], wrote[0])}; "
            f"asked again, it answered in {LANGUAGE_NAMES[language]}."
        )
    given: dict[int, list[Span]] = {}
    for sent in chosen:
        given.setdefault(sent.n, []).append(Span(sent.start, sent.end, sent.text))
    checked = check_citations(
        passage_numbers(raw, chosen, len(passages)),
        passages,
        writer.embedder,
        writer.settings.support_threshold,
        question=question,
        rarity=writer.rarity,
        given=given,
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
            "llm_unsupported: no sentence of the generated answer is stated by the quotes it cites."
        ),
        "quotes",
    )


def kept_answer(
    checked: CheckedAnswer,
    raw: str,
    judgement: Judgement,
    passages: list[Passage],
    question: str,
    language: str,
    notices: list[str],
    unsupported: Callable[[], Answer],
    read: str,
) -> Answer:
    """The LLM's answer as the citation check kept it (both answer styles). With nothing
    kept: the LLM's own "not found" stands unless the evidence check (`judgement`) is
    confident, else `unsupported()` (the quotes, with a notice). `read`: what the LLM read
    ("quotes", "passages"), for the not-found reason."""
    if checked.supported == 0:
        notices.extend(checked.notices)
        if says_not_found(raw) and judgement.score < CONFIDENT:
            reason = f"the LLM found no answer in the {read}."
            result = not_found_answer(question, language, passages, reason)
        else:
            result = unsupported()
    else:
        result = Answer(
            text=checked.text,
            mode="llm",
            citations=checked.citations,
            notices=checked.notices,
            passages=passages,
            question=question,
            language=language,
        )
    result.claim_check = (checked.claims, checked.supported_claims)
    return result
