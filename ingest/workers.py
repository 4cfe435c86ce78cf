"""Embedding in worker processes, for ingest on machines with cores to spare.

The main process keeps reading, chunking and writing (Chroma has one writer); only the
embedding, the expensive part, fans out. Each worker loads its own model with its share
of the threads, so N workers never oversubscribe the cores.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import numpy as np

from rag.errors import ModelError
from rag.settings import Settings

B = TypeVar("B")  # a batch of work

# One embedder per worker process, set by the pool's initializer.
_worker_embedder: Any = None


def _init_worker(settings: Settings) -> None:
    global _worker_embedder
    from rag.wiring import load_embedder

    _worker_embedder = load_embedder(settings)


def _embed(texts: list[str]) -> np.ndarray:
    return np.asarray(_worker_embedder.embed_documents(texts), dtype=np.float32)


class EmbedPool:
    """`workers` processes that embed passages; `submit` returns a future of the vectors."""

    def __init__(self, settings: Settings, workers: int) -> None:
        threads = max(1, settings.effective_threads // workers)
        worker_settings = settings.model_copy(update={"threads": threads})
        self.workers = workers
        self.pool = ProcessPoolExecutor(
            max_workers=workers,
            # spawn: forking a process that already runs torch threads can deadlock.
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(worker_settings,),
        )

    def submit(self, texts: list[str]) -> Future[np.ndarray]:
        return self.pool.submit(_embed, texts)

    @staticmethod
    def result(future: Future[np.ndarray]) -> np.ndarray:
        """The vectors; a worker that died (killed, out of memory) becomes a ModelError."""
        try:
            return future.result()
        except BrokenProcessPool:
            raise ModelError(
                "an embedding worker process died (out of memory, or killed); run the same "
                "ingest again with a lower RAG_INGEST_WORKERS (or --workers): it resumes"
            ) from None

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def in_order(
    batches: Iterator[B],
    submit: Callable[[B], Any],
    result: Callable[[Any], np.ndarray],
    parallel: int,
    write: Callable[[Any], None],
) -> None:
    """Keep `parallel` batches embedding at once (plus one queued); hand each batch and its
    vectors to `write` in the order the batches came."""
    in_flight: deque[tuple[B, Any]] = deque()
    for batch in batches:
        in_flight.append((batch, submit(batch)))
        while len(in_flight) > parallel:
            done, pending = in_flight.popleft()
            write((done, result(pending)))
    while in_flight:
        done, pending = in_flight.popleft()
        write((done, result(pending)))
