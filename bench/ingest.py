"""Ingest throughput: the pipeline vs bare encoding vs a naive LangChain pipeline, one run.

    .venv/bin/python bench/ingest.py [--arabic 150] [--english 150] [--rounds 3]
                                     [--backends torch,onnx-int8] [--no-langchain]
                                     [--sentence-vectors both|on|off]

Per embedder backend (torch fp32, ONNX int8): `rag ingest`'s pipeline (read, clean, chunk,
embed, write Chroma + BM25), with and without the candidate sentences' vectors
(RAG_SENTENCE_VECTORS: on, ingest embeds about twice the text), and bare `embed_documents` of
the very chunks it stored. Then
the naive LangChain way on the same articles: RecursiveCharacterTextSplitter +
`Chroma.from_documents` with `HuggingFaceEmbeddings` of the same model. Everything runs in
one process, alternating each round, so machine noise hits all alike; the table shows
medians and ratios (goal: pipeline >= 0.9x bare).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

# This file is named like the `ingest` package: import the package first, without this
# directory on the path, then put the directory back for `common`.
_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from ingest.pipeline import Ingestor  # noqa: E402
from ingest.readers import RawRecord, iter_records  # noqa: E402
from rag.models.load import load_embedder, resolve_model_path  # noqa: E402
from rag.models.onnx_build import ensure_onnx_int8  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.wiring import Parts  # noqa: E402

sys.path.insert(0, str(_HERE))
from common import PeakRSS, median, print_table, require_data, timed, write_corpus  # noqa: E402

NO_SENTENCES = ", no sentence vectors"


def run_pipeline(settings: Settings, embedder, corpus: Path):  # type: ignore[no-untyped-def]
    parts = Parts(settings, embedder=embedder)
    ingestor = Ingestor.from_parts(parts, rebuild=True)
    with PeakRSS() as mem:
        report = ingestor.run([corpus])
    texts = [text for _, text, _ in parts.store.iter_chunks()]
    return report, texts, mem.mb


def run_naive_langchain(settings: Settings, corpus: Path, round_no: int) -> tuple[int, float]:
    """What a LangChain tutorial does: load, split by characters, Chroma.from_documents."""
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    start = time.perf_counter()
    docs = [
        Document(page_content=item.fields["text"], metadata={"source": item.origin})
        for item in iter_records([corpus], settings)
        if isinstance(item, RawRecord)
    ]
    # ~4 characters a token: the same 200-token chunks, measured the cheap way.
    splitter = RecursiveCharacterTextSplitter(chunk_size=800, chunk_overlap=160)
    chunks = splitter.split_documents(docs)
    embeddings = HuggingFaceEmbeddings(
        model_name=resolve_model_path(settings),
        encode_kwargs={"normalize_embeddings": True, "batch_size": settings.batch_size},
    )
    Chroma.from_documents(
        chunks,
        embeddings,
        collection_name=f"naive{round_no}",
        persist_directory=str(settings.data_dir / "naive"),
    )
    return len(chunks), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arabic", type=int, default=150, help="SaudiNewsNet articles")
    parser.add_argument("--english", type=int, default=150, help="BBC articles")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="torch,onnx-int8", help="embedder backends")
    parser.add_argument("--no-langchain", action="store_true", help="skip the naive pipeline")
    parser.add_argument(
        "--sentence-vectors",
        choices=("both", "on", "off"),
        default="both",
        help="pipeline with RAG_SENTENCE_VECTORS on (the default), off, or both side by side",
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    require_data()
    tmp = Path(tempfile.mkdtemp(prefix="rag-bench-ingest-"))
    corpus = write_corpus(tmp / "corpus", args.arabic, args.english)
    base = Settings(data_dir=tmp / "data", _env_file=None)  # type: ignore[call-arg]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "onnx-int8" in backends:
        ensure_onnx_int8(base, resolve_model_path(base))
    engines = {}
    for backend in backends:
        settings = base.model_copy(update={"embed_backend": backend})
        embedder = load_embedder(settings)
        embedder.embed_documents(["warm-up passage"] * 8)
        engines[backend] = (settings, embedder)

    rates: dict[str, list[float]] = {}
    mem: dict[str, list[float]] = {}
    seconds: dict[str, list[float]] = {}
    chunks = naive_chunks = 0
    for round_no in range(args.rounds):
        for backend, (settings, embedder) in engines.items():
            for stored in (
                (True, False)
                if args.sentence_vectors == "both"
                else (args.sentence_vectors == "on",)
            ):
                flagged = settings.model_copy(update={"sentence_vectors": stored})
                report, texts, mb = run_pipeline(flagged, embedder, corpus)
                chunks = report.chunks
                key = f"rag ingest pipeline ({backend}{'' if stored else NO_SENTENCES})"
                rates.setdefault(key, []).append(report.chunks / report.seconds)
                seconds.setdefault(key, []).append(report.seconds)
                mem.setdefault(key, []).append(mb)
            with PeakRSS() as peak:
                took, _ = timed(embedder.embed_documents, texts)
            key = f"bare embed_documents ({backend})"
            rates.setdefault(key, []).append(len(texts) / took)
            seconds.setdefault(key, []).append(took)
            mem.setdefault(key, []).append(peak.mb)
        if not args.no_langchain:
            with PeakRSS() as peak:
                naive_chunks, took = run_naive_langchain(base, corpus, round_no)
            key = "naive LangChain (torch)"
            rates.setdefault(key, []).append(naive_chunks / took)
            seconds.setdefault(key, []).append(took)
            mem.setdefault(key, []).append(peak.mb)

    rows = []
    reference = median(seconds[f"rag ingest pipeline ({backends[0]})"])
    for key in rates:
        backend = key[key.index("(") + 1 : -1].removesuffix(NO_SENTENCES)
        bare = median(rates.get(f"bare embed_documents ({backend})", [0.0]))
        ratio = f"{median(rates[key]) / bare:.2f}" if "naive" not in key and bare else "-"
        rows.append(
            [
                key,
                f"{median(seconds[key]):.1f}",
                f"{median(rates[key]):.2f}",
                f"{max(mem[key]):.0f}",
                ratio,
                f"{reference / median(seconds[key]):.2f}",
            ]
        )
    settings = engines[backends[0]][0]
    print_table(
        f"ingest: {args.arabic} Arabic + {args.english} English articles -> {chunks} chunks "
        f"(naive LangChain: {naive_chunks}), {args.rounds} rounds, "
        f"threads={settings.effective_threads}, batch={settings.batch_size}, "
        f"chunk={settings.chunk_tokens}/{settings.chunk_overlap}",
        [
            "what",
            "seconds (median)",
            "chunks/s",
            "peak RSS MB",
            "ratio to bare (same backend)",
            f"speed vs pipeline ({backends[0]})",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
