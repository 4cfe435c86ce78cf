"""Query latency by store size: embed, bare Chroma, hybrid retrieval, extractive answer.

    .venv/bin/python bench/query.py [--sizes 10000,100000] [--queries 40] [--store DIR]

The largest store (BBC, then SaudiNewsNet day by day, from the shared data) is built once
by `rag ingest` into the cache dir (one per RAG_EMBED_BACKEND) and reused; building it is
resumable (a killed build continues where it stopped). Each smaller store is the first
articles of the largest one, copied with their vectors (no re-embedding) and cached beside
it. Every query runs each step in turn on every store, so medians, the ratio retrieval /
(embed + bare query) (goal <= 1.3) and the growth from the smallest to the largest store
come from one run.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

# bench/ingest.py shares its name with the `ingest` package: import the package first,
# without this directory on the path, then put the directory back for `common`.
_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from ingest.cli import run_ingest  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.store.chroma import MAX_BATCH  # noqa: E402
from rag.store.chunks import ChunkStore  # noqa: E402
from rag.store.sentences import sentence_ids  # noqa: E402
from rag.wiring import Parts  # noqa: E402

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
    store = Parts(settings).store
    for source in sources:
        count = store.count()
        if count >= target:
            return count
        print(f"building store: {count} chunks, ingesting {source.name} ...", flush=True)
        run_ingest(settings, [source], rebuild=False, quiet=True)
    return store.count()


def derive_store(big: ChunkStore, settings: Settings, target: int) -> int:
    """The first documents of `big` holding >= `target` chunks, copied with their vectors."""
    small = Parts(settings).store
    if small.count() >= target:
        return small.count()
    small.reset()
    doc_ids: list[str] = []
    total = 0
    for meta in big.iter_registry():
        doc_ids.append(str(meta["doc_id"]))
        total += len(json.loads(meta["chunk_ids"]))
        if total >= target:
            break
    print(f"deriving a {total}-chunk store from the {big.count()}-chunk one ...", flush=True)
    for lo in range(0, len(doc_ids), 500):
        ids = [f"doc:{d}" for d in doc_ids[lo : lo + 500]]
        reg = big.registry.get(ids=ids, include=["metadatas"])
        texts = sorted({f"txt:{m['text_hash']}" for m in reg["metadatas"]})
        res = big.registry.get(ids=ids + texts, include=["metadatas", "embeddings"])
        small.registry.upsert(
            ids=res["ids"], metadatas=res["metadatas"], embeddings=res["embeddings"]
        )
        chunk_ids = [c for m in reg["metadatas"] for c in json.loads(m["chunk_ids"])]
        for clo in range(0, len(chunk_ids), MAX_BATCH):
            res = big.chunks.get(
                ids=chunk_ids[clo : clo + MAX_BATCH],
                include=["metadatas", "embeddings", "documents"],
            )
            small.chunks.upsert(
                ids=res["ids"],
                metadatas=res["metadatas"],
                embeddings=res["embeddings"],
                documents=res["documents"],
            )
            sids = sentence_ids(res["ids"])
            for slo in range(0, len(sids), MAX_BATCH):
                got = big.sentences.collection.get(
                    ids=sids[slo : slo + MAX_BATCH], include=["metadatas", "embeddings"]
                )
                if got["ids"]:
                    small.sentences.collection.upsert(
                        ids=got["ids"], metadatas=got["metadatas"], embeddings=got["embeddings"]
                    )
    return small.count()


def questions(store: ChunkStore, n: int) -> list[str]:
    """Fixed questions plus titles of stored articles in both languages."""
    titles = {"ar": [], "en": []}  # type: dict[str, list[str]]
    for meta in store.iter_registry():
        lang = meta.get("language")
        if lang in titles and meta.get("title") and len(titles[lang]) < n:
            titles[lang].append(str(meta["title"]))
    mixed = [t for pair in zip(titles["ar"], titles["en"], strict=False) for t in pair]
    shorter = min(len(titles["ar"]), len(titles["en"]))
    rest = titles["ar"][shorter:] + titles["en"][shorter:]  # a one-language store
    return (FIXED + mixed + rest)[:n]


def measure(stores: dict[int, Settings], qs: list[str]) -> dict[int, dict[str, list[float]]]:
    """Per query and store, in turn: embedding, bare Chroma query, hybrid retrieval, answer
    (the candidate sentences' vectors read from the store), and the same answer with them
    embedded at question time (a store ingested with RAG_SENTENCE_VECTORS=false).

    Interleaved (each query on every store before the next query), so machine noise falls
    on all sizes alike and the growth column compares like with like.
    """
    first = next(iter(stores.values()))
    embedder = Parts(first).embedder
    wired = {n: Parts(s, embedder=embedder) for n, s in stores.items()}
    embedding = {n: Parts(s, embedder=embedder).assistant for n, s in stores.items()}
    for n, parts in wired.items():
        embedding[n].sentence_vectors.read = lambda ids: {}  # as if none were stored
        parts.assistant.ask(qs[0])  # warm caches (and build the BM25 index if missing)
        embedding[n].ask(qs[0])
    keys = ("embed", "bare", "hybrid", "answer", "embedded", "ratio", "answer_ratio")
    steps = {n: {k: [] for k in keys} for n in stores}  # type: dict[int, dict[str, list[float]]]
    for q in qs:
        for n, parts in wired.items():
            # Each step embeds the question afresh, as a new question would be: the
            # embedder's memory of recent questions is for one question's several steps.
            embedder.__dict__.pop("_recent_queries", None)
            t0 = time.perf_counter()
            vec = embedder.embed_query(q)
            t1 = time.perf_counter()
            parts.store.query(vec, parts.settings.top_k)
            t2 = time.perf_counter()
            embedder.__dict__.pop("_recent_queries", None)
            parts.retriever.retrieve(q)
            t3 = time.perf_counter()
            embedder.__dict__.pop("_recent_queries", None)
            parts.assistant.ask(q)
            t4 = time.perf_counter()
            embedder.__dict__.pop("_recent_queries", None)
            embedding[n].ask(q)
            t5 = time.perf_counter()
            times = (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)
            for key, value in zip(keys, times, strict=False):
                steps[n][key].append(value)
            steps[n]["ratio"].append((t3 - t2) / (t2 - t0))
            steps[n]["answer_ratio"].append((t4 - t3) / (t3 - t2))
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="store sizes in chunks")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--store", type=Path, default=None, help="data dir of the largest store")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    require_data()
    sizes = sorted(int(x) for x in args.sizes.split(","))
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    # One store per embed backend: torch and int8 vectors never share a store.
    data_dir = args.store or base.cache_dir / "bench" / f"query-store-{base.embed_backend}"
    big_settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    actual = {sizes[-1]: build_store(big_settings, sizes[-1])}
    stores = {sizes[-1]: big_settings}
    big = Parts(big_settings).store
    for size in sizes[:-1]:
        small_dir = data_dir.with_name(f"{data_dir.name}-{size}")
        stores[size] = Settings(data_dir=small_dir, _env_file=None)  # type: ignore[call-arg]
        actual[size] = derive_store(big, stores[size], size)
    qs = questions(big, args.queries)
    results = measure({size: stores[size] for size in sizes}, qs)

    labels = (
        ("embed", "query embedding alone"),
        ("bare", "bare Chroma query (k=5)"),
        ("hybrid", "full hybrid retrieval (embed + dense + BM25 + fusion + MMR)"),
        ("answer", "extractive answer (retrieval + check + quotes), stored sentence vectors"),
        ("embedded", "the same answer, its candidate sentences embedded at question time"),
    )
    header = ["step"]
    for size in sizes:
        header += [f"{actual[size]} median ms", f"{actual[size]} p95 ms"]
    if len(sizes) > 1:
        header.append(f"growth {actual[sizes[0]]} -> {actual[sizes[-1]]}")
    rows = []
    for key, label in labels:
        row = [label]
        for size in sizes:
            row += [
                f"{median(results[size][key]) * 1000:.1f}",
                f"{p95(results[size][key]) * 1000:.1f}",
            ]
        if len(sizes) > 1:
            row.append(f"{median(results[sizes[-1]][key]) / median(results[sizes[0]][key]):.2f}x")
        rows.append(row)
    print_table(
        f"query: {len(qs)} queries (Arabic + English), threads={big_settings.effective_threads}, "
        f"backend={big_settings.embed_backend}",
        header,
        rows,
    )
    for size in sizes:
        print(
            f"{actual[size]} chunks: ratio hybrid retrieval / (embed + bare query) median "
            f"{median(results[size]['ratio']):.2f} (goal <= 1.3); answer / retrieval median "
            f"{median(results[size]['answer_ratio']):.2f} (goal <= 2), "
            f"{median(results[size]['embedded']) / median(results[size]['hybrid']):.2f} with the "
            "sentences embedded at question time"
        )


if __name__ == "__main__":
    main()
