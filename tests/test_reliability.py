"""Reliability round two: one bad file or record never costs the rest of an ingest."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import RAG_CLI, SEED, cli_env

from ingest.readers import iter_records
from rag.settings import Settings

# The standard library's HTML parser asserts on "<![ oops"; JSON this deep overflows the
# recursion of the field reader.
BAD_HTML = "<html><body><p>An article.</p><![ oops</body></html>"
DEEP_JSON = json.dumps({"title": "deep", "text": json.loads("[" * 400 + '"x"' + "]" * 400)})


def test_a_parser_crash_fails_only_its_file(tmp_path):
    (tmp_path / "bad.html").write_text(BAD_HTML, encoding="utf-8")
    (tmp_path / "deep.json").write_text(DEEP_JSON, encoding="utf-8")
    (tmp_path / "good.txt").write_text("Title\n\nA good article body.", encoding="utf-8")
    items = list(iter_records([tmp_path], Settings()))
    failures = {i.where.rsplit("/", 1)[-1]: i.reason for i in items if hasattr(i, "reason")}
    assert "AssertionError" in failures["bad.html"]
    assert "RecursionError" in failures["deep.json"]
    assert "ingest again" in failures["bad.html"]
    assert [i.fields["text"] for i in items if hasattr(i, "fields")] == ["A good article body."]


@pytest.mark.slow
@pytest.mark.parametrize(("strict", "code"), [(False, 0), (True, 1)])
def test_the_seed_is_stored_beside_a_crashing_html_file(tmp_path, strict, code):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / SEED.name).write_bytes(SEED.read_bytes())
    (corpus / "bad.html").write_text(BAD_HTML, encoding="utf-8")
    (corpus / "deep.json").write_text(DEEP_JSON, encoding="utf-8")
    out = subprocess.run(
        [*RAG_CLI, "ingest", str(corpus), "--json", *(["--strict"] if strict else [])],
        env=cli_env(RAG_DATA_DIR=str(tmp_path / "data")),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == code, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    report = json.loads(out.stdout)
    assert report["ingested"] == 1 and report["failed"] == 2
    assert {f["where"].rsplit("/", 1)[-1] for f in report["failures"]} == {"bad.html", "deep.json"}


# --- records that shift in a multi-record file ------------------------------------------------
ARTICLES = {
    "A": (
        "Falcon exports rise",
        "Qatar's falcon breeders exported 812 falcons in March, a record.",
    ),
    "B": ("Desert rail test", "The Hejaz desert rail line carried its first 40 test passengers."),
    "C": ("Coral survey", "Divers counted 19 new coral colonies off the coast of Farasan."),
    "Z": ("Date market", "The Unaizah date market sold 3,000 tonnes of Sukkari dates."),
}


def _feed(path, keys, with_ids=False):
    records = [
        {"title": ARTICLES[k][0], "text": ARTICLES[k][1]}
        | ({"id": f"corpus/feed.json#{i}"} if with_ids else {})
        for i, k in enumerate(keys)
    ]
    path.write_text(json.dumps(records), encoding="utf-8")


def _ingest(corpus, data):
    out = subprocess.run(
        [*RAG_CLI, "ingest", str(corpus), "--json"],
        env=cli_env(RAG_DATA_DIR=str(data)),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout)


def _stored_texts(data):
    from conftest import make_settings

    from rag.embedder import load_embedder
    from rag.store import ChunkStore, StoreProfile

    settings = make_settings(data)
    store = ChunkStore(settings, StoreProfile.of(settings, load_embedder(settings).dimension))
    texts: dict[str, str] = {}
    for _, text, meta in store.iter_chunks():
        texts[meta["doc_id"]] = texts.get(meta["doc_id"], "") + text
    return texts


@pytest.mark.slow
def test_a_record_inserted_in_front_loses_no_article(tmp_path):
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir()
    _feed(corpus / "feed.json", "ABC")
    assert _ingest(corpus, data)["ingested"] == 3
    _feed(corpus / "feed.json", "ZABC")
    report = _ingest(corpus, data)
    assert (report["ingested"], report["unchanged"], report["updated"]) == (1, 3, 0)
    assert report["duplicates"] == 0
    texts = _stored_texts(data)
    assert len(texts) == 4
    for _, body in ARTICLES.values():
        assert any(body in t for t in texts.values()), body
    # Each article is still found and quoted.
    out = subprocess.run(
        [*RAG_CLI, "ask", "How many falcons did Qatar's breeders export in March?", "--json"],
        env=cli_env(RAG_DATA_DIR=str(data)),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    answer = json.loads(out.stdout)
    assert answer["mode"] == "extractive" and "812" in answer["answer"]


@pytest.mark.slow
def test_a_store_with_positional_ids_is_not_rekeyed_into_duplicates(tmp_path):
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir()
    _feed(corpus / "feed.json", "ABC", with_ids=True)  # what earlier versions stored
    assert _ingest(corpus, data)["ingested"] == 3
    _feed(corpus / "feed.json", "ZABC")
    report = _ingest(corpus, data)
    assert (report["ingested"], report["unchanged"], report["duplicates"]) == (1, 3, 0)
    assert sorted(_stored_texts(data))[:3] == [f"corpus/feed.json#{i}" for i in range(3)]
