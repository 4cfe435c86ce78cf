"""20 web-chat sessions asking at once while a bulk ingest writes to the same Chroma server:
every request is answered without error, and every citation is a committed chunk (stored
whole, with the cited text, and listed by its registered document)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import RAG_CLI, SAMPLES, cli_env, make_settings, start_serve
from newsgen import english_articles, saudi_records

from ingest.pipeline import Ingestor
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


def corpus(root: Path) -> Path:
    """50 English and 50 Arabic generated articles of 20-50 sentences: a minute or more of
    embedding here, so that the sessions' questions overlap its writes."""
    root.mkdir()
    english_articles(root, 50, seed=22, prefix="bbc-", sentences=(20, 50))
    records = saudi_records(50, seed=722, day="2015-07-22", sentences=(20, 50))
    (root / "saudi.json").write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    return root


@pytest.mark.timeout(1200)
def test_twenty_sessions_ask_while_an_ingest_runs(tmp_path, chroma_server, embedder):
    from gradio_client import Client

    app_data, ingest_data = tmp_path / "app", tmp_path / "ingest"
    settings = make_settings(app_data, chroma_url=chroma_server)
    profile = StoreProfile.of(settings, embedder.dimension)
    store = ChunkStore(settings, profile)
    Ingestor(settings, embedder, store, index_listeners(settings, store, False)).run([SAMPLES])
    before = store.count()
    sample_docs = {m["doc_id"] for m in store.iter_registry()}

    log = open(tmp_path / "serve.log", "w+b")  # noqa: SIM115 - read back on failure
    serve, url = start_serve(app_data, log, RAG_CHROMA_URL=chroma_server)
    clients = [Client(url, verbose=False, download_files=False) for _ in range(CLIENTS)]
    ingest = subprocess.Popen(
        [*RAG_CLI, "ingest", str(corpus(tmp_path / "corpus")), "--json"],
        cwd=tmp_path,
        env=cli_env(RAG_DATA_DIR=str(ingest_data), RAG_CHROMA_URL=chroma_server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    answers: list[dict[str, Any]] = []
    errors: list[str] = []
    during = 0
    lock = threading.Lock()

    def session(i: int) -> None:
        nonlocal during
        rounds = 0
        # Ask until the ingest is over (at least twice), so that questions overlap its writes.
        while rounds < 2 or (ingest.poll() is None and rounds < 30):
            running = ingest.poll() is None
            try:
                answer = clients[i].predict(QUESTIONS[(i + rounds) % 4], api_name="/chat")
            except Exception as exc:  # any failure of any request fails the test
                with lock:
                    errors.append(f"session {i}: {exc.__class__.__name__}: {exc}")
                return
            with lock:
                answers.append(answer)
                during += running and ingest.poll() is None
            rounds += 1

    try:
        # Start asking once the ingest has begun writing.
        deadline = time.monotonic() + 300
        while store.count() == before and ingest.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ingest.poll() is None, "the ingest ended before the sessions started"
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(session, range(CLIENTS)))
        out, err = ingest.communicate(timeout=900)
    finally:
        if ingest.poll() is None:
            ingest.kill()
        serve.terminate()
        serve.wait(timeout=30)
        log.close()

    assert ingest.returncode == 0, err[-2000:]
    assert json.loads(out)["ingested"] >= 60
    assert errors == []
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
