"""The `rag` console script: the library's commands, then the plugins.

Sub-commands that live outside the library (ingest, eval, serve) are plugins: packages list
a `register(app)` function under the `rag.commands` entry-point group, so `rag/` never
imports them.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from rich.markup import escape

# Importing a command module registers its commands on the app.
from rag.cli import archive, ask, config, models  # noqa: F401
from rag.cli.app import app, err_console


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
