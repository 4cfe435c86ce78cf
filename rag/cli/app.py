"""The Typer app every command registers on, and the edge where domain errors become one
clean line and an exit code (no stack traces for user mistakes)."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from rag.errors import RagError
from rag.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Ask questions about Arabic and English news articles, with cited answers.",
)
err_console = Console(stderr=True)


def dotenv_names(path: Path = Path(".env")) -> list[str]:
    """The settings a `.env` file (by default the working directory's, as Settings reads it)
    supplies, by their RAG_ names: those it sets and the environment does not."""
    if not path.is_file():
        return []
    from dotenv import dotenv_values

    fields = {f"RAG_{name.upper()}" for name in Settings.model_fields}
    environ = {key.upper() for key in os.environ}
    keys = {key.upper() for key in dotenv_values(path)}
    return sorted(keys & fields - environ)


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
    """The Settings every command starts from (environment and .env). The settings a `.env`
    in the working directory supplies are named on stderr: such a file in an untrusted
    folder could, say, send every question to another RAG_LLM_BASE_URL."""
    settings = load_settings()
    names = dotenv_names()
    if names:
        err_console.print(
            f"note: settings read from .env in the working directory: {', '.join(names)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    return settings


def print_json(data: Any) -> None:
    """JSON to stdout, UTF-8 kept readable (Arabic is not escaped)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
