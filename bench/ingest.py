"""Ingest throughput: the full pipeline vs bare `model.encode` of the same chunks, one run.

    .venv/bin/python bench/ingest.py [--arabic 150] [--english 150] [--rounds 3]

Both sides run in the same process, alternating, so machine noise hits both alike; the
table shows medians and the ratio pipeline / bare (goal >= 0.9).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

# This file is named like the `ingest` package: import the package first, without this
# directory on the path, then put the directory back for `common`.
_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from ingest.cli import index_listeners  # noqa: E402
from ingest.pipeline import Ingestor  # noqa: E402
from rag.embedder import load_embedder  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.store import ChunkStore, StoreProfile  # noqa: E402

sys.path.insert(0, str(_HERE))
from common import PeakRSS, median, print_table, require_data, timed, write_corpus  # noqa: E402


def run_pipeline(settings: Settings, embedder, corpus: Path):  # type: ignore[no-untyped-def]
    profile = StoreProfile(
        settings.embed_model, embedder.dimension, settings.chunk_tokens, settings.chunk_overlap
    )
    store = ChunkStore(settings, profile)
    store.reset()
    ingestor = Ingestor(settings, embedder, store, index_listeners(settings, store, True))
    with PeakRSS() as mem:
        report = ingestor.run([corpus])
    texts = [text for _, text, _ in store.iter_chunks()]
    return report, texts, mem.mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arabic", type=int, default=150, help="SaudiNewsNet articles")
    parser.add_argument("--english", type=int, default=150, help="BBC articles")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    require_data()
    tmp = Path(tempfile.mkdtemp(prefix="rag-bench-ingest-"))
    corpus = write_corpus(tmp / "corpus", args.arabic, args.english)
    settings = Settings(data_dir=tmp / "data", _env_file=None)  # type: ignore[call-arg]
    embedder = load_embedder(settings)
    embedder.embed_documents(["warm-up passage"] * 8)

    pipe_rates, bare_rates, pipe_mem, bare_mem = [], [], [], []
    chunks = 0
    for _ in range(args.rounds):
        report, texts, mb = run_pipeline(settings, embedder, corpus)
        chunks = report.chunks
        pipe_rates.append(report.chunks / report.seconds)
        pipe_mem.append(mb)
        with PeakRSS() as mem:
            seconds, _ = timed(embedder.embed_documents, texts)
        bare_rates.append(len(texts) / seconds)
        bare_mem.append(mem.mb)

    pipe, bare = median(pipe_rates), median(bare_rates)
    print_table(
        f"ingest: {args.arabic} Arabic + {args.english} English articles -> {chunks} chunks, "
        f"{args.rounds} rounds, threads={settings.effective_threads}, "
        f"batch={settings.batch_size}, chunk={settings.chunk_tokens}/{settings.chunk_overlap}",
        ["what", "chunks/s (median)", "peak RSS MB", "ratio to bare"],
        [
            ["bare model.encode", f"{bare:.2f}", f"{max(bare_mem):.0f}", "1.00"],
            ["rag ingest pipeline", f"{pipe:.2f}", f"{max(pipe_mem):.0f}", f"{pipe / bare:.2f}"],
        ],
    )


if __name__ == "__main__":
    main()
