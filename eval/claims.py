"""Cross-language claims and the quotes they cite (`eval/alignment/claims.jsonl`): the data
the citation check's support threshold is fitted on (`bench/claims.py`), and the fit.

A pair is a claim in one language citing a quote in the other, as an LLM answer in the
reader's language cites the passage it translates; `supported` says whether the quote states
the claim. The threshold is the cosine at which the check keeps claims with the best
balanced accuracy on `dev`; `test` reports it and `frozen` is never fitted on."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from eval.alignment import read_rows
from rag.answer.support import supports

CLAIMS = Path(__file__).with_name("alignment") / "claims.jsonl"


class ClaimPair(NamedTuple):
    """A claim in one language and the quote it cites in the other (eval/alignment/README.md)."""

    id: str
    kind: str  # claim language - quote language: ar-en, en-ar
    split: str  # dev (fitting), test (reporting), frozen (never fitted on)
    claim: str
    quote: str
    supported: bool


def load_claims(path: Path = CLAIMS) -> list[ClaimPair]:
    return read_rows(
        path,
        lambda row: ClaimPair(
            row["id"],
            row["kind"],
            row["split"],
            row["claim"],
            row["quote"],
            bool(row["supported"]),
        ),
        "a claim pair",
    )


def kept(pairs: list[ClaimPair], cv: np.ndarray, qv: np.ndarray, threshold: float) -> np.ndarray:
    """The check's verdict on each pair at `threshold` (the code answers go through), given
    the claims' and quotes' vectors (query prompt on both, as the check embeds them)."""
    return np.array(
        [supports(p.claim, p.quote, cv[i], qv[i], threshold)[0] for i, p in enumerate(pairs)]
    )


def balanced(verdict: np.ndarray, truth: np.ndarray) -> float:
    """Mean of the share of stated claims kept and the share of unstated ones dropped."""
    return float(0.5 * (verdict[truth].mean() + (1 - verdict[~truth].mean())))


def fit(pairs: list[ClaimPair], cv: np.ndarray, qv: np.ndarray, shipped: float) -> float:
    """The threshold with the best balanced accuracy on the dev pairs; of several as good,
    the middle one (not the edge of the range)."""
    rows = [i for i, p in enumerate(pairs) if p.split == "dev"]
    dev, cv, qv = [pairs[i] for i in rows], cv[rows], qv[rows]
    truth = np.array([p.supported for p in dev])
    cos = np.einsum("ij,ij->i", cv, qv)
    candidates = sorted({round(float(c), 3) for c in cos} | {shipped})
    scored = [(balanced(kept(dev, cv, qv, t), truth), t) for t in candidates]
    best = max(s for s, _ in scored)
    ties = [t for s, t in scored if s == best]
    return ties[len(ties) // 2]
