"""The `rag` command line as a user runs it: real subprocesses, real store, real model."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import RAG_CLI, REPO, SAMPLES, cli_env

pytestmark = pytest.mark.slow


def rag(*args: str, data_dir: Path, env: dict[str, str] | None = None, check: bool = True):
    full_env = cli_env()
    full_env.update({"RAG_DATA_DIR": str(data_dir), **(env or {})})
    proc = subprocess.run(
        [*RAG_CLI, *args], capture_output=True, text=True, env=full_env, cwd=REPO, timeout=600
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_ingest_json_stats_and_ask(tmp_path):
    data = tmp_path / "data"
    out = rag("ingest", str(SAMPLES), "--json", data_dir=data)
    report = json.loads(out.stdout)
    assert {"ingested", "unchanged", "updated", "duplicates", "failed"} <= set(report)
    assert report["ingested"] == 5 and report["failed"] == 0

    stats = json.loads(rag("stats", "--json", data_dir=data).stdout)
    assert stats["documents"] == 5
    assert stats["chunks"] == report["chunks"]
    assert stats["sentence_vectors"] > stats["chunks"]  # each chunk's candidate sentences
    assert stats["languages"] == {"ar": 3, "en": 2}
    assert stats["embed_model"] == "intfloat/multilingual-e5-small"
    assert stats["embed_backend"] == "auto"
    assert "sample" in stats["sources"]

    for question in ("what did Erdogan demand?", "ماذا طالب أردوغان؟"):
        answer = json.loads(rag("ask", question, "--json", data_dir=data).stdout)
        assert {"answer", "mode", "notices", "citations"} <= set(answer)
        assert answer["mode"] == "extractive"
        cited = answer["citations"]
        assert cited and {"n", "doc_id", "title", "text", "supporting", "score"} <= set(cited[0])
        assert any(
            "انسحاب القوات الأرمينية" in c["supporting"]
            or "withdrawal of Armenian forces" in c["supporting"]
            for c in cited
        ), answer


def test_ask_about_something_absent_says_so(sample_data_dir):
    out = rag(
        "ask",
        "What did the Brazilian football coach say about the World Cup?",
        "--json",
        data_dir=sample_data_dir,
    )
    answer = json.loads(out.stdout)
    assert answer["mode"] == "not_found"
    assert answer["citations"] == []
    assert "do not contain" in answer["answer"]


def test_strict_exit_code_and_failure_lines(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ok.txt").write_text("Title\n\nThe river flooded three villages on Sunday.")
    (corpus / "bad.json").write_text("{not json")
    data = tmp_path / "data"
    lenient = rag("ingest", str(corpus), data_dir=data)
    assert "bad.json" in lenient.stdout and "failed" in lenient.stdout
    strict = rag("ingest", str(corpus), "--strict", "--json", data_dir=data, check=False)
    assert strict.returncode == 1
    assert json.loads(strict.stdout)["failures"][0]["where"].endswith("bad.json")


def test_config_errors_are_one_line_not_a_traceback(tmp_path):
    bad = rag("stats", data_dir=tmp_path, env={"RAG_CHUNK_OVERLAP": "900"}, check=False)
    assert bad.returncode == 2
    assert "RAG_CHUNK_OVERLAP" in bad.stderr and "Traceback" not in bad.stderr

    hub = rag(
        "stats", data_dir=tmp_path, env={"RAG_EMBED_MODEL": "someone/unknown-model"}, check=False
    )
    assert hub.returncode == 2
    assert "RAG_EMBED_MODEL" in hub.stderr and "Traceback" not in hub.stderr

    closed = rag(
        "stats", data_dir=tmp_path, env={"RAG_CHROMA_URL": "http://127.0.0.1:9"}, check=False
    )
    assert closed.returncode == 1
    assert "RAG_CHROMA_URL" in closed.stderr and "Traceback" not in closed.stderr


def test_help_and_reports_print_brackets_as_text(tmp_path):
    """Rich markup must not eat "[n]" in help, nor user text such as file names in reports."""
    env = cli_env(RAG_DATA_DIR=str(tmp_path / "data"))
    help_text = subprocess.run(
        [*RAG_CLI, "--help"], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    ).stdout
    assert "citing passages as [n]." in " ".join(help_text.split())
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "[bold]notes.md").write_text("# [red]Title[/]\n\nPort news.\n", "utf-8")
    (corpus / "[red]broken.json").write_text("{oops", "utf-8")
    run = subprocess.run(
        [*RAG_CLI, "ingest", str(corpus)], capture_output=True, text=True, env=env, cwd=REPO,
        timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "[red]broken.json" in (run.stdout + run.stderr).replace("\n", "")
    listed = subprocess.run(
        [*RAG_CLI, "list"], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    ).stdout
    assert "corpus/[bold]notes.md" in listed and "[red]Title[/]" in listed
    asked = subprocess.run(
        [*RAG_CLI, "delete", "corpus/[bold]notes.md"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=120, input="n\n",
    )  # fmt: skip
    assert "corpus/[bold]notes.md  [red]Title[/]" in asked.stderr.replace("\n", "")
