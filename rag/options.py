"""The retriever and answer-mode choices, typed once: settings, the CLI, the web page and
`rag eval` all read them from here (a question's options travel as
`rag.answer.options.AskOptions`)."""

from __future__ import annotations

from typing import Literal, cast, get_args

from rag.errors import ConfigError

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
