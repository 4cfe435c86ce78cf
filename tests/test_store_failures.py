"""The data dir read-only or full: a clear error naming the setting, and a store that still
answers afterwards (no partial state). Real file systems: a read-only bind mount and small
tmpfs mounts, made in a private mount namespace (`unshare`), so nothing outside is touched."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES, assert_consistent, cli_env, store_snapshot
from newsgen import saudi_records

pytestmark = [
    pytest.mark.slow,
]
# Small chunks: what fills a disk is mostly per-chunk (a vector, its index entry, the row),
# so many small chunks fill it with a fraction of the embedding work of a few big ones.
CHUNKING = {"chunk_tokens": 64, "chunk_overlap": 16}
# Generated articles, enough of them (about 90 KB of text, ~1,000 chunks) to fill the 3 MB
# disk below.
BIG = 80
QUESTION = "what did Erdogan demand?"
# Shell helpers for the scripts below: `step NAME CMD...` keeps stdout, stderr, exit code.
PRELUDE = r"""
set -u
rag() { "$PY" -c 'from rag.cli import main; main()' "$@"; }
step() { n=$1; shift; "$@" >"$OUT/$n.out" 2>"$OUT/$n.err"; echo $? >"$OUT/$n.rc"; }
"""


def namespace_prefix() -> list[str]:
    """`unshare` into a private mount namespace (as root, or mapped to root), or skip."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is not installed")
    prefix = [unshare, "-m"] if os.geteuid() == 0 else [unshare, "-r", "-m"]
    probe = subprocess.run([*prefix, "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a mount namespace here: {probe.stderr.decode()[:200]}")
    return prefix


def in_namespace(script: str, tmp_path: Path, **env: str) -> dict[str, dict[str, str | int]]:
    """Run `script` in a private mount namespace; returns {step: {rc, out, err}}."""
    out = tmp_path / "steps"
    out.mkdir()
    full_env = cli_env(
        PY=sys.executable,
        OUT=str(out),
        RAG_CHUNK_TOKENS=str(CHUNKING["chunk_tokens"]),
        RAG_CHUNK_OVERLAP=str(CHUNKING["chunk_overlap"]),
        **env,
    )
    proc = subprocess.run(
        [*namespace_prefix(), "sh", "-c", PRELUDE + script],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    steps: dict[str, dict[str, str | int]] = {}
    for rc in out.glob("*.rc"):
        name = rc.stem
        steps[name] = {
            "rc": int(rc.read_text()),
            "out": (out / f"{name}.out").read_text(),
            "err": (out / f"{name}.err").read_text(),
        }
    return steps


def saudi_articles(path: Path, count: int) -> Path:
    records = saudi_records(count, seed=725, day="2015-07-25")
    path.write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    return path


def assert_clean_error(step: dict[str, str | int], *words: str) -> None:
    assert step["rc"] != 0
    err = str(step["err"])
    assert "Traceback" not in err and "│" not in err, err[-2000:]
    assert err.startswith("error: "), err[-2000:]
    for word in words:
        assert word in err, (word, err)


def assert_answers(step: dict[str, str | int]) -> None:
    assert step["rc"] == 0, step["err"]
    assert "withdrawal of Armenian forces" in str(step["out"]), step["out"]


def test_read_only_data_dir(tmp_path: Path, embedder) -> None:
    data = tmp_path / "data"
    new = tmp_path / "new"
    new.mkdir()
    (new / "metro.txt").write_text("The Riyadh metro opened to passengers this week.", "utf-8")
    steps = in_namespace(
        """
        step seed rag ingest "$SAMPLES" --json
        mount --bind "$RAG_DATA_DIR" "$RAG_DATA_DIR"
        mount -o remount,bind,ro "$RAG_DATA_DIR"
        step ingest_ro rag ingest "$NEW" --json
        step ask_ro rag ask "$Q"
        umount "$RAG_DATA_DIR"
        step ask rag ask "$Q"
        """,
        tmp_path,
        RAG_DATA_DIR=str(data),
        SAMPLES=str(SAMPLES),
        NEW=str(new),
        Q=QUESTION,
    )
    assert steps["seed"]["rc"] == 0, steps["seed"]["err"]
    before = json.loads(str(steps["seed"]["out"]))["chunks"]
    for name in ("ingest_ro", "ask_ro"):
        assert_clean_error(steps[name], f"RAG_DATA_DIR={data}", "read-only")
    assert_answers(steps["ask"])
    snap = store_snapshot(data, embedder, **CHUNKING)
    assert snap["count"] == before
    assert not any("metro" in d for d in snap["docs"])  # type: ignore[attr-defined]
    assert_consistent(snap)


def on_small_disk(tmp_path: Path, script: str, min_free_mb: str) -> tuple[dict, Path]:
    """Run `script` with the samples ingested first and BIG articles in $BIG to ingest."""
    big = saudi_articles(tmp_path / "saudi.json", BIG)
    data = tmp_path / "data"
    data.mkdir()
    env = {"RAG_DATA_DIR": str(data), "RAG_MIN_FREE_MB": min_free_mb, "BIG": str(big)}
    steps = in_namespace(script, tmp_path, SAMPLES=str(SAMPLES), Q=QUESTION, **env)
    assert steps["seed"]["rc"] == 0, steps["seed"]["err"]
    return steps, data


def test_data_dir_running_out_of_space_stops_before_the_disk_is_full(tmp_path, embedder):
    steps, data = on_small_disk(
        tmp_path,
        """
        mount -t tmpfs -o size=6m tmpfs "$RAG_DATA_DIR"
        step seed rag ingest "$SAMPLES" --json
        step full rag ingest "$BIG" --json
        step ask rag ask "$Q"
        step stats rag stats --json
        cp -a "$RAG_DATA_DIR" "$OUT/after-full"
        mount -o remount,size=64m "$RAG_DATA_DIR"
        step resume rag ingest "$BIG" --json
        cp -a "$RAG_DATA_DIR" "$OUT/after-resume"
        """,
        "1.5",
    )
    samples = json.loads(str(steps["seed"]["out"]))["ingested"]
    assert_clean_error(steps["full"], f"RAG_DATA_DIR={data}", "RAG_MIN_FREE_MB", "resumes")
    assert_answers(steps["ask"])
    assert steps["stats"]["rc"] == 0, steps["stats"]["err"]
    stored = json.loads(str(steps["stats"]["out"]))["documents"]
    assert samples < stored < samples + BIG  # some, not all, of the articles
    assert_consistent(store_snapshot(tmp_path / "steps" / "after-full", embedder, **CHUNKING))

    assert steps["resume"]["rc"] == 0, steps["resume"]["err"]
    resumed = json.loads(str(steps["resume"]["out"]))
    assert resumed["unchanged"] == stored - samples  # the finished articles were not redone
    assert resumed["unchanged"] + resumed["ingested"] + resumed["duplicates"] == BIG
    final = store_snapshot(tmp_path / "steps" / "after-resume", embedder, **CHUNKING)
    assert_consistent(final)


def test_disk_full_mid_write_gives_a_clean_error_and_recovers(tmp_path, embedder):
    steps, data = on_small_disk(
        tmp_path,
        """
        mount -t tmpfs -o size=3m tmpfs "$RAG_DATA_DIR"
        step seed rag ingest "$SAMPLES" --json
        step full rag ingest "$BIG" --json
        step ask_full rag ask "$Q"
        mount -o remount,size=64m "$RAG_DATA_DIR"
        step ask rag ask "$Q"
        step resume rag ingest "$BIG" --json
        cp -a "$RAG_DATA_DIR" "$OUT/after-resume"
        """,
        "0",  # the guard off: the disk really fills up
    )
    assert_clean_error(steps["full"], "RAG_DATA_DIR", "free space", "resumes")
    # While the disk is full Chroma cannot even read: the error says what to do.
    if steps["ask_full"]["rc"] != 0:
        assert_clean_error(steps["ask_full"], f"RAG_DATA_DIR={data}", "free space")
    else:
        assert_answers(steps["ask_full"])
    assert_answers(steps["ask"])
    assert steps["resume"]["rc"] == 0, steps["resume"]["err"]
    assert_consistent(store_snapshot(tmp_path / "steps" / "after-resume", embedder, **CHUNKING))
