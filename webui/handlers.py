"""What the web page's events do: answer, answer over the API, show stats, add articles.

Every domain error becomes a `gr.Error` (the page's error toast) in one place,
`user_errors`; the chat also shows it as a notice in the answer bubble. Gradio renders a
toast's message as HTML, so every message goes through `page_error`, which escapes it: an
article's id or title in an error shows as text, never as an image, a link or a style.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

import gradio as gr  # imported by build_app only, after Gradio itself

from rag.answer.result import Answer, Status
from rag.errors import RagError
from rag.store.filters import Filters
from rag.store.stats import corpus_stats
from webui import render
from webui.access import READ_ONLY, writes_allowed
from webui.upload_ingest import NAMESPACE, UploadIngestor
from webui.uploads import (
    clean_leftovers,
    copy_uploads,
    run_with_progress,
    upload_dir,
    upload_problem,
    upload_reason,
)

if TYPE_CHECKING:
    from rag.wiring import Parts


def page_error(message: str) -> gr.Error:
    """The page's error toast for `message`, as plain text: Gradio renders the message as
    HTML, so it is escaped (controls and bidi overrides dropped, as everywhere on the page)."""
    return gr.Error(render.text_html(message))


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """A domain error, shown to the user as Gradio's error toast (its message only)."""
    try:
        yield
    except RagError as exc:
        raise page_error(str(exc)) from None


ALL_SOURCES = "(all) · (الكل)"


def chat_filters(date_from: str | None, date_to: str | None, source: str | None) -> Filters:
    """The chat's date range and source as retrieval filters; a date that is not a
    YYYY-MM-DD day is the reader's error, said on the page."""
    days = []
    for label, value in (("From", date_from), ("To", date_to)):
        value = (value or "").strip()[:10] or None
        if value is not None:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise page_error(
                    f"{label}: {value!r} is not a date; pick one or type YYYY-MM-DD. "
                    "· اكتب التاريخ بالشكل YYYY-MM-DD."
                ) from None
        days.append(value)
    if days[0] and days[1] and days[0] > days[1]:
        raise page_error("The date range starts after it ends. · يبدأ النطاق بعد نهايته.")
    picked = (source or "").strip()
    return Filters(None, None if picked in ("", ALL_SOURCES) else picked, days[0], days[1])


class Handlers:
    """The event handlers over one set of `Parts` (shared by every session)."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.settings = parts.settings
        self.assistant = parts.assistant  # built now: a broken prompt file fails at start
        self.writable = writes_allowed(self.settings)
        clean_leftovers(self.settings.data_dir / "uploads")  # copies a killed ingest left
        chat_model = parts.chat_model
        if chat_model is not None:
            chat_model.identify()  # the header names the served model
            self.llm = self.mode_line = f"LLM: {chat_model.name}"
        else:
            self.mode_line = "answers quote the articles (no LLM) · الإجابات اقتباسات من المقالات"
            self.llm = "quoted from the articles (extractive; set RAG_LLM_BASE_URL for an LLM)"

    def respond(
        self,
        question: str,
        chat: list,
        history: list,
        retriever: str,
        k: float,
        mode: str,
        date_from: str | None = None,
        date_to: str | None = None,
        source: str | None = None,
    ) -> Iterator[tuple[Any, Any, Any]]:
        """Stream an answer into the chat: the question, the growing text, the final card.
        The session's date range and source filter the articles it reads."""
        question = (question or "").strip()
        if not question:
            raise page_error("Type a question about the articles. · اكتب سؤالاً عن المقالات.")
        filters = chat_filters(date_from, date_to, source)
        chat = [
            *chat,
            {"role": "user", "content": render.user_message(question)},
            {"role": "assistant", "content": render.streaming_message("")},
        ]
        yield "", chat, history
        partial, answer = "", None
        stream = self.assistant.ask_stream(
            question, history, k=k, retriever=retriever, mode=mode, filters=filters
        )
        try:
            for item in stream:
                if isinstance(item, Answer):
                    answer = item
                    continue
                # A Status says what the LLM reads until its first word; text grows.
                status = item.text if isinstance(item, Status) else ""
                partial += item if isinstance(item, str) else ""
                chat[-1] = {
                    "role": "assistant",
                    "content": render.streaming_message(partial, status=status),
                }
                yield gr.skip(), chat, history
        except RagError as exc:
            chat[-1] = {"role": "assistant", "content": render.notice_html(f"error: {exc}")}
            yield gr.skip(), chat, history
            raise page_error(str(exc)) from None
        assert answer is not None
        turn = uuid.uuid4().hex[:8]
        chat[-1] = {"role": "assistant", "content": render.answer_message(answer, turn)}
        history = [
            *history,
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.text},
        ]
        yield gr.skip(), chat, history

    def chat(self, question: str, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Answer a question (history: earlier {"role", "content"} messages) as rag ask --json."""
        with user_errors():
            return self.assistant.ask(question, history or None).to_json()

    def show_stats(self) -> str:
        with user_errors():
            return render.stats_html(corpus_stats(self.parts.store), self.llm)

    def add_articles(
        self, paths: list[str] | None, progress: Any = gr.Progress()
    ) -> tuple[Any, Any]:
        """Ingest uploaded files (each under `upload/<content hash>/<name>`) within the web's
        own limits; the report and the stats. Refused on a read-only page."""
        if not self.writable:
            raise page_error(READ_ONLY)
        if not paths:
            return gr.skip(), gr.skip()
        settings = self.settings
        problem = upload_problem(paths, settings)
        if problem is not None:
            raise page_error(str(problem))
        with upload_dir(settings.data_dir / "uploads") as work:
            try:
                root = copy_uploads(paths, work)
            except OSError as exc:
                raise page_error(f"could not copy the upload into RAG_DATA_DIR: {exc}") from None
            with user_errors():
                ingestor = UploadIngestor.from_parts(self.parts, namespace=NAMESPACE)
                report = run_with_progress(ingestor, root, len(paths), progress)
        data = report.to_json()
        for fail in data["failures"]:
            fail["where"] = fail["where"].replace(str(work) + os.sep, "")
            fail["reason"] = upload_reason(fail["reason"], settings)
        return render.report_html(data), self.show_stats()
