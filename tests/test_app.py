"""The web chat: HTML rendering (fast), and `rag serve` driven through gradio_client (slow).

The browser tests are in test_app_browser.py.
"""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import SAMPLES, free_port, make_settings, start_serve
from typer.testing import CliRunner

import app
from rag.answer.result import Answer, Citation
from rag.retrieve.retriever import Passage
from webui import render

XSS = "<script>alert(1)</script> and <img src=x onerror=alert(2)>"


def _passage(text: str, **meta: str) -> Passage:
    fields = {"title": "T", "source": "", "url": "", "date": "", **meta}
    return Passage(
        chunk_id="c1",
        doc_id="d1",
        text=text,
        language="en",
        start=0,
        end=len(text),
        score=0.5,
        dense_score=0.9,
        **fields,
    )


def _answer(text: str, passage: Passage, supporting: str, **kw: object) -> Answer:
    start = passage.text.index(supporting)
    cite = Citation.of(1, passage, supporting, (start, start + len(supporting)), 0.9)
    return Answer(text=text, mode="extractive", citations=[cite], passages=[passage], **kw)


# --- rendering (fast) ------------------------------------------------------------------
def test_article_text_is_escaped_everywhere() -> None:
    passage = _passage(f"Intro. The mayor said {XSS} today.", title=XSS, source=XSS)
    answer = _answer(f"The mayor said {XSS} today. [1]", passage, f"The mayor said {XSS} today.")
    answer.notices = [f"llm_fallback: {XSS}"]
    html = render.answer_message(answer, "t1") + render.user_message(XSS)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_supporting_sentence_is_marked_and_markers_link_to_sources() -> None:
    passage = _passage("First line.\n\nErdogan demanded a withdrawal. Then more.")
    answer = _answer(
        "Erdogan demanded a withdrawal. [1] [7]", passage, "Erdogan demanded a withdrawal."
    )
    html = render.answer_message(answer, "ab12")
    assert "<mark>Erdogan demanded a withdrawal.</mark>" in html
    assert 'href="#rag-ab12-1"' in html and 'id="rag-ab12-1"' in html
    assert "[7]" in html and "rag-ab12-7" not in html  # an uncited number is not linked
    assert "First line.<br><br>" in html
    assert "\n\n" not in html  # a blank line would end the Markdown HTML block


def test_uncited_passages_are_collapsed_and_labels_follow_the_language() -> None:
    cited = _passage("أردوغان طالب بالانسحاب.", title="مطالب أردوغان")
    other = _passage("نص آخر.")
    answer = _answer("أردوغان طالب بالانسحاب. [1]", cited, "أردوغان طالب بالانسحاب.")
    answer.passages = [cited, other]
    answer.language = "ar"
    html = render.answer_message(answer, "x")
    assert "المصادر" in html
    assert '<details class="rag-more"><summary>مقاطع أخرى مسترجعة (1)</summary>' in html
    assert 'id="rag-x-2"' in html.split("<details", 1)[1]
    assert html.startswith('<div class="rag-msg rag-answer" dir="rtl">')
    assert 'id="rag-x-1" dir="rtl"' in html


def test_mixed_language_answer_gets_one_paragraph_per_direction() -> None:
    passage = _passage("عرض لافروف استضافة المحادثات. Lavrov offered talks in Moscow.")
    text = "عرض لافروف استضافة المحادثات. [1] Lavrov offered talks in Moscow. [1]"
    answer = _answer(text, passage, "Lavrov offered talks in Moscow.")
    html = render.answer_message(answer, "m")
    assert html.count('<div class="rag-para" dir="auto">') == 2
    same = _answer("One. [1] Two. [1]", _passage("One. Two."), "Two.")
    assert "rag-para" not in render.answer_message(same, "s")


def test_only_http_urls_become_links() -> None:
    labels = render.LABELS["en"]
    good = render._meta("Reuters", "2024-05-20T10:00", "https://example.org/a", "d", labels)
    assert 'href="https://example.org/a"' in good and "2024-05-20 " in good + " "
    bad = render._meta("", "", "javascript:alert(1)", "doc/1", labels)
    assert "href" not in bad and "doc/1" in bad


def test_highlight_falls_back_to_finding_the_sentence() -> None:
    assert render.highlighted("a b. c d.", (99, 120), "c d.") == "a b. <mark>c d.</mark>"
    assert render.highlighted("<b>x</b>", (0, 0), "nowhere") == "&lt;b&gt;x&lt;/b&gt;"


def test_report_and_stats_escape_file_names() -> None:
    report = {"ingested": 1, "failed": 1, "failures": [{"where": XSS, "reason": "bad"}]}
    html = render.report_html(report)
    assert "<script" not in html and "failed: &lt;script&gt;" in html
    stats = {"documents": 3, "chunks": 9, "languages": {"ar": 2}, "sources": {XSS: 1}}
    html = render.stats_html(stats, "extractive")
    assert 'data-stat="documents">3<' in html and "<script" not in html


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        ("..", "upload"),
        (".bashrc", "bashrc"),
        ("تقرير الاقتصاد.json", "تقرير الاقتصاد.json"),
        ("a<b>|c.txt", "a_b_c.txt"),
    ],
)
def test_safe_filename_stays_in_the_upload_dir(name: str, expected: str) -> None:
    assert app.safe_filename(name) == expected


def test_serve_command_is_registered() -> None:
    cli = typer.Typer()
    cli.command("noop")(lambda: None)
    app.register(cli)
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output
    assert "web chat" in result.output


# --- `rag serve` through gradio_client (slow) ------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sample_data_dir: Path) -> Iterator[str]:
    """`rag serve` in a subprocess, on a copy of the sample store."""
    work = tmp_path_factory.mktemp("serve")
    data = work / "data"
    shutil.copytree(sample_data_dir, data)
    log = open(work / "serve.log", "w+b")  # noqa: SIM115 - read back on failure
    proc, url = start_serve(data, log)
    try:
        log.seek(0)
        assert url.rstrip("/") in log.read().decode(errors="replace")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_the_page_is_built_from_the_parts(tmp_path: Path, fake_embedder: Any) -> None:
    """`build_app` and the handlers take the `Parts`; an upload is ingested the one way
    (`Ingestor.from_parts`, under upload/) into its own copy of the BM25 index, and the
    chat's retriever swaps the saved index in before the next question."""
    from ingest.pipeline import Ingestor
    from rag.store.archive import ArticleQuery
    from rag.wiring import Parts
    from webui.handlers import Handlers

    parts = Parts(make_settings(tmp_path / "data"), embedder=fake_embedder)
    Ingestor.from_parts(parts).run([SAMPLES])
    app.build_app(parts)
    handlers = Handlers(parts)
    answering = parts.retriever.bm25
    note = tmp_path / "note.txt"
    note.write_text("The mayor of Springfield opened a new bridge on Monday.", encoding="utf-8")
    report, stats = handlers.add_articles([str(note)], progress=lambda *a, **k: None)
    assert '"rag-num">1</div><div class="rag-lbl">ingested' in report
    assert 'data-stat="documents">6<' in stats
    uploaded = [a.doc_id for a in parts.archive.articles(ArticleQuery(match="note.txt"))]
    assert len(uploaded) == 1 and uploaded[0].startswith("upload/")
    assert parts.retriever.bm25 is answering  # the upload never wrote the index in use
    handlers.chat("who opened a bridge in Springfield?")
    assert parts.retriever.bm25 is not answering
    found = parts.retriever.retrieve("Springfield bridge mayor", k=1, mode="bm25")
    assert [p.doc_id for p in found] == uploaded


@pytest.fixture(scope="module")
def client(served: str) -> Any:
    from gradio_client import Client

    return Client(served, verbose=False, download_files=False)


@pytest.mark.slow
def test_chat_api_answers_in_both_languages_with_citations(client: Any) -> None:
    assert "/chat" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    en = client.predict("what did Erdogan demand?", None, api_name="/chat")
    assert en["language"] == "en" and "withdraw" in en["answer"].lower()
    assert en["citations"] and en["citations"][0]["supporting"] in en["citations"][0]["text"]
    ar = client.predict("ماذا طالب أردوغان؟", api_name="/chat")
    assert ar["language"] == "ar" and "[1]" in ar["answer"]
    assert any("أردوغان" in c["supporting"] for c in ar["citations"])


@pytest.mark.slow
def test_chat_api_follow_up_uses_the_history(client: Any) -> None:
    first = client.predict("what did Erdogan demand?", [], api_name="/chat")
    history = [
        {"role": "user", "content": "what did Erdogan demand?"},
        {"role": "assistant", "content": first["answer"]},
    ]
    follow = client.predict("and what did Lavrov offer?", history, api_name="/chat")
    assert "what did Erdogan demand?" in follow["query"]
    assert "Moscow" in follow["answer"] and follow["citations"]


@pytest.mark.slow
def test_chat_api_error_is_a_clean_message(client: Any) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="question: is empty"):
        client.predict("   ", api_name="/chat")


@pytest.mark.slow
def test_twenty_users_at_once_all_get_answers(served: str) -> None:
    from gradio_client import Client

    questions = ["what did Erdogan demand?", "ماذا طالب أردوغان؟"] * 10

    def ask(question: str) -> dict:
        return Client(served, verbose=False).predict(question, api_name="/chat")

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(ask, questions))
    assert all(a["citations"] for a in answers)


@pytest.mark.slow
def test_login_required_when_auth_is_set(sample_copy: Path, embedder: Any) -> None:
    from gradio_client import Client

    from rag.wiring import Parts

    settings = make_settings(sample_copy, auth="editor:s3cret", port=free_port())
    demo = app.build_app(Parts(settings, embedder=embedder))
    app.launch(demo, settings, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{settings.port}/"
    try:
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(url + "config", timeout=10)
        assert denied.value.code == 401
        with pytest.raises(ValueError):
            Client(url, verbose=False)
        answer = Client(url, auth=("editor", "s3cret"), verbose=False).predict(
            "what did Erdogan demand?", api_name="/chat"
        )
        assert answer["citations"]
    finally:
        demo.close()


def test_archive_table_pages_and_escapes() -> None:
    from rag.store.archive import Article
    from webui.articles import PAGE_SIZE, page_of, table_html

    found = [Article(f"id-{i}", f"<b>t{i}</b>", "s", "2024-01-01", "en", 1) for i in range(45)]
    shown, page, pages = page_of(found, 3)
    assert (page, pages) == (3, 3) and [a.doc_id for a in shown] == [
        "id-40",
        *[f"id-{i}" for i in range(41, 45)],
    ]
    assert page_of(found, 99)[1] == 3 and page_of(found, 0)[1] == 1 and page_of([], 5)[1:] == (1, 1)
    assert len(page_of(found, 1)[0]) == PAGE_SIZE
    html = table_html(shown, page, pages, len(found))
    assert (
        "<b>" not in html
        and "&lt;b&gt;t40&lt;/b&gt;" in html
        and "page 3 of 3 · 45 articles" in html
    )
    assert "No articles match" in table_html([], 1, 1, 0)
