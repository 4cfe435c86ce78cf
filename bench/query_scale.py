"""Query latency at archive scale without days of embedding: the real BBC store beside
the same chunks replicated to ~100k, side by side: embed, bare Chroma query, hybrid
retrieval, and their ratio (issue 16: hybrid / (embed + bare query) <= 1.3 at 100k chunks).

    .venv/bin/python bench/query_scale.py [--chunks 100000] [--queries 40]

The replicated store holds the real store's chunks (`bench/query.py` builds it) copied
until it reaches --chunks, each copy under new chunk and document ids with its vector
moved by Gaussian noise (cosine ~0.9 to the original), so the HNSW graph, Chroma's reads
and BM25's postings are those of an archive that size. It measures speed, not quality:
the copies repeat the texts. Built once into the cache dir (a minute or two, no
embedding); each query runs on both stores in turn, so the machine's noise falls on both.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numpy as np  # noqa: E402

from rag.settings import Settings  # noqa: E402
from rag.store.chroma import MAX_BATCH  # noqa: E402
from rag.store.chunks import ChunkStore  # noqa: E402
from rag.wiring import Parts  # noqa: E402

sys.path.insert(0, str(_HERE))
from common import median, p95, print_table  # noqa: E402

sys.path.remove(str(_HERE))
_spec = importlib.util.spec_from_file_location("bench_query", _HERE / "query.py")
assert _spec and _spec.loader
bench_query = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_query)

NOISE = 0.025  # per dimension: |noise| ~ 0.49 on a 384-d unit vector, cosine ~0.9


def replicate(real: ChunkStore, settings: Settings, target: int) -> int:
    """The real store's chunks, copied with moved vectors until `target` chunks."""
    copy = Parts(settings).store
    if copy.count() >= target:
        return copy.count()
    copy.reset()
    rng = np.random.default_rng(0)
    ids = real.chunks.get(include=[])["ids"]
    rounds = -(-target // len(ids))
    print(f"replicating {len(ids)} chunks x {rounds} ...", flush=True)
    for lo in range(0, len(ids), MAX_BATCH):
        got = real.chunks.get(
            ids=ids[lo : lo + MAX_BATCH], include=["metadatas", "documents", "embeddings"]
        )
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        for r in range(rounds):
            moved = vectors + (rng.normal(0, NOISE, vectors.shape) if r else 0)
            moved /= np.linalg.norm(moved, axis=1, keepdims=True)
            metas: list[dict[str, Any]] = [
                {**m, "doc_id": f"{m.get('doc_id', '')}~{r}"} for m in got["metadatas"]
            ]
            copy.chunks.upsert(
                ids=[f"{cid}~{r}" for cid in got["ids"]],
                embeddings=moved.tolist(),
                metadatas=metas,  # type: ignore[arg-type]
                documents=got["documents"],
            )
    return copy.count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    real_dir = base.cache_dir / "bench" / f"query-store-{base.embed_backend}"
    real = Settings(data_dir=real_dir, _env_file=None)  # type: ignore[call-arg]
    real_store = Parts(real).store
    sizes = {"real": real_store.count()}
    if sizes["real"] == 0:
        raise SystemExit(f"no store at {real_dir}: run bench/query.py --sizes 8000 first")
    scaled = Settings(  # type: ignore[call-arg]
        data_dir=real_dir.with_name(f"{real_dir.name}-x{args.chunks}"), _env_file=None
    )
    sizes["replicated"] = replicate(real_store, scaled, args.chunks)
    qs = bench_query.questions(real_store, args.queries)
    # bench/query.py's measurement, both stores in turn per query (its answer steps run
    # too; on the replicated store they embed the copies' sentences, so only retrieval is
    # reported here).
    steps = bench_query.measure({"real": real, "replicated": scaled}, qs)
    header = ["step"]
    for name in steps:
        header += [f"{name} {sizes[name]} median ms", "p95 ms"]
    rows = []
    for key, label in (
        ("embed", "query embedding alone"),
        ("bare", "bare Chroma query (k=5)"),
        ("hybrid", "full hybrid retrieval"),
    ):
        row = [label]
        for name in steps:
            row += [f"{median(steps[name][key]) * 1000:.1f}", f"{p95(steps[name][key]) * 1000:.1f}"]
        rows.append(row)
    print_table(f"query at scale: {len(qs)} queries, backend={real.embed_backend}", header, rows)
    for name in steps:
        print(
            f"{name} ({sizes[name]} chunks): ratio hybrid retrieval / (embed + bare query) "
            f"median {median(steps[name]['ratio']):.2f} (goal <= 1.3)"
        )


if __name__ == "__main__":
    main()
