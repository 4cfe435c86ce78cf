"""Query latency on a large real store: embed, bare Chroma, hybrid retrieval, extractive answer.

    .venv/bin/python bench/query.py [--chunks 20000] [--queries 40] [--store DIR]

The store (SaudiNewsNet + BBC from the shared data) is built once by `rag ingest` into the
cache dir and reused; building it is resumable. Every query runs each step in turn, so the
medians and the ratio retrieval / (embed + bare query) come from one run (goal <= 1.3).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

# bench/ingest.py shares its name with the `ingest` package: import the package first,
# without this directory on the path, then put the directory back for `common`.
_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from ingest.cli import run_ingest  # noqa: E402
from rag.assistant import Assistant  # noqa: E402
from rag.settings import Settings  # noqa: E402

sys.path.insert(0, str(_HERE))
from common import BBC, SAUDI, median, p95, print_table, require_data  # noqa: E402

FIXED = [
    "what did Erdogan demand?",
    "ماذا طالب أردوغان؟",
    "What did the government say about oil prices?",
    "ما هي أسعار النفط اليوم؟",
    "Who won the football match?",
    "من فاز في مباراة كرة القدم؟",
]


def build_store(settings: Settings, target: int) -> int:
    """Ingest BBC, then SaudiNewsNet day by day, until the store holds `target` chunks."""
    sources = [BBC, *sorted(SAUDI.glob("*.zip"))]
    assistant_store = Assistant.from_settings(settings).store
    for source in sources:
        count = assistant_store.count()
        if count >= target:
            return count
        print(f"building store: {count} chunks, ingesting {source.name} ...", flush=True)
        run_ingest(settings, [source], rebuild=False, quiet=True)
    return assistant_store.count()


def questions(assistant: Assistant, n: int) -> list[str]:
    """Fixed questions plus titles of stored articles in both languages."""
    titles = {"ar": [], "en": []}  # type: dict[str, list[str]]
    for meta in assistant.store.iter_registry():
        lang = meta.get("language")
        if lang in titles and meta.get("title") and len(titles[lang]) < n:
            titles[lang].append(str(meta["title"]))
    mixed = [t for pair in zip(titles["ar"], titles["en"], strict=False) for t in pair]
    return (FIXED + mixed)[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=20000, help="store size to build/reuse")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--store", type=Path, default=None, help="data dir of the bench store")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    require_data()
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    data_dir = args.store or base.cache_dir / "bench" / "query-store"
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    size = build_store(settings, args.chunks)
    assistant = Assistant.from_settings(settings)
    embedder, store, retriever = assistant.embedder, assistant.store, assistant.retriever
    qs = questions(assistant, args.queries)
    assistant.ask(qs[0])  # warm caches

    steps: dict[str, list[float]] = {k: [] for k in ("embed", "bare", "hybrid", "answer")}
    for q in qs:
        t0 = time.perf_counter()
        vec = embedder.embed_query(q)
        t1 = time.perf_counter()
        store.query(vec, settings.top_k)
        t2 = time.perf_counter()
        retriever.retrieve(q)
        t3 = time.perf_counter()
        assistant.ask(q)
        t4 = time.perf_counter()
        steps["embed"].append(t1 - t0)
        steps["bare"].append(t2 - t1)
        steps["hybrid"].append(t3 - t2)
        steps["answer"].append(t4 - t3)

    rows = [
        [name, f"{median(v) * 1000:.1f}", f"{p95(v) * 1000:.1f}"]
        for name, v in (
            ("query embedding alone", steps["embed"]),
            ("bare Chroma query (k=5)", steps["bare"]),
            ("full hybrid retrieval (embed + dense + BM25 + fusion + MMR)", steps["hybrid"]),
            ("extractive answer (retrieval + sentence scoring)", steps["answer"]),
        )
    ]
    per_query = [
        h / (e + b) for e, b, h in zip(steps["embed"], steps["bare"], steps["hybrid"], strict=True)
    ]
    print_table(
        f"query: {size} chunks, {len(qs)} queries (Arabic + English), "
        f"threads={settings.effective_threads}",
        ["step", "median ms", "p95 ms"],
        rows,
    )
    print(
        f"\nratio hybrid retrieval / (embed + bare query): median {median(per_query):.2f} "
        f"(goal <= 1.3)"
    )


if __name__ == "__main__":
    main()
