"""The web page's guards (reliability round three, items 1, 6, 7 and 8): error toasts are
plain text; uploads are namespaced, bounded by the web's own limits and leave no copies;
the delete confirmation and picker show ids and titles as text; an open address without a
login is read-only; settings from a working directory's `.env` are named."""

from __future__ import annotations

import fcntl
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest
from conftest import make_settings
from fakes import HashEmbedder

from rag.errors import InputError
from rag.store.archive import Article, ArticleQuery
from rag.wiring import Parts
from webui.handlers import Handlers, user_errors

HOSTILE_ID = "![](https://host.example/p) <img src=x onerror=alert(1)> <a href=//e>x</a>"


def quiet(*_: object, **__: object) -> None:
    """Gradio's progress bar, unused here."""


def handlers(tmp_path: Path, **overrides: object) -> Handlers:
    return Handlers(Parts(make_settings(tmp_path / "data", **overrides), embedder=HashEmbedder()))


def stored(h: Handlers) -> list[str]:
    return sorted(a.doc_id for a in h.parts.archive.articles(ArticleQuery()))


def write(path: Path, text: str | bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return str(path)


def feed(path: Path, *records: dict[str, str]) -> str:
    return write(path, json.dumps(list(records)))


def article(doc_id: str, text: str) -> dict[str, str]:
    return {"id": doc_id, "title": doc_id[:40], "text": text}


# --- item 1: errors on the page are plain text ------------------------------------------
def test_an_error_toast_shows_an_ids_markup_as_text() -> None:
    with pytest.raises(gr.Error) as raised, user_errors():
        raise InputError(HOSTILE_ID, "bad\u202e record")
    message = raised.value.message
    assert "<img" not in message and "<a " not in message and "\u202e" not in message
    assert "&lt;img src=x onerror=alert(1)&gt;" in message


# --- item 6: uploads ----------------------------------------------------------------------
def test_an_own_id_under_upload_cannot_replace_another_upload(tmp_path: Path) -> None:
    h = handlers(tmp_path)
    first = write(tmp_path / "in" / "note.txt", "The mayor of Springfield opened a bridge.")
    h.add_articles([first], progress=quiet)
    (victim,) = stored(h)
    assert victim.startswith("upload/") and victim.endswith("/note.txt")
    hostile = feed(
        tmp_path / "in" / "hostile.json",
        article(victim, "Forged text that replaces the mayor's bridge story."),
        article(victim.removeprefix("upload/"), "Forged text in the form of a file's place."),
        article("mine", "A record with its own id about a harbour in Springfield."),
    )
    report, _ = h.add_articles([hostile], progress=quiet)
    assert stored(h) == sorted([victim, "upload/" + victim, "upload/mine"])
    chunks = [c for c in h.parts.store.iter_chunks() if c[2]["doc_id"] == victim]
    assert chunks and all("Forged" not in text for _, text, _ in chunks)
    assert "form of an uploaded file" in report  # the second record is one failure line


def test_the_web_has_its_own_limits(tmp_path: Path) -> None:
    h = handlers(tmp_path, max_upload_files=2, max_upload_total_mb=0.05, max_upload_mb=0.04)
    small = [write(tmp_path / "in" / f"{i}.txt", f"Story {i} about a harbour.") for i in "abc"]
    with pytest.raises(gr.Error, match="RAG_MAX_UPLOAD_FILES"):
        h.add_articles(small, progress=quiet)
    big = [write(tmp_path / "in" / f"big{i}.txt", "harbour news " * 2500) for i in "12"]
    with pytest.raises(gr.Error, match="RAG_MAX_UPLOAD_TOTAL_MB"):
        h.add_articles(big, progress=quiet)
    with pytest.raises(gr.Error, match="RAG_MAX_UPLOAD_MB"):
        h.add_articles([write(tmp_path / "in" / "huge.txt", "harbour " * 8000)], progress=quiet)
    # An archive within the per-file bound that expands past the upload's bound (the CLI's
    # RAG_MAX_ZIP_TOTAL_MB is 2,000 MB): its later members are not read, and the line says
    # which web setting stopped them.
    words = " ".join(f"w{i * 7919 % 100003}" for i in range(4000))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", "First story. " + words)
        archive.writestr("b.txt", "Second story. " + words)
    assert len(buffer.getvalue()) < 0.04 * 2**20
    report, _ = h.add_articles([write(tmp_path / "in" / "news.zip", buffer.getvalue())], quiet)
    assert "RAG_MAX_UPLOAD_TOTAL_MB" in report and "RAG_MAX_ZIP_TOTAL_MB" not in report
    assert [d.rsplit("!", 1)[-1] for d in stored(h)] == ["a.txt"]


def test_a_failed_copy_leaves_nothing_and_leftovers_go_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = handlers(tmp_path)
    uploads = h.settings.data_dir / "uploads"
    files = [write(tmp_path / "in" / f"{i}.txt", f"Story {i} about a harbour.") for i in "ab"]

    def disk_full(src: str, dst: Path) -> None:
        if str(dst).endswith("b.txt"):
            raise OSError(28, "No space left on device")
        Path(dst).write_bytes(Path(src).read_bytes())

    monkeypatch.setattr("webui.uploads.shutil.copyfile", disk_full)
    with pytest.raises(gr.Error, match="could not copy the upload"):
        h.add_articles(files, progress=quiet)
    assert list(uploads.iterdir()) == []
    # A killed ingest leaves its copy (its lock died with it); one in use by another
    # server stays.
    killed, busy = uploads / "web-killed", uploads / "web-busy"
    for work in (killed, busy):
        write(work / "upload" / "0123456789ab" / "a.txt", "left behind")
        (work / ".in-use").touch()
    with open(busy / ".in-use") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        handlers(tmp_path)
        assert sorted(p.name for p in uploads.iterdir()) == ["web-busy"]


def test_the_picker_and_the_confirmation_show_text() -> None:
    from webui.articles import choice, confirm_html

    title = "Budget approved \u202etxt.exe\u202c \u2067x\u2069"
    label, value = choice(Article("upload/\u202eid", title, "s", "2024-01-01", "en", 1))
    assert value == "upload/\u202eid"  # the value names the stored article exactly
    assert not set(label) & {"\u202e", "\u202c", "\u2067", "\u2069"}
    assert "txt.exe" in label
    html = confirm_html(HOSTILE_ID)
    assert "<img" not in html and "<a " not in html and "&lt;img" in html


# --- item 7: an open address without a login is read-only --------------------------------
@pytest.fixture(scope="module")
def open_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Handlers, gr.Blocks]]:
    from webui.layout import build_app

    parts = Parts(
        make_settings(tmp_path_factory.mktemp("open") / "data", host="0.0.0.0"),
        embedder=HashEmbedder(),
    )
    yield Handlers(parts), build_app(parts)


def test_an_open_address_without_login_is_read_only(
    tmp_path: Path, open_page: tuple[Handlers, gr.Blocks]
) -> None:
    from webui.access import is_loopback

    h, demo = open_page
    note = write(tmp_path / "in" / "note.txt", "The mayor of Springfield opened a bridge.")
    with pytest.raises(gr.Error, match="read-only"):
        h.add_articles([note], progress=quiet)
    assert stored(h) == []
    blocks = {getattr(b, "elem_id", None): b for b in demo.blocks.values()}
    assert blocks["rag-upload"].visible is False and "rag-read-only" in str(
        [b.value for b in demo.blocks.values() if isinstance(b, gr.HTML)]
    )
    # The delete confirmation is HTML (escaped text), never Markdown.
    assert isinstance(blocks["rag-archive-question"], gr.HTML)
    assert not any(isinstance(b, gr.Markdown) and not b.value for b in demo.blocks.values())
    for writable in ({"auth": "editor:s3cret"}, {"allow_anonymous_writes": True}):
        h2 = handlers(tmp_path / str(len(writable)), host="0.0.0.0", **writable)
        h2.add_articles([note], progress=quiet)
        assert len(stored(h2)) == 1
    assert all(map(is_loopback, ["127.0.0.1", "127.3.0.1", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.5", "::", "example.org"]))


def test_rag_serve_says_an_open_page_is_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer
    from typer.testing import CliRunner

    import webui.serve

    launched: list[object] = []
    monkeypatch.setattr(webui.serve, "build_app", lambda parts: parts.settings)
    monkeypatch.setattr(webui.serve, "launch", lambda demo, settings: launched.append(settings))
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    for name in ("RAG_AUTH", "RAG_ALLOW_ANONYMOUS_WRITES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    cli = typer.Typer()
    cli.command("noop")(lambda: None)
    webui.serve.register(cli)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "7999"])
    assert result.exit_code == 0 and len(launched) == 1
    assert "the page is read-only" in " ".join(result.output.split())
    monkeypatch.setenv("RAG_ALLOW_ANONYMOUS_WRITES", "true")
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "7999"])
    assert "anyone who reaches it can upload and delete" in " ".join(result.output.split())


# --- item 8: a working directory's .env is named ------------------------------------------
def test_settings_from_a_dotenv_file_are_named_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rag.cli import settings_from_env

    for name in ("RAG_LLM_BASE_URL", "RAG_TOP_K", "RAG_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAG_TOP_K", "4")  # the environment wins: not from .env
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "RAG_LLM_BASE_URL=http://attacker.example/v1\nrag_llm_api_key=sk-secret\n"
        "RAG_TOP_K=9\nUNRELATED=1\n",
        encoding="utf-8",
    )
    settings = settings_from_env()
    assert settings.llm_base_url == "http://attacker.example/v1" and settings.top_k == 4
    err = capsys.readouterr().err
    assert "RAG_LLM_API_KEY, RAG_LLM_BASE_URL" in err and ".env" in err
    assert "attacker" not in err and "sk-secret" not in err and "RAG_TOP_K" not in err
    (tmp_path / ".env").unlink()
    settings_from_env()
    assert capsys.readouterr().err == ""
