"""One-shot command line cost: `rag ask` vs a bare script that loads the embedder and encodes
one query, side by side in one run (goal: ask <= 1.5x bare).

    .venv/bin/python bench/cli.py [--rounds 5]

Every round runs, as fresh processes, in turn: the bare script (sentence-transformers loads
the same model directory and encodes one question), `rag ask QUESTION --json`, `rag stats
--json` and `rag list` over the sample articles (ingested once into a temporary store).
Wall-clock medians, and the ratio of each to the bare script.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from rag.models.load import resolve_model_path  # noqa: E402
from rag.settings import Settings  # noqa: E402

sys.path.insert(0, str(_HERE))
from common import REPO, median, print_table  # noqa: E402

QUESTION = "what did Erdogan demand?"
BARE = """
import sys
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(sys.argv[1], device="cpu")
model.encode(["query: " + sys.argv[2]], normalize_embeddings=True)
"""


def wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    model = resolve_model_path(Settings(_env_file=None))  # type: ignore[call-arg]
    rag = [sys.executable, "-c", "from rag.cli import main; main()"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        env |= {"RAG_DATA_DIR": str(Path(tmp) / "data"), "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_VERBOSITY": "error", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}  # fmt: skip
        subprocess.run([*rag, "ingest", str(REPO / "samples" / "articles")], env=env,
                       check=True, capture_output=True)  # fmt: skip
        steps = {
            "bare: load embedder + encode one query": [
                sys.executable,
                "-c",
                BARE,
                model,
                QUESTION,
            ],
            "rag ask QUESTION --json": [*rag, "ask", QUESTION, "--json"],
            "rag stats --json": [*rag, "stats", "--json"],
            "rag list": [*rag, "list"],
        }
        times: dict[str, list[float]] = {name: [] for name in steps}
        for _ in range(args.rounds):
            for name, cmd in steps.items():
                times[name].append(wall(cmd, env))
    bare = median(times[next(iter(steps))])
    rows = [
        [name, f"{median(t):.2f}", f"{min(t):.2f}", f"{median(t) / bare:.2f}"]
        for name, t in times.items()
    ]
    print_table(
        f"one-shot commands, {args.rounds} rounds interleaved, wall seconds",
        ["command", "median", "best", "vs bare"],
        rows,
    )


if __name__ == "__main__":
    main()
