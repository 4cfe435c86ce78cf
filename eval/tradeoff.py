"""The answer-or-"not found" trade-off over all thresholds, per language pair: the ROC AUC
of the answerability margin (score minus its threshold: the check answers at >= 0), and
the risk-coverage curve (the share of questions answered against the share of those
answers that are wrong, i.e. given to questions the articles do not answer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Points kept per risk-coverage curve (results.json stays small; the plot reads them).
CURVE_POINTS = 50


def roc_auc(labels: Sequence[bool], scores: Sequence[float]) -> float | None:
    """P(an answerable question scores above an unanswerable one), ties counted half;
    None without both kinds."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return None
    # Rank-sum (Mann-Whitney U) with average ranks for ties: O(n log n).
    ordered = sorted(scores)
    ranks: dict[float, float] = {}
    i = 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j] == ordered[i]:
            j += 1
        ranks[ordered[i]] = (i + j + 1) / 2  # mean of 1-based ranks i+1..j
        i = j
    rank_sum = sum(ranks[s] for s in pos)
    u = rank_sum - len(pos) * (len(pos) + 1) / 2
    return u / (len(pos) * len(neg))


def risk_coverage(labels: Sequence[bool], scores: Sequence[float]) -> list[list[float]]:
    """[coverage, risk, margin] as the answering cut-off falls from the highest margin to
    the lowest: coverage = answered / all, risk = unanswerable among answered / answered."""
    pairs = sorted(zip(scores, labels, strict=True), key=lambda p: -p[0])
    n = len(pairs)
    points: list[list[float]] = []
    wrong = 0
    for i, (score, label) in enumerate(pairs, start=1):
        wrong += not label
        if i < n and pairs[i][0] == score:
            continue  # one point per distinct cut-off
        points.append([round(i / n, 4), round(wrong / i, 4), round(score, 4)])
    if len(points) > CURVE_POINTS:
        step = (len(points) - 1) / (CURVE_POINTS - 1)
        points = [points[round(k * step)] for k in range(CURVE_POINTS)]
    return points


def operating_point(labels: Sequence[bool], scores: Sequence[float]) -> list[float] | None:
    """[coverage, risk] at the shipped threshold (answer when the margin is >= 0)."""
    answered = [y for s, y in zip(scores, labels, strict=True) if s >= 0]
    if not labels:
        return None
    risk = (sum(not y for y in answered) / len(answered)) if answered else 0.0
    return [round(len(answered) / len(labels), 4), round(risk, 4)]


def summarize_tradeoff(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per pair (and "all"): ROC AUC, the risk-coverage curve and the operating point, over
    the questions whose answerability margin was recorded."""
    scored = [r for r in records if r.get("answerability") is not None]
    groups: dict[str, list[dict[str, Any]]] = {"all": scored}
    for r in scored:
        if r.get("pair"):
            groups.setdefault(r["pair"], []).append(r)
    out: dict[str, dict[str, Any]] = {}
    for name in ["all", *sorted(k for k in groups if k != "all")]:
        subset = groups[name]
        if not subset:
            continue
        labels = [bool(r["answerable"]) for r in subset]
        scores = [float(r["answerability"]["margin"]) for r in subset]
        auc = roc_auc(labels, scores)
        out[name] = {
            "questions": len(subset),
            "answerable": sum(labels),
            "roc_auc": round(auc, 4) if auc is not None else None,
            "operating_point": operating_point(labels, scores),
            "risk_coverage": risk_coverage(labels, scores),
        }
    return out
