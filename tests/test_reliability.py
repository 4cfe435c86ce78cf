"""Reliability round two: one bad file or record never costs the rest of an ingest."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import RAG_CLI, SEED, cli_env, make_settings

from ingest.clean import clean_text, defuse_markup, html_to_text
from ingest.formats import parse_markdown
from ingest.readers import iter_records
from rag.settings import Settings

# The standard library's HTML parser asserts on "<![ oops"; a field this deep overflowed the
# recursion of the field reader (now its record fails alone, naming the field).
BAD_HTML = "<html><body><p>An article.</p><![ oops</body></html>"
DEEP_JSON = json.dumps({"title": "deep", "text": json.loads("[" * 400 + '"x"' + "]" * 400)})


def test_a_parser_crash_fails_only_its_file(tmp_path, monkeypatch):
    import ingest.readers

    def crash(text):
        yield from ()
        raise AssertionError("expected name token")  # what html.parser raised on "<!["

    (tmp_path / "bad.html").write_text(BAD_HTML, encoding="utf-8")
    (tmp_path / "deep.json").write_text(DEEP_JSON, encoding="utf-8")
    (tmp_path / "good.txt").write_text("Title\n\nA good article body.", encoding="utf-8")
    monkeypatch.setattr(ingest.readers, "parse_html", crash)
    items = list(iter_records([tmp_path], Settings()))
    failures = {i.where.rsplit("/", 1)[-1]: i.reason for i in items if hasattr(i, "reason")}
    assert "AssertionError: expected name token" in failures["bad.html"]
    assert "field `text` nests arrays or objects more than 100 levels" in failures["deep.json"]
    assert "ingest again" in failures["bad.html"]
    assert [i.fields["text"] for i in items if hasattr(i, "fields")] == ["A good article body."]


def test_html_that_crashed_the_parser_is_read():
    text, _ = html_to_text(BAD_HTML)
    assert "An article." in text


def ingest_cli(corpus: Path, data: Path, strict: bool) -> subprocess.CompletedProcess:
    """`rag ingest CORPUS --json [--strict]` into `data`."""
    return subprocess.run(
        [*RAG_CLI, "ingest", str(corpus), "--json", *(["--strict"] if strict else [])],
        env=cli_env(RAG_DATA_DIR=str(data)),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
@pytest.mark.parametrize(("strict", "code"), [(False, 0), (True, 1)])
def test_the_seed_is_stored_beside_files_that_crashed_the_run(tmp_path, strict, code):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / SEED.name).write_bytes(SEED.read_bytes())
    (corpus / "bad.html").write_text(BAD_HTML, encoding="utf-8")
    (corpus / "deep.json").write_text(DEEP_JSON, encoding="utf-8")
    # A record whose `source` is a lone surrogate ("\ud800", valid JSON) used to fail the
    # Chroma write of its whole batch, the seed included, blaming the disk (round three).
    record = {"id": "lone", "text": "A short article about a port.", "source": "\ud800"}
    (corpus / "lone.json").write_text(json.dumps([record]), encoding="utf-8")
    out = ingest_cli(corpus, tmp_path / "data", strict)
    assert out.returncode == code, out.stderr[-2000:]
    assert "Traceback" not in out.stderr and "free space" not in out.stderr
    report = json.loads(out.stdout)
    # The page that crashed the HTML parser is now read; the JSON too deep to read fails
    # alone; the record with the lone surrogate is one failure line naming its field.
    assert report["ingested"] == 2 and report["failed"] == 2, report
    failures = {Path(f["where"]).name: f["reason"] for f in report["failures"]}
    assert set(failures) == {"deep.json", "lone.json#0"}, failures
    assert "`source`" in failures["lone.json#0"]


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
    from rag.store.chunks import ChunkStore, StoreProfile
    from rag.wiring import load_embedder

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


# --- linear time on crafted input (the time per MB is measured by bench/hostile.py) ---------
MB = 1_000_000
ADVERSARIAL = {
    "trailing blanks": lambda: clean_text("a" + " " * MB + "b"),
    "markdown title of #s": lambda: list(parse_markdown("# " + "#" * MB + "x\n\nbody")),
    "markdown title of blanks": lambda: list(parse_markdown("# a" + " \t" * (MB // 2) + "b\n\nb")),
    "unclosed comments": lambda: html_to_text("<p>x</p>" + "<!--" * (MB // 4)),
    "marked sections": lambda: html_to_text("<p>x</p>" + "<![" * (MB // 3)),
    "unclosed tags": lambda: html_to_text("<p>x</p>" + "<a" * (MB // 2)),
    "closing tags": lambda: html_to_text("<p>x</p>" + "</" * (MB // 2)),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", sorted(ADVERSARIAL))
def test_a_megabyte_of_crafted_input_completes(case):
    ADVERSARIAL[case]()


def test_defused_markup_keeps_real_tags_and_text():
    html = "<p>a < b and <b>bold</b></p><!-- note --><![ oops <a href='x'>link</a>"
    text, _ = html_to_text(html)
    assert "a < b and bold" in text and "link" in text and "note" not in text
    assert defuse_markup("<p>x</p><!-- open") == "<p>x</p>"


# --- bounded metadata ---------------------------------------------------------------------------
def test_huge_metadata_fields_are_capped():
    from ingest.documents import FIELD_LIMITS, to_document
    from ingest.readers import RawRecord

    record = RawRecord(
        {
            "title": "T" * 409_000,
            "source": "S" * 10_000,
            "url": "https://x.example/" + "u" * 10_000 + "\n## heading",
            "date": "2024-01-01" + "9" * 1000,
            "text": "A short body.",
        },
        "feed.json#0",
        0,
    )
    doc = to_document(record, Path("."))
    assert doc is not None
    for field, limit in FIELD_LIMITS.items():
        assert len(getattr(doc, field)) <= limit, field
    assert "\n" not in doc.url
    assert len(doc.text) < 1000


def test_an_overlong_id_fails_its_record_only(tmp_path):
    from fakes import HashEmbedder

    from ingest.pipeline import Ingestor
    from rag.store.chunks import ChunkStore, StoreProfile

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "feed.json").write_text(
        json.dumps([{"id": "x" * 600, "text": "One."}, {"id": "ok", "text": "Two articles."}]),
        encoding="utf-8",
    )
    settings = make_settings(tmp_path / "data")
    embedder = HashEmbedder()
    store = ChunkStore(settings, StoreProfile.of(settings, embedder.dimension))
    report = Ingestor(settings, embedder, store).run([corpus])
    assert report.ingested == 1
    assert "over 512" in report.failures[0]["reason"]


# --- one writer at a time -------------------------------------------------------------------
def test_a_second_writer_waits_then_keeps_the_first_writers_bm25_rows(tmp_path):
    import threading
    import time as clock

    from fakes import HashEmbedder

    from rag.store.bm25_index import Bm25Index
    from rag.store.chunks import ChunkStore, StoreProfile
    from rag.store.write_lock import writer_lock

    settings = make_settings(tmp_path / "data", lock_timeout=30)
    embedder = HashEmbedder()
    store = ChunkStore(settings, StoreProfile.of(settings, embedder.dimension))
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, text in ((first, "Falcons were exported."), (second, "Dates were sold.")):
        folder.mkdir()
        (folder / "a.txt").write_text(f"Title\n\n{text}", encoding="utf-8")
    from ingest.pipeline import Ingestor

    # Both writers open their BM25 index before either writes (as two processes would).
    one = Ingestor(settings, embedder, store, [Bm25Index.open(settings, store)])
    two = Ingestor(settings, embedder, store, [Bm25Index.open(settings, store)])
    reports = {}
    with writer_lock(settings):  # someone else is writing
        thread = threading.Thread(target=lambda: reports.update(two=two.run([second])))
        thread.start()
        clock.sleep(1.0)
        assert thread.is_alive(), "the second writer must wait for the lock"
    thread.join(timeout=60)
    # The first writer's index was opened before the second one saved: it must catch up.
    reports["one"] = one.run([first])
    assert "waits for it" in " ".join(reports["two"].warnings)
    index = Bm25Index.open(settings, store)
    assert len(index) == store.count() == 2
    assert index.search("falcons", 5) and index.search("dates", 5)


def test_bm25_saves_use_unique_temporary_directories(tmp_path):
    from rag.store.bm25_index import Bm25Index

    index = Bm25Index(tmp_path / "bm25")
    index.rows = {"c1": (["falcon"], "en", "", "")}
    index._changed = True
    (tmp_path / "bm25.tmp").mkdir()  # the fixed name an older version used, left by a crash
    index.flush()
    assert (tmp_path / "bm25" / "manifest.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bm25", "bm25.tmp"]


# --- uploads in their own namespace -------------------------------------------------------------
def test_an_upload_cannot_replace_an_article_of_another_origin(tmp_path):
    from fakes import HashEmbedder

    from ingest.pipeline import Ingestor
    from rag.store.chunks import ChunkStore, StoreProfile

    settings = make_settings(tmp_path / "data")
    embedder = HashEmbedder()
    store = ChunkStore(settings, StoreProfile.of(settings, embedder.dimension))
    cli, web = tmp_path / "corpus", tmp_path / "upload"
    cli.mkdir()
    web.mkdir()
    record = {"id": "corpus/feed.json#1", "title": "Port", "text": "The port reopened on Monday."}
    (cli / "feed.json").write_text(json.dumps([record]), encoding="utf-8")
    forged = record | {"text": "Forged: the port closed for good."}
    (web / "feed.json").write_text(json.dumps([forged]), encoding="utf-8")
    Ingestor(settings, embedder, store).run([cli])
    report = Ingestor(settings, embedder, store, namespace="upload/").run([web])
    assert report.ingested == 1 and report.updated == 0
    assert "is not replaced" in report.warnings[0]
    texts = {meta["doc_id"]: text for _, text, meta in store.iter_chunks()}
    assert "reopened" in texts["corpus/feed.json#1"]
    assert "Forged" in texts["upload/corpus/feed.json#1"]


def test_two_uploads_with_one_name_are_two_articles(tmp_path):
    from webui.uploads import copy_uploads

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "news.txt").write_text("T\n\nOne story.", encoding="utf-8")
    (b / "news.txt").write_text("T\n\nAnother story.", encoding="utf-8")
    root = copy_uploads([str(a / "news.txt"), str(b / "news.txt")], tmp_path / "uploads")
    copies = sorted(p.relative_to(root).as_posix() for p in root.rglob("news.txt"))
    assert len(copies) == 2 and copies[0] != copies[1]
    again = copy_uploads([str(a / "news.txt")], tmp_path / "uploads")
    assert next(again.rglob("news.txt")).relative_to(again).as_posix() in copies


# --- fields cannot inject markup into the page ------------------------------------------------
def test_hostile_fields_cannot_end_the_html_block():
    from rag.answer.result import Answer, Citation
    from rag.retrieve.retriever import Passage
    from webui import render

    evil = "x\n\n## Heading\r![t](https://track.example/p.png)\u2028[link](https://evil.example)"
    bidi = "safe\u202etxt.exe\u2066"
    passage = Passage(
        chunk_id="c1",
        doc_id=f"doc{evil}",
        text=f"Body {evil} end.",
        title=f"Title {evil}{bidi}",
        source=f"src{evil}",
        url="",
        date=f"2024{evil}",
        language="en",
        start=0,
        end=10,
        score=1.0,
        dense_score=0.9,
    )
    citation = Citation.of(1, passage, passage.text[:4], (0, 4), 0.9)
    answer = Answer(
        text=f"Claim {evil} [1]",
        mode="extractive",
        citations=[citation],
        notices=[f"note: {evil}"],
        passages=[passage, passage],
    )
    html = render.answer_message(answer, "t1")
    for char in "\n\r\u2028\u2029\u202e\u2066":
        assert char not in html, repr(char)
    assert "<a " not in html.replace('<a class="rag-cite"', "")
    assert "<img" not in html and 'href="https://evil' not in html
    assert render.field_html('"><script>') == "&quot;&gt;&lt;script&gt;"


# --- smaller items ---------------------------------------------------------------------------
def test_failures_listed_are_capped_but_counted(tmp_path):
    from fakes import HashEmbedder

    from ingest.pipeline import Ingestor
    from ingest.report import MAX_FAILURES_LISTED
    from rag.store.chunks import ChunkStore, StoreProfile

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ones.json").write_text(json.dumps([1] * (MAX_FAILURES_LISTED + 500)), "utf-8")
    settings = make_settings(tmp_path / "data")
    embedder = HashEmbedder()
    store = ChunkStore(settings, StoreProfile.of(settings, embedder.dimension))
    report = Ingestor(settings, embedder, store).run([corpus]).to_json()
    assert report["failed"] == MAX_FAILURES_LISTED + 500
    assert len(report["failures"]) == MAX_FAILURES_LISTED
    assert any("only the first" in w for w in report["warnings"])


def test_history_items_are_capped():
    from rag.retrieve.followup import MAX_HISTORY_CHARS, MAX_HISTORY_ITEMS, history_pairs

    history = [{"role": "user", "content": "q" * 100_000}] * (MAX_HISTORY_ITEMS + 100)
    pairs = history_pairs(history)
    assert len(pairs) == MAX_HISTORY_ITEMS
    assert all(len(text) == MAX_HISTORY_CHARS for _, text in pairs)


def test_report_prints_names_that_look_like_markup(capsys):
    from ingest.cli import _print_report

    data = {
        "ingested": 0, "updated": 0, "unchanged": 0, "duplicates": 0, "failed": 1, "chunks": 0,
        "seconds": 0.1, "chunks_per_second": 0.0, "duplicate_docs": [],
        "failures": [{"where": "a.zip!notes[/].json", "reason": "bad [bold]x[/bold]"}],
        "warnings": ["[/] odd"],
    }  # fmt: skip
    _print_report(data)
    out = capsys.readouterr().out
    assert "notes[/].json" in out and "[bold]x[/bold]" in out


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2024-03-12", "2024-03-12"),
        ("Tue, 12 Mar 2024 10:00:00 +0000", "2024-03-12T10:00:00+00:00"),
        ("12/03/2024", "2024-03-12"),
        ("March 12, 2024", "2024-03-12"),
        ("sometime last week", "sometime last week"),
    ],
)
def test_dates_are_stored_as_iso_when_readable(raw, iso):
    from ingest.documents import normalize_date

    assert normalize_date(raw) == iso


def test_unreadable_dates_match_no_date_filter():
    from rag.store.filters import Filters

    f = Filters(date_from="2024-01-01")
    assert f.accepts({"date": "2024-03-12"})
    assert not f.accepts({"date": "Tue, 12 Mar 2024"})  # "T" > "2" as text


def test_the_llm_url_is_shown_without_credentials():
    from rag.answer.llm import redact_url

    assert redact_url("https://user:secret@llm.example/v1") == "https://***@llm.example/v1"
    assert redact_url("http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/v1"


def test_an_archive_cannot_expand_past_its_total_budget(tmp_path):
    import zipfile

    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(5):
            archive.writestr(f"a{i}.txt", f"Title {i}\n\n" + "news text. " * 50_000)
    settings = make_settings(tmp_path / "data", max_zip_total_mb=1.2, max_zip_ratio=1000)
    items = list(iter_records([path], settings))
    read = [i for i in items if hasattr(i, "fields")]
    failures = [i.reason for i in items if hasattr(i, "reason")]
    assert 1 <= len(read) < 5
    assert any("RAG_MAX_ZIP_TOTAL_MB" in r for r in failures)


@pytest.mark.slow
def test_a_slowly_streaming_llm_meets_its_deadline(scripted, sample_data_dir, embedder):
    import time as clock

    from rag.wiring import Parts

    llm = scripted("trickle")
    settings = make_settings(
        sample_data_dir, llm_base_url=llm.url, llm_retries=0, llm_timeout=5, llm_deadline=2
    )
    started = clock.monotonic()
    answer = Parts(settings, embedder=embedder).assistant.ask("what did Erdogan demand?")
    assert clock.monotonic() - started < 30
    assert answer.mode == "extractive"
    assert any("RAG_LLM_DEADLINE" in n for n in answer.notices)


def test_llm_serve_on_a_public_host_warns():
    out = subprocess.run(
        [*RAG_CLI, "llm", "serve", "--host", "0.0.0.0", "--port", "0"],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2  # --port 0 stops it before anything is served
    assert "warning: --host 0.0.0.0 exposes the LLM server" in out.stderr
