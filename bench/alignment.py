"""Word alignment on the hand-aligned pairs (eval/alignment/pairs.jsonl), per encoder layer
and cosine floor, beside single-word vectors (each word embedded alone, as the check's soft
matching does), in one run.

    .venv/bin/python bench/alignment.py

The shipped layer (`rag.models.load.ALIGN_LAYER`) and floor (`ALIGN_MIN`) are marked.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import rag.models.load as engines  # noqa: E402
from eval.alignment import load_pairs, score  # noqa: E402
from rag.answer.alignment import ALIGN_MIN  # noqa: E402
from rag.embedder import Embedder  # noqa: E402
from rag.models.load import load_embedder  # noqa: E402
from rag.settings import load_settings  # noqa: E402

sys.path.insert(0, str(_HERE))
from common import print_table  # noqa: E402

FLOORS = (0.0, 0.4, 0.5, 0.6)


def main() -> None:
    pairs = load_pairs()
    # Contextual word states come from the torch engine's encoder.
    embedder = load_embedder(load_settings().model_copy(update={"embed_backend": "torch"}))
    shipped = engines.ALIGN_LAYER
    rows = []

    def report(name: str, a, b) -> None:
        for floor in FLOORS:
            got = score(pairs, a, b, floor)
            mark = " *" if name == f"layer {shipped}" and floor == ALIGN_MIN else ""
            rows.append(
                [
                    name + mark,
                    f"{floor:.1f}",
                    *(
                        f"{got[g].precision:.2f}/{got[g].recall:.2f}/{got[g].f1:.2f}"
                        for g in ("cross", "paraphrase", "all")
                    ),
                ]
            )

    a_texts, b_texts = [p.a for p in pairs], [p.b for p in pairs]
    q, d = embedder.query_prompt, embedder.passage_prompt
    report(
        "single words",
        Embedder.word_states(embedder, a_texts, q),
        Embedder.word_states(embedder, b_texts, q),
    )
    for layer in range(2, 13):
        engines.ALIGN_LAYER = layer
        report(f"layer {layer}", embedder.word_states(a_texts, q), embedder.word_states(b_texts, d))
    engines.ALIGN_LAYER = shipped
    links = sum(len(p.links) for p in pairs)
    print_table(
        f"word alignment, {len(pairs)} hand-aligned pairs ({links} links), {embedder.model_id}; "
        "precision/recall/F1 (* shipped)",
        ["vectors", "floor", "cross-language", "paraphrase", "all"],
        rows,
    )


if __name__ == "__main__":
    main()
