"""`rag ask`: one question answered from the store, streamed, with its citations."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from rag.cli.app import app, edge, err_console, print_json, settings_from_env
from rag.text.safe import plain_line


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
    from rag.answer.options import AskOptions
    from rag.answer.result import Status
    from rag.options import ask_mode, retriever_mode
    from rag.store.filters import Filters
    from rag.wiring import Parts

    options = AskOptions(
        k=k,
        retriever=retriever_mode(retriever),
        mode=ask_mode(mode),
        filters=Filters(language, source, date_from, date_to),
    )
    settings = settings_from_env()
    parts = Parts(settings)
    assistant = parts.assistant
    if as_json:
        answer = assistant.ask(question, options=options)
        print_json(answer.to_json())
        return
    console = Console()
    final = None
    if parts.chat_model is not None and mode != "extractive":
        parts.chat_model.identify()  # the status line names the served model
    # An LLM's text as it is generated goes to stderr (not checked yet); stdout gets only
    # the answer the citation check kept.
    generating = streamed = False
    for item in assistant.ask_stream(question, options=options):
        if isinstance(item, Status):  # an LLM is about to write
            err_console.print(f"[dim]{escape(item.text)}[/]", highlight=False)
            generating = True
        elif isinstance(item, str) and generating:
            err_console.print(item, end="", style="dim", highlight=False, markup=False)
            streamed = True
        elif not isinstance(item, str):
            final = item
    if streamed:
        err_console.print()
    assert final is not None
    answer = final
    console.print(answer.text, highlight=False, markup=False)
    for note in answer.notices:  # they may quote what the check removed: stderr
        err_console.print(f"[yellow]notice:[/] {escape(plain_line(note))}", highlight=False)
    for c in answer.citations:
        day = c.date[:10] or "no date"  # a time question's reader weighs every date
        where = " · ".join(plain_line(x) for x in (c.source, day, c.url) if x)
        title = escape(plain_line(c.title))
        console.print(f"\n[bold]\\[{c.n}][/] {title}  [dim]{escape(where)}[/]", highlight=False)
        console.print(f"    “{plain_line(c.supporting)}”", highlight=False, markup=False)
