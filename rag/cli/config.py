"""`rag config`: the settings in effect, by group, secrets masked."""

from __future__ import annotations

from pathlib import Path

import typer

from rag.cli.app import app, edge, print_json, settings_from_env
from rag.settings import GROUPS, SECRETS, Settings

_NAMES = ", ".join(heading.lower() for heading in GROUPS)


def _shown(name: str, value: object, default: object) -> str:
    if value in (None, ""):
        return "(empty)"
    if name in SECRETS and value != default:
        return "********"
    return f"./{value}" if isinstance(value, Path) and not value.is_absolute() else str(value)


def effective(settings: Settings) -> dict[str, dict[str, str]]:
    """The values in effect as text, by group heading then `RAG_*` name; secrets masked."""
    return {
        heading: {
            f"RAG_{name.upper()}": _shown(name, getattr(settings, name), field.default)
            for name, field in group.model_fields.items()
        }
        for heading, group in GROUPS.items()
    }


@app.command("config")
@edge
def config(
    group: str = typer.Argument(None, help=f"Only this group: {_NAMES}."),
    as_json: bool = typer.Option(False, "--json", help="Print the settings as JSON."),
) -> None:
    """Show the settings in effect by group: storage, ingest, retrieval, answering, LLM, web.

    Values come from the environment and .env; API keys and logins are masked. The README's
    Configuration tables describe every setting and its default."""
    from rag.errors import ConfigError

    values = effective(settings_from_env())
    if group is not None:
        values = {h: v for h, v in values.items() if h.lower() == group.lower()}
        if not values:
            raise ConfigError(f"no settings group {group}: use {_NAMES}")
    if as_json:
        print_json(values)
        return
    width = max(len(name) for fields in values.values() for name in fields)
    for n, (heading, fields) in enumerate(values.items()):
        typer.echo(("\n" if n else "") + heading)
        for name, value in fields.items():
            typer.echo(f"  {name:<{width}}  {value}")
