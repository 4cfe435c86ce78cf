"""The retriever and answer-mode choices, typed once: settings, the CLI, the web page and
`rag eval` all read them from here (a question's options travel as
`rag.answer.options.AskOptions`)."""

from __future__ import annotations

import math
from typing import Literal, cast, get_args

from rag.errors import ConfigError, InputError

RetrieverMode = Literal["hybrid", "dense", "bm25"]
AskMode = Literal["auto", "extractive", "llm"]
RETRIEVER_MODES: tuple[str, ...] = get_args(RetrieverMode)
ASK_MODES: tuple[str, ...] = get_args(AskMode)


def retriever_mode(value: str | None, flag: str = "--retriever") -> RetrieverMode | None:
    """`value` as a retriever choice (None: the configured one); a clear error otherwise."""
    if value is not None and value not in RETRIEVER_MODES:
        raise ConfigError(f"{flag} {value}: use {', '.join(RETRIEVER_MODES)}")
    return cast("RetrieverMode | None", value)


def ask_mode(value: str | None, flag: str = "--mode") -> AskMode | None:
    """`value` as an answer-mode choice (None: the configured one); a clear error otherwise."""
    if value is not None and value not in ASK_MODES:
        raise ConfigError(f"{flag} {value}: use {', '.join(ASK_MODES)}")
    return cast("AskMode | None", value)


MAX_K = 50  # passages one question may ask for (RAG_TOP_K's own limit)


def bounded_int(value: object, field: str, low: int, high: int) -> int:
    """A request-shaped number (k, a page) as a whole number in low..high; an InputError
    naming the field otherwise (1e6, inf, nan, text): a crafted request must not make one
    question cost the whole store."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(field, f"must be a whole number from {low} to {high}") from None
    if not math.isfinite(number) or number != int(number) or not low <= number <= high:
        raise InputError(field, f"must be a whole number from {low} to {high}, not {value!r}")
    return int(number)
