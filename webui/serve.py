"""`rag serve`, registered through the `rag.commands` entry point: builds the parts from
settings and launches the page."""

from __future__ import annotations

import typer

from webui.layout import build_app, launch


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

    from rag.cli import err_console, settings_from_env
    from rag.wiring import Parts
    from webui.access import is_loopback, writes_allowed

    settings = settings_from_env()
    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = settings.model_copy(update=overrides)
    if not is_loopback(settings.host) and not settings.auth:
        if writes_allowed(settings):
            state = "anyone who reaches it can upload and delete (RAG_ALLOW_ANONYMOUS_WRITES)"
        else:
            state = "the page is read-only: chat and article list, no upload or delete"
        err_console.print(
            f"[yellow]warning:[/] serving on {escape(settings.host)} without a login: {state}; "
            "set RAG_AUTH=user:password to require one.",
            soft_wrap=True,
        )
    launch(build_app(Parts(settings)), settings)
