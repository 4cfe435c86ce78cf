"""What one question asks for beyond its text: k, retriever, answer mode and filters,
travelling together from the caller (CLI, web page, eval) through the assistant."""

from __future__ import annotations

from dataclasses import dataclass

from rag.options import AskMode, RetrieverMode
from rag.store.filters import Filters


@dataclass(frozen=True)
class AskOptions:
    """What one question asks for beyond its text; None means the configured default."""

    k: int | None = None
    retriever: RetrieverMode | None = None
    mode: AskMode | None = None
    filters: Filters | None = None
