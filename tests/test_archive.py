"""Archive management: `rag list`, `rag delete`, the Python API, on the real Chroma store
(embedded and server), including a delete killed mid-way and re-run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient
from conftest import RAG_CLI, REPO, SAMPLES, assert_consistent, cli_env, make_settings
from fakes import HashEmbedder
from newsgen import saudi_records

from ingest.pipeline import Ingestor
from rag.errors import ConfigError
from rag.store.archive import Article, ArticleQuery, newest_first
from rag.store.chunks import ChunkStore, StoreProfile
from rag.wiring import Parts, index_listeners

SEED_ID = "articles/karabakh-ceasefire-ar.txt"


def rag(data: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*RAG_CLI, *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=cli_env(RAG_DATA_DIR=str(data), **env),
        cwd=REPO,
        timeout=600,
    )


def rag_json(data: Path, *args: str, **env: str) -> object:
    proc = rag(data, *args, "--json", **env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


# --- listing -------------------------------------------------------------------------------


def test_list_is_newest_first_with_the_promised_keys_and_filters(sample_copy: Path) -> None:
    articles = rag_json(sample_copy, "list")
    assert isinstance(articles, list) and len(articles) == 5
    keys = {"doc_id", "title", "source", "date", "language", "chunks"}
    assert all(keys <= set(a) for a in articles)
    dated = [a["date"] for a in articles if a["date"]]
    assert dated == sorted(dated, reverse=True) and articles[0]["date"] == max(dated)
    assert [a["date"] for a in articles[len(dated) :]] == [""] * (5 - len(dated))
    seed = next(a for a in articles if a["doc_id"] == SEED_ID)
    assert seed["language"] == "ar" and seed["chunks"] >= 2

    by = {
        ("--language", "ar"): {a["doc_id"] for a in articles if a["language"] == "ar"},
        ("--source", "sample"): {a["doc_id"] for a in articles if a["source"] == "sample"},
        ("--from", "2024-03-01"): {a["doc_id"] for a in articles if a["date"] >= "2024-03-01"},
        ("--to", "2024-03-01"): {a["doc_id"] for a in articles if "" < a["date"] <= "2024-03-01"},
        ("--match", "قره باغ"): {SEED_ID},
        ("--match", "KARABAKH"): {SEED_ID, "articles/karabakh-ceasefire-en.md"},
    }
    for args, expected in by.items():
        got = {a["doc_id"] for a in rag_json(sample_copy, "list", *args)}
        assert got == expected and expected, args
    assert len(rag_json(sample_copy, "list", "--limit", "2")) == 2

    text = rag(sample_copy, "list")
    assert text.returncode == 0
    lines = text.stdout.strip().splitlines()
    assert len(lines) == 6 and lines[0].split()[:2] == ["doc", "id"]  # header + one per article
    assert any(SEED_ID in line and "قره باغ" in line for line in lines)

    bad = rag(sample_copy, "list", "--from", "March 2024")
    assert bad.returncode != 0 and "--from 'March 2024': give a date as YYYY-MM-DD" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_newest_first_puts_undated_last() -> None:
    a = [
        Article("b", "B", "", "", "en", 1),
        Article("a", "A", "", "2024-01-02", "en", 1),
        Article("c", "C", "", "2024-05-01T10:00:00", "en", 1),
        Article("d", "D", "", "12 March", "en", 1),
    ]
    assert [x.doc_id for x in newest_first(a)] == ["c", "a", "b", "d"]
    assert ArticleQuery(match="اردوغان").accepts(Article("x", "أردوغان يطالب", "", "", "ar", 1))
    with pytest.raises(ConfigError, match="--language 'fr'"):
        ArticleQuery(language="fr").check()


# --- deleting --------------------------------------------------------------------------------


def test_delete_the_seed_then_it_is_gone_everywhere(sample_copy: Path) -> None:
    before = rag_json(sample_copy, "stats")
    seed = next(a for a in rag_json(sample_copy, "list") if a["doc_id"] == SEED_ID)

    # Without --yes it asks, and "no" deletes nothing.
    asked = rag(sample_copy, "delete", SEED_ID, stdin="n\n")
    assert asked.returncode == 1 and "would delete 1 articles" in asked.stderr
    assert SEED_ID in asked.stderr and "nothing deleted" in asked.stderr
    assert rag_json(sample_copy, "stats")["chunks"] == before["chunks"]

    report = rag_json(sample_copy, "delete", SEED_ID, "no-such-article", "--yes")
    assert report == {
        "deleted": [SEED_ID],
        "not_found": ["no-such-article"],
        "chunks": seed["chunks"],
    }
    after = rag_json(sample_copy, "stats")
    assert after["documents"] == before["documents"] - 1
    assert after["chunks"] == before["chunks"] - seed["chunks"]
    assert SEED_ID not in {a["doc_id"] for a in rag_json(sample_copy, "list")}

    answer = rag_json(sample_copy, "ask", "ماذا طالب أردوغان؟")
    assert all(c["doc_id"] != SEED_ID for c in answer["citations"]), answer
    assert all(p["doc_id"] != SEED_ID for p in answer.get("related", []))

    # The same delete again: nothing left to do, reported as not found.
    again = rag_json(sample_copy, "delete", SEED_ID, "--yes")
    assert again == {"deleted": [], "not_found": [SEED_ID], "chunks": 0}

    # A re-ingest brings it back: the registry forgot it.
    back = rag_json(sample_copy, "ingest", str(SAMPLES))
    assert back["ingested"] == 1 and back["unchanged"] == 4, back
    answer = rag_json(sample_copy, "ask", "ماذا طالب أردوغان؟")
    assert any(c["doc_id"] == SEED_ID for c in answer["citations"]), answer


def test_delete_by_source_and_date_with_confirmation(sample_copy: Path) -> None:
    listed = rag_json(sample_copy, "list")
    sample = {a["doc_id"] for a in listed if a["source"] == "sample"}
    older = {a["doc_id"] for a in listed if a["source"] == "sample" and a["date"] < "2024-03-01"}
    assert sample and older and older < sample
    yes = rag(sample_copy, "delete", "--source", "sample", "--before", "2024-03-01", stdin="y\n")
    assert yes.returncode == 0, yes.stderr
    assert f"deleted {len(older)} articles" in yes.stderr
    left = {a["doc_id"] for a in rag_json(sample_copy, "list")}
    assert not (older & left) and (sample - older) <= left
    nothing = rag(sample_copy, "delete")
    assert nothing.returncode != 0 and "name the articles to delete" in nothing.stderr


def test_python_api_on_a_chroma_server(chroma_server: str, tmp_path: Path, embedder) -> None:
    settings = make_settings(tmp_path / "data", chroma_url=chroma_server)
    store = ChunkStore(settings, StoreProfile.of(settings, embedder.dimension))
    Ingestor(settings, embedder, store, index_listeners(settings, store, False)).run([SAMPLES])
    archive = Parts(settings).archive
    assert {a.doc_id for a in archive.articles()} >= {SEED_ID}
    english = archive.articles(ArticleQuery(language="en"))
    report = archive.delete([a.doc_id for a in english])
    assert sorted(report.deleted) == sorted(a.doc_id for a in english)
    assert {a.language for a in archive.articles()} == {"ar"}
    assert len(archive.bm25.rows) == store.count()
    # The CLI over the same server.
    cli = rag_json(tmp_path / "other", "delete", SEED_ID, "--yes", RAG_CHROMA_URL=chroma_server)
    assert cli["deleted"] == [SEED_ID]
    left = rag_json(tmp_path / "other", "list", RAG_CHROMA_URL=chroma_server)
    assert SEED_ID not in {a["doc_id"] for a in left}


@pytest.mark.slow
def test_a_killed_delete_is_completed_by_running_it_again(tmp_path: Path) -> None:
    """Kill `rag delete` after its first step: the store has no orphan chunks and BM25 is in
    step with Chroma; the same command, run again, finishes the job."""
    data = tmp_path / "data"
    settings = make_settings(data)
    fake = HashEmbedder()
    store = ChunkStore(settings, StoreProfile.of(settings, fake.dimension))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = saudi_records(1500, seed=99, day="2015-08-01")
    (corpus / "day.json").write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    Ingestor(settings, fake, store, index_listeners(settings, store, False)).run([corpus])
    total = store.document_count()
    assert total == 1500
    del store
    SharedSystemClient.clear_system_cache()  # this process reads the store no more

    proc = subprocess.Popen(
        [*RAG_CLI, "delete", "--source", "alriyadh", "--before", "2099-01-01", "--yes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(RAG_DATA_DIR=str(data)),
        cwd=REPO,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # progress: "deleted 64/188" after each step
        if line.startswith("deleted "):
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    doomed = {r["url"] for r in records if r["source"] == "alriyadh"}
    snap = _snapshot(data, fake)
    assert snap["chunk_docs"] <= set(snap["docs"])  # no orphan chunks
    assert snap["bm25"] == snap["chunk_ids"]  # BM25 in step (rebuilt from Chroma if dirty)
    assert len(snap["docs"]) < total  # the kill landed mid-way: some went...
    left = rag_json(data, "list", "--source", "alriyadh")
    assert left, "...and some are left"

    rerun = rag(data, "delete", "--source", "alriyadh", "--before", "2099-01-01", "--yes")
    assert rerun.returncode == 0, rerun.stderr
    final = _snapshot(data, fake)
    assert_consistent(final)
    assert len(final["docs"]) == total - len(doomed)
    assert rag_json(data, "list", "--source", "alriyadh") == []


def test_an_ingest_restores_an_article_whose_delete_was_cut_short(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    fake = HashEmbedder()
    store = ChunkStore(settings, StoreProfile.of(settings, fake.dimension))
    ingestor = Ingestor(settings, fake, store, index_listeners(settings, store, False))
    ingestor.run([SAMPLES])
    record = store.get_docs([SEED_ID])[SEED_ID]
    # What a delete killed after its first two moves leaves: the entry flagged, chunks gone.
    meta = store.registry.get(ids=[f"doc:{SEED_ID}"], include=["metadatas"])["metadatas"][0]
    store.registry.update(ids=[f"doc:{SEED_ID}"], metadatas=[{**meta, "deleting": True}])
    store.chunks.delete(ids=record.chunk_ids)
    assert store.get_docs([SEED_ID])[SEED_ID].deleting
    report = Ingestor(settings, fake, store, index_listeners(settings, store, False)).run([SAMPLES])
    assert report.unchanged == 4 and report.ingested + report.updated == 1, report
    again = store.get_docs([SEED_ID])[SEED_ID]
    assert not again.deleting and again.chunk_ids == record.chunk_ids
    assert len(store.get_chunks(record.chunk_ids)) == len(record.chunk_ids)


def _snapshot(data: Path, embedder) -> dict[str, object]:
    code = (
        "import json, sys; sys.path.insert(0, 'tests');"
        "from conftest import store_snapshot; from fakes import HashEmbedder;"
        f"s = store_snapshot(__import__('pathlib').Path({str(data)!r}), HashEmbedder());"
        "s['chunk_docs'] = sorted(s['chunk_docs']); s['listed'] = sorted(s['listed']);"
        "s['sentence_chunks'] = sorted(s['sentence_chunks']);"
        "print(json.dumps(s))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert out.returncode == 0, out.stderr
    snap = json.loads(out.stdout)
    for key in ("chunk_docs", "listed", "sentence_chunks"):
        snap[key] = set(snap[key])
    return snap


# --- terminals: what is printed from article text acts on no terminal ----------------------


def test_list_and_the_delete_confirmation_print_no_control_or_bidi_characters(
    sample_copy: Path, embedder
) -> None:
    """A store written before ingest cleaned its fields (or by another tool) can hold a
    title with ESC sequences and bidi overrides: `rag list` and the delete confirmation
    print it without them (reliability round three, item 3)."""
    from rag.store.documents import Chunk, Document, DocumentWrite

    settings = make_settings(sample_copy)
    store = ChunkStore(settings, StoreProfile.of(settings, embedder.dimension))
    doc_id = "hostile\x1b]0;pwned\x07-id"
    text = "A short article whose title was stored before fields were cleaned."
    doc = Document(
        doc_id=doc_id,
        text=text,
        title="\x1b[2J\x1b[1A\x1b[2KErased rows \u202eevil\u202c title",
        source="sample",
        date="2024-01-01",
        language="en",
        origin="test",
    )
    meta = {**doc.fields(), "doc_id": doc_id, "position": 0, "start": 0, "end": len(text)}
    chunk = Chunk("hostile-chunk", doc_id, 0, 0, len(text), text, meta)
    vector = embedder.embed_documents([text])
    store.write_documents([DocumentWrite(doc, "hostile-text", [chunk], vector, None)])

    listed = rag(sample_copy, "list")
    assert listed.returncode == 0, listed.stderr
    asked = rag(sample_copy, "delete", doc_id, stdin="n\n")
    assert asked.returncode == 1 and "would delete 1 articles" in asked.stderr, asked.stderr
    for out in (listed.stdout, asked.stderr):
        assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "Erased rows evil title" in listed.stdout
    assert "hostile-id" in asked.stderr  # the OSC sequence is gone whole
