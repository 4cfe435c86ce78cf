"""The one place that builds the parts from one Settings object.

    settings ─▶ embedder ─▶ store (Chroma, checked against the embedder) ─▶ BM25 index
                    └──────────────┴─▶ assistant (retriever, answerability, chat model)
                                   └─▶ archive (list, delete)

The CLI, the web app, the eval runner, the benchmarks and the tests get their parts here,
and every ingest is built from them, one way: `ingest.pipeline.Ingestor.from_parts(parts,
namespace=..., rebuild=...)` (the library never imports `ingest`, so it is not a method
here). Each part is built on first use, once: `rag list` never loads the embedder when the
store records its dimension.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.answer.answerability import AnswerabilityModel
    from rag.answer.assistant import Assistant
    from rag.answer.llm import ChatModel
    from rag.embedder import Embedder
    from rag.retrieve.retriever import Retriever
    from rag.settings import Settings
    from rag.store.archive import Archive
    from rag.store.bm25_index import Bm25Index
    from rag.store.chunks import ChunkStore


def load_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for (engine, model, device), from the model tooling."""
    from rag.models.load import load_embedder as load

    return load(settings)


def load_token_counter(settings: Settings) -> Any:
    """The embedder's token counter without its weights (chunking on other nodes)."""
    from rag.models.load import load_token_counter as load

    return load(settings)


def open_store(
    settings: Settings,
    embedder: Embedder | None = None,
    load: Callable[[], Embedder] | None = None,
) -> ChunkStore:
    """The configured store. Without an embedder the dimension recorded on the collection
    stands in, so reading or managing the archive loads no model; when there is none
    (a new store), the embedder is loaded, by `load` when given."""
    from rag.store.chroma import open_client, recorded_dimension
    from rag.store.chunks import ChunkStore, StoreProfile

    client = open_client(settings)
    dimension = embedder.dimension if embedder else recorded_dimension(settings, client)
    if dimension is None:
        if load is None:
            load = lambda: load_embedder(settings)  # noqa: E731
        dimension = load().dimension
    return ChunkStore(settings, StoreProfile.of(settings, dimension), client)


def open_bm25(settings: Settings, store: ChunkStore) -> Bm25Index:
    """The saved BM25 index of the store (rebuilt from Chroma when missing or stale). A
    writer gets its own copy: a retriever answering meanwhile swaps in the saved index when
    it sees it is newer, never a half-updated one."""
    from rag.store.bm25_index import Bm25Index

    return Bm25Index.open(settings, store)


def index_listeners(settings: Settings, store: ChunkStore, rebuild: bool = False) -> list[Any]:
    """Indexes an ingest keeps in step with `store`: its own copy of the BM25 index.
    `Parts.listeners` for the wired store; tests over a bare store use it. `rebuild` is
    ignored (kept for callers): nothing may be emptied before the write lock is held, so an
    `Ingestor` built with `rebuild=True` empties the store and its indexes in `run`."""
    del rebuild
    return [open_bm25(settings, store)]


class Parts:
    """Every part, built from `settings` on first use (an embedder may be given)."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        answerability: AnswerabilityModel | None = None,
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._answerability = answerability

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.settings)
        return self._embedder

    @cached_property
    def store(self) -> ChunkStore:
        # a new store needs the embedder's dimension: load it once, as the parts' own
        return open_store(self.settings, self._embedder, load=lambda: self.embedder)

    @cached_property
    def bm25(self) -> Bm25Index:
        return open_bm25(self.settings, self.store)

    def listeners(self) -> list[Any]:
        """The indexes an ingest keeps in step: its own copy of the BM25 index, never the
        one the assistant reads, which swaps in the saved index when it sees it is newer (so
        a question answered during an upload never sees a half-updated index)."""
        return index_listeners(self.settings, self.store)

    @cached_property
    def chat_model(self) -> ChatModel | None:
        """The configured chat model (the assistant's), or None for extractive answers."""
        from rag.answer.llm import load_chat_model

        return load_chat_model(self.settings)

    @cached_property
    def assistant(self) -> Assistant:
        from rag.answer.assistant import Assistant
        from rag.answer.prompts import load_prompts

        prompts = load_prompts(self.settings.prompts_dir)  # fail fast on a broken prompt file
        return Assistant(
            self.settings,
            self.embedder,
            self.store,
            self.bm25,
            self.chat_model,
            prompts,
            self._answerability,
        )

    @property
    def retriever(self) -> Retriever:
        """The assistant's retriever: one per parts, holding the BM25 index in memory."""
        return self.assistant.retriever

    @property
    def archive(self) -> Archive:
        """List and delete (a delete opens its own copy of the BM25 index)."""
        from rag.store.archive import Archive

        return Archive(self.settings, self.store)
