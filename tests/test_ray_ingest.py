"""`rag ingest --engine ray`: on a local Ray (2 CPUs) and a real `chroma run` server, the
same store as the local engine (ids, texts, metadata, vectors, report, failures), the same
idempotence, and a killed run that resumes to the same store."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import RAG_CLI, REPO, SAMPLES, cli_env, make_settings
from newsgen import english_articles, saudi_records

from ingest.pipeline import Ingestor
from ingest.ray_engine import RayIngestor, plan
from rag.store.chunks import ChunkStore
from rag.wiring import Parts

pytestmark = [pytest.mark.slow]
QUESTIONS = ["what did Erdogan demand?", "ماذا طالب أردوغان؟"]
TIMING = {"seconds", "chunks_per_second", "warnings"}


def mixed_corpus(root: Path, english: int = 30, arabic: int = 40) -> Path:
    """The samples, generated English and Arabic news, and bad input of several kinds."""
    shutil.copytree(SAMPLES, root / "samples")
    english_articles(root / "bbc", english, seed=7, sentences=(3, 12))
    records = saudi_records(arabic, seed=8, day="2015-07-30", empty=2, sentences=(3, 12))
    (root / "saudi.json").write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    bad = root / "bad"
    bad.mkdir()
    (bad / "deep.json").write_text("[" * 400 + "]" * 400)  # the parser's recursion limit
    (bad / "empty.html").write_text("<html><script>x()</script><nav>menu</nav></html>")
    (bad / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    twice = [{"id": "same", "text": "First record with this id."}] * 2
    (bad / "twice.jsonl").write_text("\n".join(json.dumps(r) for r in twice))
    return root


def snapshot(store: ChunkStore) -> dict[str, Any]:
    """Every chunk (text, metadata, vector), registry entry and sentence vector, by id."""
    got = store.chunks.get(include=["documents", "metadatas", "embeddings"])
    chunks = {
        cid: (text, meta, np.asarray(vec))
        for cid, text, meta, vec in zip(
            got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
        )
    }
    registry = {m["doc_id"]: m for m in store.iter_registry()}
    got = store.sentences.collection.get(include=["metadatas", "embeddings"])
    sentences = {
        sid: (meta, np.asarray(vec))
        for sid, meta, vec in zip(got["ids"], got["metadatas"], got["embeddings"], strict=True)
    }
    return {"chunks": chunks, "registry": registry, "sentences": sentences}


def assert_same_store(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert sorted(a["chunks"]) == sorted(b["chunks"])
    for cid, (text, meta, vec) in a["chunks"].items():
        other_text, other_meta, other_vec = b["chunks"][cid]
        assert text == other_text and meta == other_meta, cid
        assert float(vec @ other_vec) >= 0.9999, cid
    assert a["registry"] == b["registry"]
    # The candidate sentences' vectors (rag/store/sentences.py) are embedded by the same
    # actors and written by the same writer.
    assert a["sentences"] and sorted(a["sentences"]) == sorted(b["sentences"])
    for sid, (meta, vec) in a["sentences"].items():
        assert meta == b["sentences"][sid][0] and float(vec @ b["sentences"][sid][1]) >= 0.9999


def report_json(report: Any) -> dict[str, Any]:
    return {k: v for k, v in report.to_json().items() if k not in TIMING}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    """One local Ray with 2 CPUs for the in-process tests (RayIngestor uses it as it is)."""
    ray = pytest.importorskip("ray", reason="the ray extra is part of make test's set-up")
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def test_the_plan_fits_the_cluster() -> None:
    settings = make_settings(Path("unused"), threads=2)
    assert plan(settings, {"CPU": 2.0}) == {
        "actors": 1, "gpus": 0, "threads": 2, "cpus": 1.8, "readers": 1,
    }  # fmt: skip
    gpu = plan(settings, {"CPU": 64.0, "GPU": 4.0})
    assert gpu["actors"] == 4 and gpu["gpus"] == 4
    two = plan(make_settings(Path("unused"), threads=1, ray_actors=2), {"CPU": 2.0})
    assert two["actors"] == 2 and two["threads"] == 1 and 2 * two["cpus"] + 0.2 <= 2.0


def test_ray_engine_stores_what_the_local_engine_stores(
    tmp_path: Path, embedder: Any, chroma_server: str, local_ray: Any
) -> None:
    corpus = mixed_corpus(tmp_path / "corpus")
    local = Parts(make_settings(tmp_path / "local"), embedder=embedder)
    local_report = Ingestor.from_parts(local).run([corpus])
    remote_settings = make_settings(tmp_path / "ray", chroma_url=chroma_server)
    remote = Parts(remote_settings, embedder=embedder)
    ray_report = RayIngestor.from_parts(remote).run([corpus])

    assert report_json(ray_report) == report_json(local_report)
    assert local_report.ingested >= 70 and local_report.chunks > 0
    failed = {
        f["where"].rsplit("/", 1)[-1].split("#")[0] for f in local_report.to_json()["failures"]
    }
    assert {"deep.json", "empty.html", "broken.zip"} <= failed, failed
    assert any("already used" in f["reason"] for f in local_report.to_json()["failures"])
    assert_same_store(snapshot(local.store), snapshot(remote.store))
    assert sorted(remote.bm25.ids) == sorted(snapshot(remote.store)["chunks"])

    # Idempotent: a second run embeds nothing.
    again = RayIngestor.from_parts(Parts(remote_settings, embedder=embedder)).run([corpus])
    assert (again.ingested, again.updated, again.chunks) == (0, 0, 0)
    assert again.unchanged == local_report.ingested

    # The same answers, citing the same chunks.
    for question in QUESTIONS:
        a, b = local.assistant.ask(question), remote.assistant.ask(question)
        assert a.text == b.text and a.text
        assert [c.chunk_id for c in a.citations] == [c.chunk_id for c in b.citations]


def test_a_killed_ray_ingest_resumes_to_the_local_engines_store(
    tmp_path: Path, chroma_server: str
) -> None:
    """The CLI with --engine ray, killed (with its local Ray) once articles are stored, then
    run again: the store equals a clean `rag ingest` of the same corpus, with the same
    answers."""
    import chromadb

    corpus = mixed_corpus(tmp_path / "corpus", english=20, arabic=40)
    base = {"RAG_CHUNK_TOKENS": "500", "RAG_CHUNK_OVERLAP": "50", "RAG_BATCH_SIZE": "16"}
    clean_env = cli_env(**base, RAG_DATA_DIR=str(tmp_path / "clean"))
    ray_env = cli_env(
        **base, RAG_DATA_DIR=str(tmp_path / "ray"), RAG_CHROMA_URL=chroma_server,
        RAG_INGEST_ENGINE="ray", PYTHONPATH=str(REPO),
    )  # fmt: skip
    ingest = [*RAG_CLI, "ingest", str(corpus), "--json"]

    proc = subprocess.Popen(
        ingest, cwd=REPO, env=ray_env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    host, port = chroma_server.removeprefix("http://").split(":")
    client = chromadb.HttpClient(host=host, port=int(port))
    deadline = time.monotonic() + 900
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        names = [c.name for c in client.list_collections()]
        # Articles are registered last, after their chunks: one registered is one stored.
        stored = client.get_collection("news__docs").count() if "news__docs" in names else 0
        if stored > 0:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the ray ingest ended before it could be killed"
    assert stored > 0, "no article stored in 15 minutes"
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and the local Ray it started
    proc.wait()

    resumed = subprocess.run(
        ingest, cwd=REPO, env=ray_env, capture_output=True, text=True, timeout=1500
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    report = json.loads(resumed.stdout)
    assert report["unchanged"] > 0, report  # what the killed run stored stays
    assert report["ingested"] > 0, report  # and the rest was still to do
    done = subprocess.run(
        ingest, cwd=REPO, env=clean_env, capture_output=True, text=True, timeout=1500
    )
    assert done.returncode == 0, done.stderr[-3000:]

    def ask(env: dict[str, str]) -> dict[str, Any]:
        out = subprocess.run(
            [*RAG_CLI, "ask", QUESTIONS[0], "--json"], cwd=REPO, env=env,
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout)

    a, b = ask(clean_env), ask(ray_env)
    assert a["answer"] == b["answer"]
    assert [c["chunk_id"] for c in a["citations"]] == [c["chunk_id"] for c in b["citations"]]
    stats = [
        json.loads(subprocess.run([*RAG_CLI, "stats", "--json"], cwd=REPO, env=env,
                                  capture_output=True, text=True, check=True).stdout)
        for env in (clean_env, ray_env)
    ]  # fmt: skip
    assert stats[0]["documents"] == stats[1]["documents"] > 60
    assert stats[0]["chunks"] == stats[1]["chunks"]
