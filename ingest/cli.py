"""`rag ingest`: registered on the `rag` CLI through the `rag.commands` entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from rag.cli import edge, print_json, settings_from_env
from rag.settings import Settings


class _RichProgress:
    """Files bar with ETA, plus documents, chunks and chunks/s."""

    def __init__(self, progress: Progress, total_files: int) -> None:
        self.progress = progress
        self.task = progress.add_task(
            "ingest", total=total_files or None, docs=0, chunks=0, rate=0.0
        )

    def finish(self) -> None:
        task = self.progress.tasks[self.task]
        self.progress.update(self.task, completed=task.total or task.completed)

    def update(self, *, files: int, documents: int, chunks: int) -> None:
        task = self.progress.tasks[self.task]
        elapsed = task.elapsed or 0.0
        rate = chunks / elapsed if elapsed > 0 else 0.0
        self.progress.update(
            self.task, completed=max(files - 1, 0), docs=documents, chunks=chunks, rate=rate
        )


def _count_files(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        if path.is_dir():
            total += sum(1 for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            total += 1
    return total


def run_ingest(settings: Settings, paths: list[Path], rebuild: bool, quiet: bool) -> Any:
    """Ingest `paths` into the configured store; returns the report."""
    from ingest.pipeline import Ingestor
    from rag.wiring import Parts

    engine: type[Ingestor] = Ingestor
    if settings.ingest_engine == "ray":
        from ingest.ray_engine import RayIngestor

        engine = RayIngestor
    parts = Parts(settings)
    parts.embedder  # noqa: B018 - load the model first: the store checks its dimension
    ingestor = engine.from_parts(parts, rebuild=rebuild)
    columns = (
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files · {task.fields[docs]} docs · {task.fields[chunks]} chunks"),
        TextColumn("· {task.fields[rate]:.1f} chunks/s ·"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), disable=quiet) as progress:
        bar = _RichProgress(progress, _count_files(paths))
        report = ingestor.run(paths, bar, record=True)
        bar.finish()
    return report


def ingest(
    paths: list[Path] = typer.Argument(..., help="Files, directories or .zip archives."),
    rebuild: bool = typer.Option(
        False, "--rebuild", help="Drop the collection first and rebuild it from these paths."
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 if any file or record failed."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
    workers: int = typer.Option(
        0, "--workers", min=0, help="Embedding processes (default: RAG_INGEST_WORKERS)."
    ),
    engine: str = typer.Option(
        None, "--engine", help="local or ray (default: RAG_INGEST_ENGINE, local)."
    ),
    ray_address: str = typer.Option(
        None,
        "--ray-address",
        help="Ray cluster for --engine ray (default: RAG_RAY_ADDRESS; empty: a local Ray).",
    ),
) -> None:
    """Ingest articles: .txt .md .html .json .jsonl .csv and .zip of these, recursively."""
    from rag.errors import ConfigError

    if engine not in (None, "local", "ray"):
        raise ConfigError(f"--engine {engine}: use local or ray")
    settings = settings_from_env()
    updates: dict[str, Any] = {"ingest_workers": workers or None, "ingest_engine": engine,
                               "ray_address": ray_address}  # fmt: skip
    settings = settings.model_copy(update={k: v for k, v in updates.items() if v is not None})
    report = run_ingest(settings, paths, rebuild, quiet=as_json)
    if as_json:
        print_json(report.to_json())
    else:
        _print_report(report.to_json())
    if strict and report.failed:
        raise typer.Exit(1)


def _print_report(data: dict[str, Any]) -> None:
    console = Console()
    table = Table(title="ingest report", show_header=False, box=None)
    for key in ("ingested", "updated", "unchanged", "duplicates", "failed", "chunks"):
        table.add_row(key, str(data[key]))
    table.add_row("time", f"{data['seconds']:.1f} s ({data['chunks_per_second']} chunks/s)")
    console.print(table)
    for dup in data["duplicate_docs"][:20]:
        console.print(
            f"  duplicate: {escape(dup['doc_id'])} = {escape(dup['duplicate_of'])}",
            highlight=False,
        )
    for fail in data["failures"]:
        # File and member names are user text: "notes[/].json" is not Rich markup.
        console.print(
            f"  [red]failed[/]: {escape(fail['where'])}: {escape(fail['reason'])}",
            highlight=False,
        )
    for warning in data["warnings"]:
        console.print(f"  [yellow]warning[/]: {escape(warning)}", highlight=False)


def register(app: typer.Typer) -> None:
    """Entry point of the `rag.commands` group."""
    app.command("ingest")(edge(ingest))
