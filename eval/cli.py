"""`rag eval SUITE ...` and `rag eval convert-squad FILE --out DIR`, registered on the `rag`
CLI through the `rag.commands` entry point.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from rag.cli import edge, settings_from_env
from rag.errors import ConfigError

DEFAULT_COMMAND = "run"


class _DefaultRunGroup(TyperGroup):
    """`rag eval SUITE ...` means `rag eval run SUITE ...`; sub-commands keep their names.

    A group callback with a SUITE argument would swallow "convert-squad" as a suite path,
    so the default command is chosen here, before click parses anything.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=_DefaultRunGroup,
    no_args_is_help=True,
    help=(
        "Evaluate retrieval, answers and citations on a suite: `rag eval SUITE` "
        "(options: `rag eval run --help`)."
    ),
)


@eval_app.command(DEFAULT_COMMAND)
@edge
def run(
    suite: Path = typer.Argument(..., help="A suite.yaml, or the directory holding one."),
    retriever: str = typer.Option(None, "--retriever", help="dense, bm25 or hybrid."),
    mode: str = typer.Option(None, "--mode", help="extractive or llm (default RAG_ANSWER_MODE)."),
    k: int = typer.Option(
        10, "--k", min=1, max=50, help="Passages each question is answered from."
    ),
    limit: int = typer.Option(None, "--limit", min=1, help="Only the first N questions."),
    split: str = typer.Option(
        None,
        "--split",
        help="Only the questions of this split: dev (fitting), test (reporting) or frozen "
        "(reported, never fitted).",
    ),
    report: Path = typer.Option(
        None, "--report", help="Write results.json, report.md and PNG plots in this directory."
    ),
    baseline: Path = typer.Option(
        None, "--baseline", help="A results.json to compare with (deltas in table and report)."
    ),
    minimum: list[str] = typer.Option(
        [], "--min", help="METRIC=VALUE gate, repeatable (e.g. hit@5=0.8, ar.f1=0.3): exit 1 below."
    ),
    judge: bool = typer.Option(
        False, "--judge", help="Also grade answers with the configured LLM (RAG_LLM_BASE_URL)."
    ),
) -> None:
    """Run a suite: ingest its corpus (cached), ask every question, print and save metrics.

    The default command: `rag eval SUITE` is `rag eval run SUITE`.
    """
    from eval.report import load_results, print_summary, write_report
    from eval.runner import RunOptions, run_suite
    from eval.scoring import failed_gates, parse_gates
    from eval.suite import load_suite
    from rag.options import ask_mode, retriever_mode

    retriever_choice, mode_choice = retriever_mode(retriever), ask_mode(mode)
    if split not in (None, "dev", "test", "frozen"):
        raise ConfigError(f"--split {split}: use dev, test or frozen")
    gates = parse_gates(minimum)  # before the slow part: a typo fails at once
    base = load_results(baseline) if baseline is not None else None
    loaded = load_suite(suite)
    console = Console(stderr=True)
    options = RunOptions(
        retriever=retriever_choice,
        mode=mode_choice,
        k=k,
        limit=limit,
        judge=judge,
        split=split,
    )
    results = run_suite(loaded, settings_from_env(), options, console)
    print_summary(results, base, Console())
    _print_ingest(results["config"]["ingest"], console)
    if report is not None:
        for path in write_report(results, report, base):
            console.print(f"wrote {escape(str(path))}", highlight=False)
    failures = failed_gates(results, gates)
    if failures:
        console.print(
            "[bold red]gates failed:[/]\n  " + escape("\n  ".join(failures)), highlight=False
        )
        raise typer.Exit(1)


def _print_ingest(info: dict[str, Any], console: Console) -> None:
    how = (
        "cached store, 0 chunks embedded"
        if info["cached"]
        else (f"ingested now, {info['chunks_embedded']} chunks embedded in {info['seconds']} s")
    )
    console.print(
        f"corpus: {info['documents']} documents, {info['chunks']} chunks ({how})"
        f" at {escape(str(info['store']))}",
        highlight=False,
    )
    missing = info.get("evidence_not_in_any_chunk") or []
    if missing:
        console.print(
            f"[yellow]warning:[/] {len(missing)} question(s) have evidence no single chunk holds: "
            + escape(", ".join(missing[:10])),
            highlight=False,
        )


@eval_app.command("calibrate")
@edge
def calibrate_command(
    suite: Path = typer.Argument(
        ..., help="A suite.yaml (with dev/test splits), or its directory."
    ),
    out: Path = typer.Option(..., "--out", help="Where to write the model JSON."),
    split: str = typer.Option(
        "dev",
        "--split",
        help="The split to fit on: dev, test or all (dev and test; never frozen).",
    ),
    k: int = typer.Option(5, "--k", min=1, max=50, help="Passages retrieved per question."),
    features_out: Path = typer.Option(
        None, "--features", help="Also save every question's features (JSON lines)."
    ),
) -> None:
    """Fit the answerability model (answer or "not found") on a suite's dev split.

    Use the result with RAG_ANSWERABILITY_MODEL=FILE, then report on the held-back split:
    `rag eval SUITE --split test`.
    """
    import json

    from eval.calibrate import collect, fit, write_model
    from eval.suite import load_suite

    if split not in ("dev", "test", "all"):
        raise ConfigError(
            f"--split {split}: use dev, test or all (dev and test; frozen is never fitted)"
        )
    loaded = load_suite(suite)
    console = Console(stderr=True)
    settings = settings_from_env()
    rows = collect(loaded, settings, None if split == "all" else split, k, console)
    if features_out is not None:
        features_out.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
    info = {
        "suite": loaded.name,
        "split": split,
        "questions": len(rows),
        "embed_model": settings.embed_model,
        "embed_backend": settings.embed_backend,
        "k": k,
    }
    model = fit(rows, info)
    path = write_model(model, out)
    typer.echo(
        f"thresholds: same-language evidence {model['thresholds']['same']:.2f}, "
        f"other-language evidence {model['thresholds']['other']:.2f}"
    )
    for pair, rates in model["info"]["dev_rates"].items():
        typer.echo(
            f"{pair}: answered_rate {rates['answered_rate']}, not_found_accuracy "
            f"{rates['not_found_accuracy']} ({rates['questions']} questions, {split} split)"
        )
    typer.echo(f"wrote {path}")


@eval_app.command("convert-squad")
@edge
def convert_squad_command(
    source: Path = typer.Argument(..., help="A SQuAD-format JSON file (e.g. arcd-test.json)."),
    out: Path = typer.Option(..., "--out", help="Directory to write the suite into."),
) -> None:
    """Turn SQuAD-format data into a suite: paragraph = document, id `<title>#<index>`."""
    from eval.squad import convert_squad

    done = convert_squad(source, out)
    typer.echo(
        f"wrote {done.suite_file}: {done.documents} documents, {done.questions} questions "
        f"({done.unanswerable} unanswerable)"
    )


def register(app: typer.Typer) -> None:
    """Entry point of the `rag.commands` group."""
    app.add_typer(eval_app, name="eval")
