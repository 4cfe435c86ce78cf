"""Bulk ingest on Ray (`rag ingest --engine ray`): the same ingest, spread over a cluster.

    driver: walk the paths ─▶ Ray Data: read, clean, chunk (read actors, in input order)
        ─▶ driver: ids, duplicates, registry (unchanged articles stop here)
        ─▶ embedding actors (one model each; one GPU each when the cluster has GPUs)
        ─▶ driver: the one writer (Chroma, then the BM25 index), as `rag ingest` writes

Only the stages move: the decisions (doc ids, duplicates, what is unchanged) and the writes
are `ingest.pipeline.Ingestor`'s own, so the result is the local engine's: the same doc
ids, chunk ids, texts and metadata, the same report, the same crash-safety order and
resume. Inputs must be paths every node can read (a shared file system).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ingest.pipeline import Ingestor, Prepared, Progress, Work
from ingest.readers import Failure, iter_files, read_file, unexpected
from ingest.report import IngestReport
from ingest.workers import in_order
from rag.errors import ConfigError, ModelError
from rag.settings import Settings

log = logging.getLogger(__name__)

# Logical CPUs a read actor asks for: reading and chunking are light next to embedding,
# and the embedding actors must never starve them of a slot (a deadlock on small nodes).
READ_CPUS = 0.2


class RayIngestor(Ingestor):
    """An `Ingestor` whose reading, chunking and embedding run on Ray."""

    def _run(
        self, paths: Sequence[Path], progress: Progress | None, report: IngestReport
    ) -> IngestReport:
        if self.namespace:
            raise ConfigError("the ray engine ingests paths from the command line, not uploads")
        with ray_session(self.settings) as ray:
            self._ray = ray
            self._plan = plan(self.settings, ray.cluster_resources())
            log.info("ray ingest: %s", self._plan)
            return super()._run(paths, progress, report)

    def _prepared(self, paths: Sequence[Path]) -> Iterator[Prepared]:
        rows = [
            {"root": str(root), "path": "", "where": item.where, "reason": item.reason}
            if isinstance(item, Failure)
            else {"root": str(root), "path": str(item.path), "where": "", "reason": ""}
            for root in paths
            for item in iter_files([root])
        ]
        if not rows:
            return
        import ray.data

        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # the local engine's order
        context.enable_progress_bars = False
        dataset = ray.data.from_items(rows, override_num_blocks=min(len(rows), 512)).flat_map(
            ReadAndChunk,
            fn_constructor_kwargs={"settings": self.settings},
            compute=ray.data.ActorPoolStrategy(size=self._plan["readers"]),
            num_cpus=READ_CPUS,
        )
        for row in dataset.iter_rows():
            yield pickle.loads(row["payload"])

    def _embed(self, batches: Iterator[list[Work]], write: Callable[[Any], None]) -> None:
        ray = self._ray
        actors = self._plan["actors"]
        threads = self._plan["threads"]
        settings = self.settings.model_copy(update={"threads": threads})
        options: dict[str, Any] = (
            {"num_gpus": 1, "num_cpus": 1}
            if self._plan["gpus"]
            else {"num_cpus": self._plan["cpus"]}
        )
        remote = ray.remote(**options)(EmbedActor)
        pool = [remote.remote(settings) for _ in range(actors)]
        turns = itertools.cycle(pool)  # round robin; in_order keeps at most one queued each

        def submit(batch: list[Work]) -> Any:
            return next(turns).embed.remote(self.embed_texts(batch))

        def result(ref: Any) -> Any:
            try:
                return ray.get(ref)
            except ray.exceptions.RayActorError as exc:
                raise ModelError(
                    "an embedding actor died (out of memory, or its node was lost); run the "
                    f"same command again to resume ({exc.__class__.__name__})"
                ) from None

        try:
            in_order(batches, submit, result, actors, write)
        finally:
            for actor in pool:
                ray.kill(actor)


class ReadAndChunk:
    """Ray Data stage: one input file -> its records, cleaned and chunked (one tokenizer per
    actor, the embedder's own file without its weights: chunk sizes are the local engine's)."""

    def __init__(self, settings: Settings) -> None:
        from ingest.chunker import Chunker
        from rag.wiring import load_token_counter

        self.settings = settings
        counter = load_token_counter(settings)
        self.chunker = Chunker(counter, settings.chunk_tokens, settings.chunk_overlap)

    def __call__(self, row: dict[str, str]) -> list[dict[str, bytes]]:
        from ingest.pipeline import prepare

        if row["reason"]:
            items = [Prepared(row["where"], failure=row["reason"])]
        else:
            root = Path(row["root"])
            items = [
                prepare(record, root) for record in read_file(Path(row["path"]), self.settings)
            ]
        for prep in items:
            if prep.doc is not None:
                try:
                    prep.chunks = self.chunker.split(prep.doc)
                except Exception as exc:  # one article's chunking must not cost the rest
                    prep.chunk_error = unexpected("could not be chunked", exc)
        return [{"payload": pickle.dumps(prep)} for prep in items]


class EmbedActor:
    """One embedding model; `embed` returns the passage vectors of a batch."""

    def __init__(self, settings: Settings) -> None:
        from rag.wiring import load_embedder

        self.embedder = load_embedder(settings)

    def embed(self, texts: list[str]) -> Any:
        return self.embedder.embed_documents(texts)


def plan(settings: Settings, resources: dict[str, float]) -> dict[str, Any]:
    """How many actors, with what: one per GPU when the cluster has GPUs; otherwise one per
    RAG_THREADS CPUs (RAG_RAY_ACTORS overrides), each asking for its share of the CPUs."""
    gpus = int(resources.get("GPU", 0))
    cpus = float(resources.get("CPU", 1))
    threads = settings.threads or min(os.cpu_count() or 1, max(1, int(cpus)))
    actors = settings.ray_actors or (gpus if gpus else max(1, int(cpus) // threads))
    if not gpus:
        threads = max(1, min(threads, int(cpus) // actors or 1))
    readers = max(1, min(4, int(cpus) // 8 or 1))
    # Logical CPUs per embedding actor: what is left after the readers, shared.
    share = max(0.1, round((cpus - readers * READ_CPUS) / actors, 2))
    return {"actors": actors, "gpus": gpus, "threads": threads, "cpus": min(threads, share),
            "readers": readers}  # fmt: skip


@contextlib.contextmanager
def ray_session(settings: Settings) -> Iterator[Any]:
    """Ray, connected to RAG_RAY_ADDRESS or a local Ray started for this ingest (and shut
    down after it). An already connected session (a notebook, tests) is used as it is."""
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "RAG_INGEST_ENGINE=ray needs Ray: pip install 'ray[data]==2.60.0' (the project's "
            "`ray` extra; make test installs it), or use --engine local"
        ) from None
    import ray.data

    for name in ("ray", "ray.data"):  # execution plans and stats are not the user's report
        logging.getLogger(name).setLevel(logging.ERROR)
    if ray.is_initialized():
        yield ray
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        ray.init(
            address=settings.ray_address or None,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ConfigError(
            f"RAG_RAY_ADDRESS={settings.ray_address or '(local)'}: cannot start or reach Ray "
            f"({exc}); check the address, or leave it empty for a local Ray"
        ) from None
    try:
        yield ray
    finally:
        ray.shutdown()
