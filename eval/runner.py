"""Run a suite: ingest its corpus into a cached store of its own, ask every question through
the public `Assistant`, score the answers.

The store lives under `cache_dir/eval/<key>`, the key hashing the corpus files, the embedder
and the chunking: a second run with the same inputs finds it and embeds nothing, and any
change to them gets a fresh store instead of a stale one.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from eval import scoring
from eval.metrics import match_text
from eval.suite import Suite, check_doc_ids
from eval.tradeoff import summarize_tradeoff
from rag.answer.options import AskOptions
from rag.answer.result import Answer
from rag.embedder import Embedder
from rag.errors import ConfigError, InputError
from rag.options import AskMode, RetrieverMode
from rag.retrieve.retriever import Passage
from rag.settings import Settings
from rag.store.stats import corpus_stats
from rag.wiring import Parts

STORE_VERSION = "1"  # bump when what the eval store holds changes shape
MARKER = "eval-ingest.json"


@dataclass(frozen=True)
class RunOptions:
    """How to ask: the `rag eval` options that change answers."""

    retriever: RetrieverMode | None = None  # None: the configured RAG_RETRIEVER
    mode: AskMode | None = None  # None: the configured RAG_ANSWER_MODE
    k: int = 10
    limit: int | None = None
    judge: bool = False
    split: str | None = None  # only the questions of this split (dev, test or frozen)

    @property
    def ask(self) -> AskOptions:
        """The options each question is asked with."""
        return AskOptions(k=self.k, retriever=self.retriever, mode=self.mode)


def _corpus_files(corpus: Path) -> Iterator[Path]:
    if corpus.is_file():
        yield corpus
        return
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and not any(
            part.startswith(".") for part in path.relative_to(corpus).parts
        ):
            yield path


def store_key(corpus: Path, settings: Settings) -> str:
    """Hash of the corpus (names and bytes), the embedder and the chunking."""
    digest = hashlib.sha256()
    parts = [
        STORE_VERSION,
        corpus.name,  # doc ids are relative to the corpus' parent, so its name counts
        settings.embed_model,
        settings.embed_backend,
        str(settings.chunk_tokens),
        str(settings.chunk_overlap),
    ]
    digest.update("\0".join(parts).encode())
    for path in _corpus_files(corpus):
        digest.update(str(path.relative_to(corpus.parent)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:20]


def eval_settings(settings: Settings, suite: Suite) -> Settings:
    """The user's settings pointed at the suite corpus' own embedded store."""
    data_dir = settings.cache_dir / "eval" / store_key(suite.corpus, settings)
    return settings.model_copy(
        update={"data_dir": data_dir, "collection": "eval", "chroma_url": None}
    )


def prepare_store(parts: Parts, suite: Suite, console: Console) -> dict[str, Any]:
    """Ingest the corpus unless the cached store is complete; what happened, for config."""
    from ingest.pipeline import Ingestor

    settings = parts.settings
    marker = settings.data_dir / MARKER
    store = parts.store
    if marker.is_file():
        info = json.loads(marker.read_text(encoding="utf-8"))
        info.update(cached=True, chunks_embedded=0, seconds=0.0)
    else:
        # No marker: never built, or interrupted; ingest is incremental, so this resumes.
        console.print(f"ingesting {suite.corpus} into {settings.data_dir}", highlight=False)
        ingestor = Ingestor.from_parts(parts)
        with Progress(
            TextColumn("[bold]ingest"),
            TextColumn("{task.fields[docs]} docs · {task.fields[chunks]} chunks ·"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            report = ingestor.run([suite.corpus], _IngestProgress(progress), record=True)
        for fail in report.failures:
            console.print(f"[yellow]warning:[/] {fail['where']}: {fail['reason']}", highlight=False)
        if store.count() == 0:
            raise InputError(str(suite.path), f"corpus {suite.corpus} gave no documents to ingest")
        info = {
            "store": str(settings.data_dir),
            "documents": store.document_count(),
            "chunks": store.count(),
            "failed": report.failed,
        }
        marker.write_text(json.dumps(info), encoding="utf-8")
        info.update(cached=False, chunks_embedded=report.chunks, seconds=round(report.seconds, 2))
    known = [meta["doc_id"] for meta in store.iter_registry()]
    check_doc_ids(suite, known)
    info["evidence_not_in_any_chunk"] = _missing_evidence(suite, store)
    return info


class _IngestProgress:
    """Documents and chunks so far (the ingest pipeline's progress protocol)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("ingest", total=None, docs=0, chunks=0)

    def update(self, *, files: int, documents: int, chunks: int) -> None:
        self.progress.update(self.task, docs=documents, chunks=chunks)


def _missing_evidence(suite: Suite, store: Any) -> list[str]:
    """Question ids whose evidence no single chunk holds: their evidence metric is always 0."""
    wanted = [q for q in suite.questions if q.evidence]
    if not wanted:
        return []
    texts = [match_text(text) for _, text, _ in store.iter_chunks()]
    return [
        q.id for q in wanted if not any(match_text(e) in text for text in texts for e in q.evidence)
    ]


def run_suite(
    suite: Suite,
    user_settings: Settings,
    options: RunOptions,
    console: Console,
    embedder: Embedder | None = None,
) -> dict[str, Any]:
    """Ingest (or reuse) the corpus, ask every question, return the results.json content
    (`embedder`: one already loaded, as a test session shares it)."""
    if options.judge and not user_settings.llm_base_url:
        raise ConfigError("--judge needs an LLM: set RAG_LLM_BASE_URL (see `rag llm serve`)")
    settings = eval_settings(user_settings, suite)
    parts = Parts(settings, embedder=embedder)
    parts.embedder  # noqa: B018 - load the model first: the store checks its dimension
    ingest_info = prepare_store(parts, suite, console)
    assistant = parts.assistant
    judge_model, judge_prompt = _judge(parts, options)
    dates = corpus_stats(parts.store)["date_range"]  # the archive's span, for time questions
    span = (dates[0], dates[1]) if dates else None

    questions = [q for q in suite.questions if not options.split or q.split == options.split]
    if not questions:
        raise InputError(
            str(suite.questions_path), f"has no questions with split {options.split!r}"
        )
    questions = questions[: options.limit] if options.limit else questions
    records = []
    started = time.perf_counter()
    with _progress(console) as progress:
        task = progress.add_task("eval", total=len(questions))
        for q in questions:
            t0 = time.perf_counter()
            try:
                answer = assistant.ask(q.question, options=options.ask)
            except InputError as exc:  # e.g. a question too long: a fault of the suite
                raise InputError(f"{suite.questions_path}:{q.line}", exc.reason) from None
            seconds = time.perf_counter() - t0
            ranked = _ranking(parts, answer, options)
            record = scoring.score_question(q, answer, ranked, seconds, span)
            if judge_model is not None and q.answerable and answer.mode != "not_found":
                from eval.judge import judge

                verdict = judge(judge_model, judge_prompt, q.question, q.answers, answer)
                record["metrics"].update(verdict or {})
            records.append(record)
            progress.advance(task)

    return {
        "summary": scoring.summarize(records),
        "by_lang": scoring.summarize_by_lang(records),
        "tradeoff": summarize_tradeoff(records),
        "paraphrased": scoring.summarize_paraphrased(records),
        "config": _config(suite, settings, options, ingest_info, records, started),
        "questions": records,
    }


def _ranking(parts: Parts, answer: Answer, options: RunOptions) -> list[Passage]:
    """The ranked passages the retrieval metrics read: at least RETRIEVAL_K of them.

    With k >= 10 these are the answer's own passages. With a smaller k, one more retrieval
    of the same standalone query at k=10: MMR picks greedily from the same candidate pool,
    so its first k passages are the ones the answer was given (while RAG_CANDIDATES >= 40,
    the pool both calls fetch).
    """
    if len(answer.passages) >= scoring.RETRIEVAL_K or options.k >= scoring.RETRIEVAL_K:
        return list(answer.passages)
    qvec = parts.embedder.embed_query(answer.query)
    return list(
        parts.retriever.retrieve(
            answer.query, k=scoring.RETRIEVAL_K, mode=options.retriever, query_vector=qvec
        )
    )


def _judge(parts: Parts, options: RunOptions) -> tuple[Any, str]:
    if not options.judge:
        return None, ""
    from eval.judge import load_prompt

    if parts.chat_model is None:  # RAG_ANSWER_MODE=extractive switches the LLM off
        raise ConfigError("--judge needs an LLM: set RAG_LLM_BASE_URL and RAG_ANSWER_MODE=auto")
    return parts.chat_model, load_prompt()


def _config(
    suite: Suite,
    settings: Settings,
    options: RunOptions,
    ingest_info: dict[str, Any],
    records: list[dict[str, Any]],
    started: float,
) -> dict[str, Any]:
    modes: dict[str, int] = {}
    for r in records:
        modes[r["mode"]] = modes.get(r["mode"], 0) + 1
    return {
        "suite": suite.name,
        "suite_file": str(suite.path),
        "corpus": str(suite.corpus),
        "retriever": options.retriever or settings.retriever,
        "time_aware": settings.time_aware,
        "time_reference": settings.time_reference,
        "mode": options.mode or settings.answer_mode,
        "k": options.k,
        "limit": options.limit,
        "split": options.split,
        "judge": options.judge,
        "embed_model": settings.embed_model,
        "embed_backend": settings.embed_backend,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap,
        "llm": settings.llm_model if settings.llm_base_url else None,
        "questions": len(records),
        "answerable": sum(1 for r in records if r["answerable"]),
        "unanswerable": sum(1 for r in records if not r["answerable"]),
        "answer_modes": modes,
        "ingest": ingest_info,
        "seconds": round(time.perf_counter() - started, 2),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]eval"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("questions ·"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )
