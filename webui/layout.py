"""The web page: its layout and which handler each event runs (`webui.handlers`).

Gradio is imported inside `build_app` and `launch`: every `rag` command loads `app.py`
(which re-exports these) to find its `serve` command, and importing Gradio costs seconds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.options import ASK_MODES, RETRIEVER_MODES

if TYPE_CHECKING:
    import gradio as gr

    from rag.settings import Settings
    from rag.wiring import Parts

WEBUI = Path(__file__).resolve().parent
EXAMPLES = [
    "what did Erdogan demand?",
    "ماذا طالب أردوغان؟",
    "Who called for a ceasefire in Nagorno-Karabakh?",
    "ما هو سعر الفائدة الذي قرره البنك المركزي؟",
]
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".csv", ".zip"]
QUEUE_PER_WORKER = 32  # waiting requests allowed per concurrent answer before "queue full"


def launch(demo: gr.Blocks, settings: Settings, **kwargs: Any) -> Any:
    """Launch `demo` as configured: host, port, login, upload limit, styles (tests pass
    prevent_thread_lock=True)."""
    import gradio as gr

    auth = tuple(settings.auth.split(":", 1)) if settings.auth else None
    return demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,
        max_file_size=f"{settings.max_upload_mb:g}mb",
        theme=gr.themes.Soft(
            primary_hue="teal",
            font=["system-ui", "Segoe UI", "Noto Sans Arabic", "Tahoma", "sans-serif"],
            font_mono=["ui-monospace", "monospace"],
        ),
        css=(WEBUI / "style.css").read_text(encoding="utf-8"),
        js=(WEBUI / "app.js").read_text(encoding="utf-8"),
        **kwargs,
    )


def build_app(parts: Parts) -> gr.Blocks:
    """The Blocks app over one set of `Parts` (shared by every session)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    from rag.answer.assistant import MAX_QUESTION_CHARS
    from rag.store.stats import corpus_stats
    from webui import articles, render
    from webui.access import READ_ONLY
    from webui.handlers import ALL_SOURCES, Handlers

    settings = parts.settings
    handlers = Handlers(parts)
    with gr.Blocks(
        title="News assistant · مساعد الأخبار",
        analytics_enabled=False,
        delete_cache=(3600, 3600),  # Gradio's copies of uploaded files: gone within the hour
    ) as demo:
        history = gr.State([])
        gr.HTML(
            '<div class="rag-header"><div class="rag-top">'
            '<a href="#" id="rag-lang" role="button">العربية</a></div>'
            "<h1>News assistant · مساعد الأخبار</h1>"
            '<p class="rag-en" dir="auto">Ask in Arabic or English: every answer cites its '
            "articles.</p>"
            '<p class="rag-ar" dir="auto">اسأل بالعربية أو بالإنجليزية: كل إجابة تذكر مصادرها '
            "من المقالات.</p>"
            f'<p class="rag-dim rag-model" dir="auto">{render.text_html(handlers.mode_line)}</p>'
            "</div>"
        )
        with gr.Tabs():
            with gr.Tab("Chat · المحادثة", id="chat"):
                chatbot = gr.Chatbot(
                    elem_id="rag-chat",
                    show_label=False,
                    height="62vh",
                    autoscroll=False,  # webui/app.js scrolls to the start of each answer
                    latex_delimiters=[],
                    buttons=[],  # "copy" would copy the message's HTML
                    feedback_options=None,
                    placeholder="Ask about the news below · اسأل عن الأخبار في الأسفل",
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        elem_id="rag-question",
                        show_label=False,
                        placeholder="Your question… · سؤالك…",
                        scale=8,
                        autofocus=True,
                        max_length=MAX_QUESTION_CHARS,
                    )
                    send = gr.Button(
                        "Ask · اسأل", variant="primary", scale=1, min_width=120, elem_id="rag-send"
                    )
                    clear = gr.Button(
                        "New chat · محادثة جديدة", scale=1, min_width=250, elem_id="rag-clear"
                    )
                examples = gr.Examples(
                    [[q] for q in EXAMPLES], inputs=[question], label="Examples · أمثلة"
                )
                with (
                    gr.Accordion("Settings for this session · إعدادات الجلسة", open=False),
                    gr.Row(),
                ):
                    retriever = gr.Radio(
                        list(RETRIEVER_MODES), value=settings.retriever, label="Retriever"
                    )
                    k = gr.Slider(1, 20, value=settings.top_k, step=1, label="Passages (k)")
                    mode = gr.Radio(
                        list(ASK_MODES),
                        value=settings.answer_mode,
                        label="Answer mode",
                    )
                with gr.Row():
                    # Two date pickers make the range (Gradio has no range picker); the
                    # question's own time ("in 2015") meets it: the narrower range applies.
                    date_from = gr.DateTime(
                        include_time=False, type="string", label="From · من", elem_id="rag-from"
                    )
                    date_to = gr.DateTime(
                        include_time=False, type="string", label="To · إلى", elem_id="rag-to"
                    )
                    source = gr.Dropdown(
                        [
                            ALL_SOURCES,
                            *(s for s in corpus_stats(parts.store)["sources"] if s != "(none)"),
                        ],
                        value=ALL_SOURCES,
                        label="Source · المصدر",
                        allow_custom_value=True,  # a source ingested after the page loaded
                        elem_id="rag-source",
                    )
            with gr.Tab("Articles · المقالات", id="articles") as articles_tab:
                files = gr.File(
                    label=f"Add articles ({' '.join(UPLOAD_TYPES)}; up to "
                    f"{settings.max_upload_files} files, {settings.max_upload_mb:g} MB each, "
                    f"{settings.max_upload_total_mb:g} MB in all) · أضف مقالات",
                    file_count="multiple",
                    file_types=UPLOAD_TYPES,
                    elem_id="rag-upload",
                    visible=handlers.writable,  # the server refuses uploads there too
                )
                if not handlers.writable:
                    gr.HTML(
                        f'<p class="rag-dim" id="rag-read-only">{render.text_html(READ_ONLY)}</p>'
                    )
                report = gr.HTML(elem_id="rag-report", min_height=40)
                gr.Markdown("### Archive · الأرشيف")
                stats = gr.HTML(elem_id="rag-stats")
                gr.Markdown("### Stored articles · المقالات المخزنة")
                refresh_table = articles.build(parts, stats, handlers.show_stats)

        inputs = [question, chatbot, history, retriever, k, mode, date_from, date_to, source]
        outputs = [question, chatbot, history]
        # The page and the API share one limit: settings.concurrency answers at a time.
        answering = {"concurrency_id": "answer", "api_visibility": "private"}
        gr.on([question.submit, send.click], handlers.respond, inputs, outputs, **answering)
        examples.load_input_event.then(handlers.respond, inputs, outputs, **answering)
        clear.click(lambda: ([], []), None, [chatbot, history], api_visibility="private")
        chatbot.clear(lambda: [], None, history, api_visibility="private")
        refresh_table(
            files.upload(
                handlers.add_articles,
                files,
                [report, stats],
                concurrency_limit=1,
                concurrency_id="ingest",
                api_visibility="private",
            )
        )
        refresh_table(
            articles_tab.select(handlers.show_stats, None, stats, api_visibility="private")
        )
        gr.api(handlers.chat, api_name="chat", concurrency_id="answer")
    return demo.queue(
        default_concurrency_limit=settings.concurrency,
        max_size=settings.concurrency * QUEUE_PER_WORKER,
    )
