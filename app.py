"""The web chat (Gradio): layout and event wiring only.

Answers come from `rag.assistant.Assistant`, uploads go through `ingest.pipeline.Ingestor`
with the assistant's own embedder and store, and the HTML comes from `webui.render`.
`rag serve` (registered through the `rag.commands` entry point) starts it.

Gradio is imported inside `build_app`: every `rag` command loads this module to find its
`serve` command, and importing Gradio costs seconds.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    import gradio as gr

    from rag.assistant import Assistant
    from rag.settings import Settings

WEBUI = Path(__file__).resolve().parent / "webui"
EXAMPLES = [
    "what did Erdogan demand?",
    "ماذا طالب أردوغان؟",
    "Who called for a ceasefire in Nagorno-Karabakh?",
    "ما هو سعر الفائدة الذي قرره البنك المركزي؟",
]
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".csv", ".zip"]
QUEUE_PER_WORKER = 32  # waiting requests allowed per concurrent answer before "queue full"


def register(app: typer.Typer) -> None:
    """Entry point of the `rag.commands` group: adds `rag serve`."""
    from rag.cli import edge

    app.command("serve")(edge(serve))


def serve(
    host: str = typer.Option(None, "--host", help="Address to bind (default RAG_HOST, 127.0.0.1)."),
    port: int = typer.Option(None, "--port", min=1, max=65535, help="Port (default RAG_PORT)."),
) -> None:
    """Start the web chat: streaming cited answers, sources, uploads (RAG_AUTH for a login)."""
    from rich.markup import escape

    from rag.assistant import Assistant
    from rag.cli import err_console, settings_from_env

    settings = settings_from_env()
    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = settings.model_copy(update=overrides)
    if settings.host not in ("127.0.0.1", "localhost", "::1") and not settings.auth:
        err_console.print(
            f"[yellow]warning:[/] serving on {escape(settings.host)} without a login; "
            "set RAG_AUTH=user:password to require one."
        )
    launch(build_app(Assistant.from_settings(settings)), settings)


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


def safe_filename(name: str) -> str:
    """A basename that cannot leave the upload dir: no path, no leading dots, plain chars."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^\w.\- ]+", "_", base).strip(" .") or "upload"
    stem, dot, ext = base.rpartition(".")
    return (stem[:100] + dot + ext[:10]) if dot and stem else base[:110]


def _copy_uploads(paths: list[str], uploads: Path) -> Path:
    """Copy uploaded files under sanitised names into a fresh `<uploads>/web-*/upload/`,
    each in a folder named by its content: two different files called `news.json` become
    two articles (`upload/1f0c.../news.json`), the same file uploaded twice stays one."""
    uploads.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="web-", dir=uploads)) / "upload"
    root.mkdir()
    for path in paths:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
        (root / digest).mkdir(exist_ok=True)
        shutil.copyfile(path, root / digest / safe_filename(Path(path).name))
    return root


class _Counts:
    """The ingest's progress, written by its threads and read by the event's thread."""

    files = documents = chunks = 0

    def update(self, *, files: int, documents: int, chunks: int) -> None:
        self.files, self.documents, self.chunks = files, documents, chunks


def _run_with_progress(ingestor: Any, root: Path, total: int, progress: Any) -> Any:
    """Run the ingest in a worker and report its counts to the Gradio progress bar.

    The pipeline ticks from its own threads, where Gradio's progress (bound to the event's
    context) cannot be called: this thread polls the counts instead.
    """
    counts = _Counts()
    progress((0, total), desc="reading", unit="files")
    with ThreadPoolExecutor(1) as pool:
        job = pool.submit(ingestor.run, [root], counts)
        while True:
            try:
                return job.result(timeout=0.3)
            except TimeoutError:
                desc = f"{counts.documents} documents · {counts.chunks} chunks"
                progress((min(counts.files, total), total), desc=desc, unit="files")


def build_app(assistant: Assistant) -> gr.Blocks:
    """The Blocks app around one `Assistant` (shared by every session)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    from ingest.cli import index_listeners
    from ingest.pipeline import Ingestor
    from rag.assistant import MAX_QUESTION_CHARS
    from rag.errors import RagError
    from rag.stats import corpus_stats
    from webui import articles, render

    settings = assistant.settings
    if assistant.chat_model is not None:
        llm = mode_line = f"LLM: {assistant.chat_model.name}"
    else:
        mode_line = "answers quote the articles (no LLM) · الإجابات اقتباسات من المقالات"
        llm = "quoted from the articles (extractive; set RAG_LLM_BASE_URL for an LLM)"

    def respond(question: str, chat: list, history: list, retriever: str, k: float, mode: str):
        question = (question or "").strip()
        if not question:
            raise gr.Error("Type a question about the articles. · اكتب سؤالاً عن المقالات.")
        chat = [
            *chat,
            {"role": "user", "content": render.user_message(question)},
            {"role": "assistant", "content": render.streaming_message("")},
        ]
        yield "", chat, history
        partial, answer = "", None
        try:
            for item in assistant.ask_stream(
                question, history, k=int(k), retriever=retriever, mode=mode
            ):
                if isinstance(item, str):
                    partial += item
                    chat[-1] = {"role": "assistant", "content": render.streaming_message(partial)}
                    yield gr.skip(), chat, history
                else:
                    answer = item
        except RagError as exc:
            chat[-1] = {"role": "assistant", "content": render.notice_html(f"error: {exc}")}
            yield gr.skip(), chat, history
            raise gr.Error(str(exc)) from None
        assert answer is not None
        turn = uuid.uuid4().hex[:8]
        chat[-1] = {"role": "assistant", "content": render.answer_message(answer, turn)}
        history = [
            *history,
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.text},
        ]
        yield gr.skip(), chat, history

    def chat(question: str, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Answer a question (history: earlier {"role", "content"} messages) as rag ask --json."""
        try:
            return assistant.ask(question, history or None).to_json()
        except RagError as exc:
            raise gr.Error(str(exc)) from None

    def show_stats() -> str:
        try:
            return render.stats_html(corpus_stats(assistant.store), llm)
        except RagError as exc:
            raise gr.Error(str(exc)) from None

    def add_articles(paths: list[str] | None, progress=gr.Progress()):
        if not paths:
            return gr.skip(), gr.skip()
        limit = settings.max_upload_mb * 1024 * 1024
        for path in paths:
            if os.path.getsize(path) > limit:
                raise gr.Error(
                    f"{safe_filename(path)} is {os.path.getsize(path) / 2**20:.1f} MB; the limit "
                    f"is {settings.max_upload_mb:g} MB (RAG_MAX_UPLOAD_MB)."
                )
        # A fresh dir per upload; documents are named "upload/<file name>" in the store.
        root = _copy_uploads(paths, settings.data_dir / "uploads")
        try:
            ingestor = Ingestor(
                settings,
                assistant.embedder,
                assistant.store,
                index_listeners(settings, assistant.store, False),
                namespace="upload/",
            )
            report = _run_with_progress(ingestor, root, len(paths), progress)
        except RagError as exc:
            raise gr.Error(str(exc)) from None
        finally:
            shutil.rmtree(root.parent, ignore_errors=True)
        data = report.to_json()
        for fail in data["failures"]:
            fail["where"] = fail["where"].replace(str(root.parent) + os.sep, "")
        summary = {k: v for k, v in data.items() if not isinstance(v, list)}
        summary["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        assistant.store.record_ingest(summary)
        return render.report_html(data), show_stats()

    with gr.Blocks(
        title="News assistant · مساعد الأخبار",
        analytics_enabled=False,
        delete_cache=(3600, 3600),  # Gradio's copies of uploaded files: gone within the hour
    ) as demo:
        history = gr.State([])
        gr.HTML(
            '<div class="rag-header"><h1>News assistant · مساعد الأخبار</h1>'
            '<p dir="auto">Ask in Arabic or English: every answer cites its articles.</p>'
            '<p dir="auto">اسأل بالعربية أو بالإنجليزية: كل إجابة تذكر مصادرها من المقالات.</p>'
            f'<p class="rag-dim" dir="auto">{render.text_html(mode_line)}</p></div>'
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
                        ["hybrid", "dense", "bm25"], value=settings.retriever, label="Retriever"
                    )
                    k = gr.Slider(1, 20, value=settings.top_k, step=1, label="Passages (k)")
                    mode = gr.Radio(
                        ["auto", "extractive", "llm"],
                        value=settings.answer_mode,
                        label="Answer mode",
                    )
            with gr.Tab("Articles · المقالات", id="articles") as articles_tab:
                files = gr.File(
                    label=f"Add articles ({' '.join(UPLOAD_TYPES)}; up to "
                    f"{settings.max_upload_mb:g} MB each) · أضف مقالات",
                    file_count="multiple",
                    file_types=UPLOAD_TYPES,
                    elem_id="rag-upload",
                )
                report = gr.HTML(elem_id="rag-report", min_height=40)
                gr.Markdown("### Archive · الأرشيف")
                stats = gr.HTML(elem_id="rag-stats")
                gr.Markdown("### Stored articles · المقالات المخزنة")
                refresh_table = articles.build(assistant, stats, show_stats)

        inputs = [question, chatbot, history, retriever, k, mode]
        outputs = [question, chatbot, history]
        # The page and the API share one limit: settings.concurrency answers at a time.
        answering = {"concurrency_id": "answer", "api_visibility": "private"}
        gr.on([question.submit, send.click], respond, inputs, outputs, **answering)
        examples.load_input_event.then(respond, inputs, outputs, **answering)
        clear.click(lambda: ([], []), None, [chatbot, history], api_visibility="private")
        chatbot.clear(lambda: [], None, history, api_visibility="private")
        refresh_table(
            files.upload(
                add_articles,
                files,
                [report, stats],
                concurrency_limit=1,
                concurrency_id="ingest",
                api_visibility="private",
            )
        )
        refresh_table(articles_tab.select(show_stats, None, stats, api_visibility="private"))
        gr.api(chat, api_name="chat", concurrency_id="answer")
    return demo.queue(
        default_concurrency_limit=settings.concurrency,
        max_size=settings.concurrency * QUEUE_PER_WORKER,
    )
