"""The `rag` command line, out of the core: `app.py` (the Typer app and the error edge), one
module per group of commands, and `main.py` (the console script, which loads the plugins)."""

from rag.cli.app import app, edge, err_console, print_json, settings_from_env
from rag.cli.main import main

__all__ = ["app", "edge", "err_console", "main", "print_json", "settings_from_env"]
