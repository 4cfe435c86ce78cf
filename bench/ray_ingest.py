"""Ingest throughput: the local engine vs the ray engine with 1 and 2 embedding actors, on the
same articles, in one run.

    .venv/bin/python bench/ray_ingest.py [--arabic 150] [--english 150] [--actors 1,2]

Each configuration ingests the same corpus (SaudiNewsNet + BBC from the shared data) into a
fresh store. The Ray rows run on one local Ray (all of this machine's CPUs), started once
and kept warm, so its start-up (reported on its own) is not in the rates. Throughput is
chunks stored per second of the whole ingest (read, clean, chunk, embed, write); the last
column projects N actors from the per-actor rate of the 1-actor run (embedding is what
scales; the one writer stays one).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

# bench/ingest.py shares its name with the `ingest` package: import the package first,
# without this directory on the path, then put the directory back for `common`.
_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from ingest.pipeline import Ingestor  # noqa: E402
from ingest.ray_engine import RayIngestor, plan  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.wiring import Parts  # noqa: E402

sys.path.insert(0, str(_HERE))
from common import print_table, require_data, write_corpus  # noqa: E402


def run(engine: type[Ingestor], settings: Settings, corpus: Path) -> tuple[int, float]:
    parts = Parts(settings)
    parts.embedder  # noqa: B018 - loaded before the clock starts, as for every row
    start = time.perf_counter()
    report = engine.from_parts(parts).run([corpus])
    return report.chunks, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arabic", type=int, default=150)
    parser.add_argument("--english", type=int, default=150)
    parser.add_argument("--actors", default="1,2", help="actor counts to run, comma separated")
    args = parser.parse_args()
    require_data()
    logging.basicConfig(level=logging.WARNING)
    import ray

    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(Path(tmp) / "corpus", args.arabic, args.english)
        base = Settings(_env_file=None)  # type: ignore[call-arg]
        started = time.perf_counter()
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
        ray_start = time.perf_counter() - started
        resources = ray.cluster_resources()
        rows, per_actor = [], 0.0
        local_chunks, local_s = run(Ingestor, base.model_copy(update={
            "data_dir": Path(tmp) / "local"}), corpus)  # fmt: skip
        local_rate = local_chunks / local_s
        rows.append(["local engine", "-", str(local_chunks), f"{local_s:.1f}",
                     f"{local_rate:.1f}", "1.00", "-"])  # fmt: skip
        for actors in [int(a) for a in args.actors.split(",")]:
            settings = base.model_copy(update={
                "data_dir": Path(tmp) / f"ray-{actors}", "ray_actors": actors,
                "ingest_engine": "ray"})  # fmt: skip
            shape = plan(settings, resources)
            chunks, seconds = run(RayIngestor, settings, corpus)
            rate = chunks / seconds
            if actors == 1:
                per_actor = rate
            rows.append([f"ray, {actors} actor{'s' * (actors > 1)}",
                         f"{shape['threads']} threads each", str(chunks), f"{seconds:.1f}",
                         f"{rate:.1f}", f"{rate / local_rate:.2f}",
                         f"{per_actor * actors:.1f}" if per_actor else "-"])  # fmt: skip
        ray.shutdown()
    print_table(
        f"ingest of {args.arabic} Arabic + {args.english} English articles; "
        f"local Ray start-up {ray_start:.1f} s (not in the rates); "
        f"cluster {resources.get('CPU', 0):.0f} CPUs, {resources.get('GPU', 0):.0f} GPUs",
        ["engine", "actors", "chunks", "seconds", "chunks/s", "vs local", "N x 1-actor rate"],
        rows,
    )


if __name__ == "__main__":
    main()
