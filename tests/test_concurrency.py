"""20 web-chat sessions asking at once while a bulk ingest writes to the same Chroma server:
every request is answered without error, and every citation is a committed chunk (stored
whole, with the cited text, and listed by its registered document).

The ingest is a small corpus whose embedding stage is slowed (`SlowEmbedder`, a real
subclass around the real model), so its writes are spread over the sessions' questions
without a minute of embedding work."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import SAMPLES, make_settings, start_serve
from newsgen import english_articles, saudi_records

from ingest.pipeline import Ingestor
from rag.embedder import Embedder
from rag.store.chunks import ChunkStore, StoreProfile
from rag.wiring import index_listeners

pytestmark = [
    pytest.mark.slow,
]
QUESTIONS = [
    "what did Erdogan demand?",
    "ماذا طالب أردوغان؟",
    "What did the council in Leeds approve?",
    "ما أخبار الاقتصاد السعودي؟",
]
CLIENTS = 20
ARTICLES = 50  # per language: over the 64 documents the ingest looks up at a time
PAUSE = 3.0  # seconds each embedding batch of the ingest waits
BATCH = 8  # the ingest's first batch is 16 chunks, the others 128
# Small chunks: the same articles give many batches (many writes) for little embedding work.
CHUNKING = {"chunk_tokens": 48, "chunk_overlap": 8}


class SlowEmbedder(Embedder):
    """The real model, each batch after a pause: an ingest whose writes come slowly."""

    def __init__(self, inner: Embedder, pause: float) -> None:
        self.inner, self.pause = inner, pause
        self.model_id, self.dimension = inner.model_id, inner.dimension
        self.batches = 0

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(self.pause)
        self.batches += 1
        return self.inner.embed_batch(texts)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


def serve_log_tail(path: Path, chars: int = 6000) -> str:
    """The end of the server's log: the traceback behind an error a client saw."""
    return path.read_text("utf-8", errors="replace")[-chars:]


def corpus(root: Path) -> Path:
    """ARTICLES English and ARTICLES Arabic generated articles of 3-12 sentences."""
    root.mkdir()
    english_articles(root, ARTICLES, seed=22, prefix="bbc-", sentences=(3, 12))
    records = saudi_records(ARTICLES, seed=722, day="2015-07-22", sentences=(3, 12))
    (root / "saudi.json").write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    return root


@pytest.mark.timeout(1200)
def test_twenty_sessions_ask_while_an_ingest_runs(tmp_path, chroma_server, embedder):
    from gradio_client import Client

    app_data, ingest_data = tmp_path / "app", tmp_path / "ingest"
    settings = make_settings(app_data, chroma_url=chroma_server, **CHUNKING)
    profile = StoreProfile.of(settings, embedder.dimension)
    store = ChunkStore(settings, profile)
    Ingestor(settings, embedder, store, index_listeners(settings, store, False)).run([SAMPLES])
    before = store.count()
    sample_docs = {m["doc_id"] for m in store.iter_registry()}

    log = open(tmp_path / "serve.log", "w+b")  # noqa: SIM115 - read back on failure
    serve, url = start_serve(
        app_data,
        log,
        RAG_CHROMA_URL=chroma_server,
        RAG_CHUNK_TOKENS=str(CHUNKING["chunk_tokens"]),
        RAG_CHUNK_OVERLAP=str(CHUNKING["chunk_overlap"]),
    )
    clients = [Client(url, verbose=False, download_files=False) for _ in range(CLIENTS)]
    # The bulk ingest: its own data dir (state, BM25), the same Chroma server, in a thread.
    ingest_settings = make_settings(
        ingest_data, chroma_url=chroma_server, batch_size=BATCH, **CHUNKING
    )
    slow = SlowEmbedder(embedder, PAUSE)
    ingest_store = ChunkStore(ingest_settings, StoreProfile.of(ingest_settings, slow.dimension))
    ingestor = Ingestor(
        ingest_settings, slow, ingest_store, index_listeners(ingest_settings, ingest_store, False)
    )
    reports: list[Any] = []
    failures: list[BaseException] = []

    def run_ingest() -> None:
        try:
            reports.append(ingestor.run([corpus(tmp_path / "corpus")]))
        except BaseException as exc:  # re-raised in the test's thread
            failures.append(exc)

    ingest = threading.Thread(target=run_ingest, daemon=True)
    ingest.start()
    answers: list[dict[str, Any]] = []
    errors: list[str] = []
    during = 0
    lock = threading.Lock()

    def session(i: int) -> None:
        nonlocal during
        rounds = 0
        # Ask until the ingest is over (at least twice), so that questions overlap its writes.
        while rounds < 2 or (ingest.is_alive() and rounds < 30):
            running = ingest.is_alive()
            try:
                answer = clients[i].predict(QUESTIONS[(i + rounds) % 4], api_name="/chat")
            except Exception as exc:  # any failure of any request fails the test
                with lock:
                    errors.append(f"session {i}: {exc.__class__.__name__}: {exc}")
                return
            with lock:
                answers.append(answer)
                during += running and ingest.is_alive()
            rounds += 1

    try:
        # Start asking once the ingest has begun writing.
        deadline = time.monotonic() + 300
        while store.count() == before and ingest.is_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ingest.is_alive(), "the ingest ended before the sessions started"
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(session, range(CLIENTS)))
        ingest.join(timeout=900)
    finally:
        serve.terminate()
        serve.wait(timeout=30)
        log.close()

    assert not ingest.is_alive() and failures == [], failures
    assert reports[0].ingested >= 2 * ARTICLES - 2 and not reports[0].failures
    assert slow.batches >= 3  # the writes came in several batches, spread over the questions
    assert errors == [], serve_log_tail(tmp_path / "serve.log")
    assert during >= CLIENTS, f"only {during} answers overlapped the ingest"
    assert all(a["answer"].strip() and a["mode"] in ("extractive", "not_found") for a in answers)
    assert sum(bool(a["citations"]) for a in answers) >= len(answers) // 2

    final = ChunkStore(settings, profile)
    registry = {m["doc_id"]: set(json.loads(m["chunk_ids"])) for m in final.iter_registry()}
    cited = {(c["chunk_id"], c["doc_id"], c["text"]) for a in answers for c in a["citations"]}
    stored = {h.chunk_id: h for h in final.get_chunks(sorted({c[0] for c in cited}))}
    for chunk_id, doc_id, text in cited:
        assert chunk_id in stored, f"cited chunk {chunk_id} is not in the store"
        assert chunk_id in registry.get(doc_id, set()), f"{chunk_id} not listed by {doc_id}"
        assert text in stored[chunk_id].text
    # Some answers already cite the articles being ingested.
    assert any(c[1] not in sample_docs for c in cited)
