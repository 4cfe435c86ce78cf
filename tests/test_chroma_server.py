"""The same ingest and query against a real `chroma run` server on a free loopback port."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import SAMPLES, free_port, make_settings

from ingest.cli import index_listeners
from ingest.pipeline import Ingestor
from rag.assistant import Assistant
from rag.store import ChunkStore, StoreProfile

pytestmark = pytest.mark.slow


@pytest.fixture()
def chroma_server(tmp_path: Path):
    port = free_port()
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    proc = subprocess.Popen(
        [
            exe,
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("chroma server exited at start")
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma server did not start in 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_ingest_and_ask_through_a_chroma_server(tmp_path, chroma_server, embedder):
    s = make_settings(tmp_path / "local", chroma_url=chroma_server)
    profile = StoreProfile(s.embed_model, embedder.dimension, s.chunk_tokens, s.chunk_overlap)
    store = ChunkStore(s, profile)
    assert store.location == chroma_server
    report = Ingestor(s, embedder, store, index_listeners(s, store, False)).run([SAMPLES])
    assert report.ingested == 5 and report.failures == []
    # Nothing of the store lives locally: only the BM25 files beside it.
    assert not (tmp_path / "local" / "chroma").exists()

    again = Ingestor(s, embedder, ChunkStore(s, profile)).run([SAMPLES])
    assert again.unchanged == 5 and again.chunks == 0

    answer = Assistant.from_settings(s, embedder=embedder).ask("what did Erdogan demand?")
    assert answer.mode == "extractive"
    assert any("Erdogan" in c.supporting or "أردوغان" in c.supporting for c in answer.citations)
