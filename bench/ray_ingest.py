"""Ingest throughput: the local engine vs the ray engine with 1 and 2 embedding actors, on the
same articles, in one run.

    .venv/bin/python bench/ray_ingest.py [--arabic 150] [--english 150] [--actors 1,2]
                                         [--rounds 2]

Each configuration ingests the same corpus (SaudiNewsNet + BBC from the shared data) into a
fresh store. The Ray rows run on one local Ray (all of this machine's CPUs), started once
and kept warm, so its start-up (reported on its own) is not in the rates. Throughput is
chunks stored per second of the whole ingest (read, clean, chunk, embed, write), the median
of interleaved rounds; the last
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
from common import median, print_table, require_data, write_corpus  # noqa: E402


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
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (medians)")
    args = parser.parse_args()
    require_data()
    logging.basicConfig(level=logging.WARNING)
    import ray

    from ingest.ray_engine import ray_session  # quiets Ray's own logging

    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(Path(tmp) / "corpus", args.arabic, args.english)
        base = Settings(_env_file=None)  # type: ignore[call-arg]
        started = time.perf_counter()
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
        ray_session(base).__enter__()  # connected already: only quiets the logs
        ray_start = time.perf_counter() - started
        resources = ray.cluster_resources()
        cpus = int(resources.get("CPU", 1))
        configs: list[tuple[str, str, type[Ingestor], dict[str, object]]] = [
            ("local engine", "1 process", Ingestor, {}),
            (f"local, --workers {cpus}", f"{cpus} processes, 1 thread each", Ingestor,
             {"ingest_workers": cpus}),
        ]  # fmt: skip
        for actors in [int(a) for a in args.actors.split(",")]:
            update: dict[str, object] = {"ray_actors": actors, "ingest_engine": "ray"}
            threads = plan(base.model_copy(update=update), resources)["threads"]
            configs.append((f"ray, {actors} actor(s)", f"{threads} thread(s) each", RayIngestor,
                            update))  # fmt: skip
        # Rounds interleave the configurations, so that machine noise hits all alike.
        seconds: dict[str, list[float]] = {name: [] for name, *_ in configs}
        chunks: dict[str, int] = {}
        for round_no in range(args.rounds):
            for name, _, engine, update in configs:
                settings = base.model_copy(
                    update={"data_dir": Path(tmp) / f"{name}-{round_no}", **update}
                )
                chunks[name], took = run(engine, settings, corpus)
                seconds[name].append(took)
        rows: list[list[str]] = []
        local_rate = per_actor = 0.0
        for name, shape, _, update in configs:
            rate = chunks[name] / median(seconds[name])
            local_rate = local_rate or rate
            row = [name, shape, str(chunks[name]), f"{median(seconds[name]):.1f}",
                   f"{rate:.1f}", f"{rate / local_rate:.2f}", "-"]  # fmt: skip
            if "ray_actors" in update:
                actors = int(update["ray_actors"])  # type: ignore[call-overload]
                per_actor = per_actor or rate / actors
                row[-1] = f"{per_actor * actors:.1f}"
            rows.append(row)
        ray.shutdown()
    print_table(
        f"ingest of {args.arabic} Arabic + {args.english} English articles; "
        f"local Ray start-up {ray_start:.1f} s (not in the rates); "
        f"cluster {resources.get('CPU', 0):.0f} CPUs, {resources.get('GPU', 0):.0f} GPUs",
        ["engine", "embedding", "chunks", "seconds", "chunks/s", "vs local", "N x 1-actor rate"],
        rows,
    )


if __name__ == "__main__":
    main()
