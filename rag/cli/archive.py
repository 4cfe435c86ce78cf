"""`rag list`, `rag delete` and `rag stats`: what the store holds, and removing articles."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rag.cli.app import app, edge, err_console, print_json, settings_from_env
from rag.text.safe import plain_line


@app.command()
@edge
def stats(
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
) -> None:
    """Show what the store holds: documents, chunks, languages, sources, dates, embed model."""
    from rag.store.stats import corpus_stats
    from rag.wiring import open_store

    settings = settings_from_env()
    data = corpus_stats(open_store(settings))
    if as_json:
        print_json(data)
        return
    table = Table(show_header=False, box=None)
    keys = ("documents", "chunks", "sentence_vectors", "embed_model", "embed_backend")
    for key in (*keys, "store", "collection"):
        table.add_row(key, escape("not recorded" if data[key] is None else str(data[key])))
    languages = ", ".join(f"{k} {v}" for k, v in data["languages"].items())
    table.add_row("languages", escape(languages))
    top = list(data["sources"].items())[:10]
    table.add_row("sources", escape(", ".join(f"{k} {v}" for k, v in top)))
    if data["date_range"]:
        table.add_row("dates", escape(" .. ".join(data["date_range"])))
    Console().print(table)


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
    from rag.store.archive import ArticleQuery
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
    rows = [
        tuple(
            plain_line(x)
            for x in (a.doc_id, a.date[:10], a.language, a.source, str(a.chunks), a.title)
        )
        for a in articles
    ]
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
            shown = f"  {plain_line(a.doc_id)}  {plain_line(a.title)}"
            err_console.print(escape(shown), highlight=False)
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
        err_console.print(f"  [yellow]not found[/]: {escape(plain_line(doc_id))}", highlight=False)
