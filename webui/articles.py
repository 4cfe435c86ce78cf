"""The Articles tab's archive table: search, pages, and delete with a confirmation.

Built inside `app.build_app`'s Blocks; deletes go through the parts' `Archive` (their store,
the one the assistant reads), so the chat stops citing a deleted article at once.
When RAG_AUTH is set, only a logged-in user may delete (checked on the server); on a
read-only page (`webui.access`) nobody may, and the delete controls are not shown.
Article text reaches the page only through `field_html` (escaped HTML, never Markdown) and
the picker's labels through `plain_field` (no bidi overrides that reorder a title).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import gradio as gr  # this module is imported by build_app only, after Gradio itself

from rag.options import bounded_int
from rag.text.safe import plain_field
from webui.access import READ_ONLY, writes_allowed
from webui.render import field_html

if TYPE_CHECKING:
    from rag.store.archive import Article
    from rag.wiring import Parts

PAGE_SIZE = 20
MAX_PAGE = 1_000_000  # a page number beyond this is a crafted request, not a reader
LANGUAGES = ["all · الكل", "ar", "en"]


def table_html(articles: Sequence[Article], page: int, pages: int, total: int) -> str:
    """One page of the archive as an escaped HTML table."""
    if not articles:
        return '<p class="rag-dim" id="rag-archive-empty">No articles match. · لا توجد مقالات.</p>'
    head = "".join(
        f"<th>{h}</th>"
        for h in ("title · العنوان", "source", "date", "language", "chunks", "doc id")
    )
    rows = "".join(
        f'<tr data-doc="{field_html(a.doc_id)}"><td dir="auto">{field_html(a.title)}</td>'
        f'<td dir="auto">{field_html(a.source)}</td><td>{field_html(a.date[:10])}</td>'
        f"<td>{field_html(a.language)}</td><td>{a.chunks}</td>"
        f'<td dir="ltr" class="rag-dim">{field_html(a.doc_id)}</td></tr>'
        for a in articles
    )
    where = f"page {page} of {pages} · {total} articles · صفحة {page} من {pages}"
    return (
        f'<table class="rag-table rag-archive"><tr>{head}</tr>{rows}</table>'
        f'<p class="rag-dim" id="rag-archive-page">{where}</p>'
    )


def page_of(found: Sequence[Article], page: float | None) -> tuple[list[Article], int, int]:
    """The articles on `page` (clamped to 1..pages), the page and the number of pages."""
    pages = max(1, math.ceil(len(found) / PAGE_SIZE))
    page = min(bounded_int(page or 1, "page", 1, MAX_PAGE), pages)
    return list(found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]), page, pages


def choice(article: Article) -> tuple[str, str]:
    """A dropdown entry: the title (or the id) shown, the doc id as the value. The label is
    plain text: a title's bidi override cannot make it misstate which article it names."""
    label = plain_field(article.title or article.doc_id)
    return (f"{label[:80]} · {plain_field(article.doc_id)[-60:]}", article.doc_id)


def confirm_html(doc_id: str) -> str:
    """The delete confirmation, as escaped HTML (not Markdown: an id `![](https://host/p)`
    is text, not a remote image)."""
    return (
        f'<p dir="auto">Delete <code dir="ltr">{field_html(doc_id)}</code> and all its '
        "passages? This cannot be undone. · هل تريد حذف هذا المقال وكل مقاطعه؟ لا يمكن "
        "التراجع.</p>"
    )


def step(page: float | None, delta: int) -> int:
    """The page before or after `page` (the Previous and Next buttons), bounded as typed."""
    return max(1, bounded_int(page or 1, "page", 1, MAX_PAGE) + delta)


def build(parts: Parts, stats: gr.HTML, show_stats: Callable[[], str]) -> Callable[[Any], Any]:
    """Add the archive table and its delete action to the current Blocks context; returns
    `refresh(event)`, which shows the table again after `event` (tab opened, upload done)."""
    from rag.store.archive import ArticleQuery
    from webui.handlers import page_error, user_errors

    settings = parts.settings
    writable = writes_allowed(settings)

    def show(search: str, language: str, page: float) -> tuple[Any, ...]:
        query = ArticleQuery(
            language=language if language in ("ar", "en") else None, match=search or None
        )
        with user_errors():
            found = parts.archive.articles(query)
            shown, page, pages = page_of(found, page)
        choices = [choice(a) for a in shown]
        return (
            table_html(shown, page, pages, len(found)),
            page,
            gr.update(choices=choices, value=None),
            gr.update(visible=False),
        )

    def ask_confirm(doc_id: str | None) -> tuple[Any, Any]:
        if not writable:
            raise page_error(READ_ONLY)
        if not doc_id:
            raise page_error("Pick an article to delete first. · اختر مقالاً للحذف أولاً.")
        return gr.update(visible=True), confirm_html(doc_id)

    def delete(doc_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        if not writable:
            raise page_error(READ_ONLY)
        if settings.auth and not getattr(request, "username", None):
            raise page_error("Log in to delete articles. · سجّل الدخول لحذف المقالات.")
        if not doc_id:
            raise page_error("Pick an article to delete first. · اختر مقالاً للحذف أولاً.")
        with user_errors():
            report = parts.archive.delete([doc_id])
        if report.deleted:
            done = f"Deleted {doc_id} ({report.chunks} passages). · تم الحذف."
        else:
            done = f"{doc_id} was not in the archive (already deleted?). · غير موجود."
        return gr.update(visible=False), f'<p class="rag-dim">{field_html(done)}</p>'

    with gr.Group():
        with gr.Row(equal_height=True):
            search = gr.Textbox(
                placeholder="Search titles, sources, ids… · ابحث…",
                show_label=False,
                elem_id="rag-archive-search",
                scale=6,
            )
            language = gr.Radio(LANGUAGES, value=LANGUAGES[0], show_label=False, scale=3)
        table = gr.HTML(elem_id="rag-archive", min_height=40)
        with gr.Row(equal_height=True):
            prev = gr.Button("‹ Previous · السابق", elem_id="rag-archive-prev", scale=1)
            # No rounding in the component: a crafted inf or nan reaches `page_of`, whose
            # error names the field, instead of failing inside Gradio without a message.
            page = gr.Number(1, minimum=1, show_label=False, scale=1)
            nxt = gr.Button("Next · التالي ›", elem_id="rag-archive-next", scale=1)
        with gr.Row(equal_height=True, visible=writable):
            pick = gr.Dropdown(
                [], label="Article to delete · مقال للحذف", elem_id="rag-archive-pick", scale=6
            )
            remove = gr.Button(
                "Delete… · احذف…", variant="stop", elem_id="rag-archive-delete", scale=1
            )
        with gr.Row(visible=False, elem_id="rag-archive-confirm") as confirm:
            question = gr.HTML(elem_id="rag-archive-question")
            yes = gr.Button("Yes, delete · نعم، احذف", variant="stop", elem_id="rag-archive-yes")
            no = gr.Button("Cancel · إلغاء", elem_id="rag-archive-no")
        outcome = gr.HTML(elem_id="rag-archive-outcome")

    private = {"api_visibility": "private"}
    inputs = [search, language, page]
    outputs = [table, page, pick, confirm]
    gr.on([search.submit, language.change, page.submit], show, inputs, outputs, **private)

    def moved(delta: int) -> Callable[[float | None], int]:
        def move(p: float | None) -> int:
            with user_errors():
                return step(p, delta)

        return move

    prev.click(moved(-1), page, page, **private).then(show, inputs, outputs, **private)
    nxt.click(moved(1), page, page, **private).then(show, inputs, outputs, **private)
    remove.click(ask_confirm, pick, [confirm, question], **private)
    no.click(lambda: gr.update(visible=False), None, confirm, **private)
    yes.click(
        delete, pick, [confirm, outcome], concurrency_id="ingest", concurrency_limit=1, **private
    ).then(show, inputs, outputs, **private).then(show_stats, None, stats, **private)

    def refresh(event: Any) -> Any:
        return event.then(show, inputs, outputs, **private)

    return refresh
