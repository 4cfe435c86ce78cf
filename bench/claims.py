"""The citation check across languages, on hand-written claim / quote pairs
(eval/alignment/claims.jsonl): how often it keeps a claim its quote states and one it does
not, at the shipped support threshold and at the threshold fitted on the dev split.

    .venv/bin/python bench/claims.py [--alignment]

A claim in one language citing a quote in the other is kept when the quote states its
numbers, its English names (by consonant skeleton) and its months and weekdays, and the two
are close in meaning: e5 cosine >= `RAG_SUPPORT_THRESHOLD`. The threshold is fitted here on
`dev` (highest balanced accuracy) and reported on `test` and `frozen`; ROC AUC of the cosine
alone is printed beside it, and with --alignment that of the contextual word alignment
(torch engine), which the check does not read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numpy as np  # noqa: E402

from eval.claims import balanced, fit, kept, load_claims  # noqa: E402
from eval.tradeoff import roc_auc  # noqa: E402
from rag.answer.alignment import alignment  # noqa: E402
from rag.models.load import load_embedder  # noqa: E402
from rag.settings import load_settings  # noqa: E402

sys.path.insert(0, str(_HERE))
from common import print_table  # noqa: E402

SPLITS = ("dev", "test", "frozen")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alignment", action="store_true", help="also the word alignment (torch)")
    args = parser.parse_args()
    settings = load_settings()
    pairs = load_claims()
    embedder = load_embedder(settings)
    q = embedder.query_prompt  # the check embeds claims and quotes alike
    cv = embedder.embed_batch([q + p.claim for p in pairs])
    qv = embedder.embed_batch([q + p.quote for p in pairs])
    cos = np.einsum("ij,ij->i", cv, qv)
    truth = np.array([p.supported for p in pairs])
    split = np.array([p.split for p in pairs])

    fitted = fit(pairs, cv, qv, settings.support_threshold)

    features = {"cosine": cos}
    if args.alignment:
        torch = load_embedder(settings.model_copy(update={"embed_backend": "torch"}))
        cs = torch.word_states([p.claim for p in pairs], q)
        qs = torch.word_states([p.quote for p in pairs], q)
        aligned = [alignment(a, b, lambda keys: {}) for a, b in zip(cs, qs, strict=True)]
        features["alignment coverage"] = np.array([a.coverage for a in aligned])
        features["alignment mean"] = np.array([a.mean for a in aligned])

    rows = []
    for name, threshold in (("shipped", settings.support_threshold), ("fitted on dev", fitted)):
        verdict = kept(pairs, cv, qv, threshold)
        for part in SPLITS:
            m = split == part
            rows.append(
                [
                    f"{name} ({threshold:.3f})",
                    f"{part} ({m.sum()})",
                    f"{verdict[m & truth].mean():.3f}",
                    f"{verdict[m & ~truth].mean():.3f}",
                    f"{balanced(verdict[m], truth[m]):.3f}",
                ]
            )
    print_table(
        "The check on cross-language claims: share kept",
        ["threshold", "split (pairs)", "kept: stated", "kept: not stated", "balanced accuracy"],
        rows,
    )
    auc_rows = []
    for name, values in features.items():
        auc_rows.append(
            [name]
            + [
                f"{roc_auc(truth[split == s].tolist(), values[split == s].tolist()):.3f}"
                for s in SPLITS
            ]
        )
    print_table("Stated or not, one feature alone", ["ROC AUC", *SPLITS], auc_rows)


if __name__ == "__main__":
    main()
