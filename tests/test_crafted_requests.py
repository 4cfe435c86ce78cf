"""Crafted requests against the real running page (reliability round three, items 2 and 7).

One page is launched for the module: served on an open address without a login (so it is
read-only), over a one-article store with the fast tier's embedder. A crafted client calls
the page's own events (hidden from the API docs, but reachable by anyone who writes the
request by hand) with numbers no page sends, and the write events a read-only page refuses.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import free_port, make_settings
from fakes import HashEmbedder

from webui.handlers import ALL_SOURCES

pytestmark = pytest.mark.slow

STORY = "The mayor of Springfield opened a new bridge on Monday, the council said."


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """A crafted gradio_client for the launched read-only page, and its parts."""
    from gradio_client import Client

    from ingest.pipeline import Ingestor
    from rag.wiring import Parts
    from webui.layout import build_app, launch

    work = tmp_path_factory.mktemp("crafted")
    (work / "in").mkdir()
    (work / "in" / "bridge.txt").write_text(STORY, encoding="utf-8")
    settings = make_settings(work / "data", host="0.0.0.0", port=free_port())
    parts = Parts(settings, embedder=HashEmbedder())
    assert Ingestor.from_parts(parts).run([work / "in"]).ingested == 1
    demo = build_app(parts)
    # The page believes it is on an open address; the test binds loopback only.
    launch(demo, settings.model_copy(update={"host": "127.0.0.1"}), prevent_thread_lock=True)
    try:
        client = Client(f"http://127.0.0.1:{settings.port}/", verbose=False)
        yield client, parts
    finally:
        demo.close()


def event(client: Any, elem_id: str, trigger: str) -> int:
    """The fn_index of the page's `trigger` event on `elem_id`, made callable: the client
    refuses the page's private events, a crafted request does not."""
    config = client.config
    (component,) = (c["id"] for c in config["components"] if c["props"].get("elem_id") == elem_id)
    fn = next(d["id"] for d in config["dependencies"] if [component, trigger] in d["targets"])
    client.endpoints[fn].is_valid = True
    return int(fn)


def stored(parts: Any) -> list[str]:
    from rag.store.archive import ArticleQuery

    return [a.doc_id for a in parts.archive.articles(ArticleQuery())]


def refused(client: Any, fn: int, *args: object) -> str:
    """Call `fn` with `args`; the clear error it must end with."""
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as raised:
        client.predict(*args, fn_index=fn)
    return str(raised.value)


def raw(client: Any, fn: int, data: str) -> str:
    """Send `data` (JSON text, so it may hold NaN and Infinity, which gradio_client will not
    encode) to the page's event `fn` as a browser would; the error it ends with."""
    import httpx

    session = uuid.uuid4().hex
    body = f'{{"data": {data}, "fn_index": {fn}, "session_hash": "{session}", "trigger_id": null}}'
    base = client.src.rstrip("/") + "/gradio_api/queue"
    joined = httpx.post(f"{base}/join", content=body, headers={"content-type": "application/json"})
    joined.raise_for_status()
    with httpx.stream("GET", f"{base}/data?session_hash={session}", timeout=30) as events:
        for line in events.iter_lines():
            message = json.loads(line[5:]) if line.startswith("data:") else {}
            if message.get("msg") == "process_completed":
                assert not message["success"], message
                return str(message["output"].get("error"))
    raise AssertionError("the event never completed")


def test_a_crafted_k_gets_a_clear_error(page: tuple[Any, Any]) -> None:
    client, _ = page
    ask = event(client, "rag-send", "click")
    # question, chat, retriever, k, mode, then the date range and the source filter
    huge = refused(
        client,
        ask,
        "who opened a bridge?",
        [],
        "hybrid",
        1_000_000,
        "extractive",
        None,
        None,
        ALL_SOURCES,
    )
    assert "greater than maximum value 20" in huge  # the slider's own bound
    expected = {
        "NaN": "k: must be a whole number from 1 to 50",
        "2.5": "k: must be a whole number from 1 to 50",
        "Infinity": "greater than maximum value 20",
    }
    for k, clear in expected.items():
        message = raw(
            client,
            ask,
            f'["who opened a bridge?", [], [], "hybrid", {k}, "auto", null, null, "{ALL_SOURCES}"]',
        )
        assert clear in message, k


def test_a_crafted_page_number_gets_a_clear_error(page: tuple[Any, Any]) -> None:
    client, _ = page
    search = event(client, "rag-archive-search", "submit")
    following = event(client, "rag-archive-next", "click")
    clear = "page: must be a whole number from 1 to 1000000"
    assert clear in refused(client, search, "", "all · الكل", 10**30)
    assert clear in refused(client, following, 1e300)
    for number in ("Infinity", "NaN", "1e400", "2.5"):
        assert clear in raw(client, search, f'["", "all · الكل", {number}]'), number
        assert clear in raw(client, following, f"[{number}]"), number
    assert "minimum value 1" in raw(client, search, '["", "all · الكل", -Infinity]')


def test_the_article_list_still_answers(page: tuple[Any, Any]) -> None:
    client, _ = page
    table, number, *_ = client.predict(
        "", "all · الكل", 1, fn_index=event(client, "rag-archive-search", "submit")
    )
    assert "Springfield" in table and number == 1


def test_a_read_only_page_refuses_crafted_uploads_and_deletes(page: tuple[Any, Any]) -> None:
    from gradio_client import handle_file

    client, parts = page
    (doc,) = stored(parts)
    upload = event(client, "rag-upload", "upload")
    path = parts.settings.data_dir.parent / "in" / "bridge.txt"
    assert "read-only" in refused(client, upload, [handle_file(str(path))])
    search = event(client, "rag-archive-search", "submit")
    client.predict("", "all · الكل", 1, fn_index=search)  # fills the picker's choices
    assert "read-only" in refused(client, event(client, "rag-archive-delete", "click"), doc)
    assert "read-only" in refused(client, event(client, "rag-archive-yes", "click"), doc)
    assert stored(parts) == [doc]
