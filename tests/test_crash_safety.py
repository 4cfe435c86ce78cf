"""Crash safety: a bulk ingest killed with SIGKILL at random points, then restarted, ends in
the same store as a clean run (same documents and chunks, no duplicates, no orphans, BM25 in
step with Chroma)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, assert_consistent, cli_env, store_snapshot
from newsgen import english_articles, saudi_records

pytestmark = [
    pytest.mark.slow,
]
SEED = int(os.environ.get("RAG_CRASH_SEED", "20261129"))
# Big chunks keep the embedding work (and the test) short; the pipeline is the same.
ENV = {"RAG_CHUNK_TOKENS": "500", "RAG_CHUNK_OVERLAP": "50", "RAG_BATCH_SIZE": "16"}


def build_corpus(root: Path, arabic: int = 200, english: int = 60) -> Path:
    """260 generated articles, the shorter ones: ~35 s of embedding here (the chunks and
    their candidate sentences), long enough for three kills at 4-12 s (a run spends ~3 s
    starting) and short enough for the suite."""
    root.mkdir(parents=True)
    records = [r for r in saudi_records(3 * arabic, seed=724, day="2015-07-24")]
    records = sorted(records, key=lambda r: len(r["content"]))[:arabic]
    (root / "saudi.json").write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    paths = english_articles(root / "all-bbc", 3 * english, seed=24)
    bbc = root / "bbc"
    bbc.mkdir()
    for path in sorted(paths, key=lambda p: p.stat().st_size)[:english]:
        path.rename(bbc / path.name)
    shutil.rmtree(root / "all-bbc")
    return root


def ingest_cmd(corpus: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        "from rag.cli import main; main()",
        "ingest",
        str(corpus),
        "--json",
    ]


def env_for(data: Path) -> dict[str, str]:
    env = cli_env()
    return {**env, **ENV, "RAG_DATA_DIR": str(data)}


@pytest.mark.timeout(2400)
def test_killed_ingest_restarts_to_the_same_store(tmp_path, embedder):
    corpus = build_corpus(tmp_path / "corpus")
    rng = random.Random(SEED)
    crashed = tmp_path / "crashed"
    kills = 0
    for attempt in range(3):
        proc = subprocess.Popen(
            ingest_cmd(corpus),
            cwd=REPO,
            env=env_for(crashed),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(4, 12))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        if attempt == 0:
            # Between crashes some articles change: their old chunks must not survive.
            for path in sorted((corpus / "bbc").glob("*.txt"))[:15]:
                path.write_text(path.read_text("utf-8", "replace") + "\n\nUpdated.", "utf-8")
    assert kills >= 2, "the ingest finished before it could be killed; raise the corpus size"
    final = subprocess.run(
        ingest_cmd(corpus),
        cwd=REPO,
        env=env_for(crashed),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert final.returncode == 0, final.stderr
    clean = tmp_path / "clean"
    done = subprocess.run(
        ingest_cmd(corpus),
        cwd=REPO,
        env=env_for(clean),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ingested"] >= 250

    chunking = {"chunk_tokens": 500, "chunk_overlap": 50}
    a = store_snapshot(crashed, embedder, **chunking)
    b = store_snapshot(clean, embedder, **chunking)
    assert a["docs"] == b["docs"]
    assert a["chunk_ids"] == b["chunk_ids"]
    assert a["count"] == b["count"] == len(set(a["chunk_ids"]))
    assert a["sentences"] and a["sentences"] == b["sentences"]
    assert_consistent(a)
