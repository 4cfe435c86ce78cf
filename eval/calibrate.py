"""Fit the answerability model on a suite's dev split: `rag eval calibrate SUITE --out FILE`.

For every question the assistant retrieves as it would to answer, and the evidence features
are recorded (rag/answer/answerability.py). A monotone logistic regression per evidence side
(question's language, other language), on standardised features with balanced classes,
gives a probability; the two thresholds maximise the worst rate over the language pairs
(not_found_accuracy on unanswerable questions, answered_rate on answerable ones), so that
no pair is sacrificed for another. `rag eval SUITE --split test` then reports on held-back
questions.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from eval.suite import Question, Suite
from rag.answer.answerability import MODEL_FEATURES, AnswerabilityModel, probability, side_vector
from rag.settings import Settings

C = 1.0  # inverse regularisation strength of the logistic regression
# The direction each feature may push the score (see fit_monotone).
SIGNS = {name: -1 if "missing" in name else 1 for name in MODEL_FEATURES}


def collect(
    suite: Suite, user_settings: Settings, split: str | None, k: int, console: Console
) -> list[dict[str, Any]]:
    """Features, runtime pair and label of every question of the split."""
    from eval.runner import eval_settings, prepare_store
    from rag.text.analysis import question_language
    from rag.wiring import Parts

    settings = eval_settings(user_settings, suite)
    parts = Parts(settings, answerability=AnswerabilityModel.untrained())
    prepare_store(parts, suite, console)
    assistant = parts.assistant
    # The frozen split is never read by a fit, whatever `split` asks for.
    questions = [
        q for q in suite.questions if q.split != "frozen" and (not split or q.split == split)
    ]
    rows = []
    for q in questions:
        language = question_language(q.question)
        evidence = assistant.evidence(q.question, k=k)
        passages, judgement = evidence.passages, evidence.judgement
        rows.append(
            {
                "id": q.id,
                "lang": language,
                "pair": q.pair or judgement.pair or f"{language}-{language}",
                "answerable": q.answerable,
                "paraphrased": q.paraphrased,
                "features": judgement.features,
                "hit@5": _hit(q, [p.doc_id for p in passages[:5]]),
            }
        )
    return rows


def _hit(q: Question, docs: Sequence[str]) -> float | None:
    return float(any(d in q.relevant_docs for d in docs)) if q.relevant_docs else None


def fit(
    rows: Sequence[dict[str, Any]],
    info: dict[str, Any],
    features: Sequence[str] = MODEL_FEATURES,
    paraphrases: bool = True,
) -> dict[str, Any]:
    """The model JSON (rag/answer/answerability.json's format) from collected rows.

    The "same" model learns from questions whose answer (or planted non-answer) is in their
    own language, the "other" model from cross-language ones, each on its side's features.
    The two thresholds are then chosen together, on a grid, for the best worst rate over
    the language pairs: either side clearing its threshold answers, so each threshold also
    guards the other side's pairs against false answers.

    With `paraphrases`, answerable questions asked in other words than their passage's
    (rows with "paraphrased" true) weigh as much in the fit as those that copy it, however
    few they are, and their answered_rate (all pairs together) is one more rate the
    thresholds must keep up: readers paraphrase, while most suite questions copy."""
    models: dict[str, dict[str, Any]] = {}
    scores: dict[str, np.ndarray] = {}
    same_pair = np.array([r["pair"][:2] == r["pair"][3:] for r in rows])
    y_all = np.array([r["answerable"] for r in rows], dtype=int)
    para_all = np.array([bool(r.get("paraphrased")) and r["answerable"] for r in rows])
    for side, mask in (("same", same_pair), ("other", ~same_pair)):
        if len(set(y_all[mask])) < 2:
            mask = np.ones(len(rows), dtype=bool)  # one class only: learn from every row
        x_all = np.array([side_vector(r["features"], side, features) for r in rows], dtype=float)
        x, y = x_all[mask], y_all[mask]
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale < 1e-9] = 1.0
        groups = _groups(y, para_all[mask] if paraphrases else np.zeros(len(y), dtype=bool))
        weights, bias = fit_monotone((x - mean) / scale, y, [SIGNS[f] for f in features], groups)
        models[side] = {
            "features": list(features),
            "mean": [round(float(v), 6) for v in mean],
            "scale": [round(float(v), 6) for v in scale],
            "weights": [round(float(v), 6) for v in weights],
            "bias": round(float(bias), 6),
        }
        present = np.array([r["features"].get(f"{side}_present", 1.0) for r in rows])
        scores[side] = np.array([probability(models[side], v) for v in x_all]) * (present > 0)
    thresholds, report = _best_thresholds(rows, scores, paraphrases)
    return {
        "models": models,
        "thresholds": thresholds,
        "info": {
            **info,
            "fitted": time.strftime("%Y-%m-%d"),
            "paraphrase_balanced": paraphrases,
            "dev_rates": report,
        },
    }


def _groups(y: np.ndarray, paraphrased: np.ndarray) -> np.ndarray:
    """Each row's group for balancing: 0 unanswerable, 1 answerable in the passage's
    words, 2 answerable and paraphrased."""
    return np.where(y == 0, 0, np.where(paraphrased, 2, 1))


def _best_thresholds(
    rows: Sequence[dict[str, Any]], scores: dict[str, np.ndarray], paraphrases: bool = True
) -> tuple[dict[str, float], dict[str, dict[str, Any]]]:
    pairs = np.array([r["pair"] for r in rows])
    y = np.array([r["answerable"] for r in rows], dtype=bool)
    para = np.array([bool(r.get("paraphrased")) for r in rows]) & y & paraphrases
    grid = np.round(np.arange(0.02, 0.99, 0.01), 2)

    def rates(same_t: float, other_t: float) -> dict[str, dict[str, Any]]:
        answered = (scores["same"] >= same_t) | (scores["other"] >= other_t)
        out = {}
        for pair in sorted(set(pairs)):
            k = pairs == pair
            pos, neg = answered[k & y], answered[k & ~y]
            out[pair] = {
                "answered_rate": round(float(pos.mean()), 4) if len(pos) else None,
                "not_found_accuracy": round(float(1 - neg.mean()), 4) if len(neg) else None,
                "questions": int(k.sum()),
            }
        if para.any():
            out["paraphrased"] = {
                "answered_rate": round(float(answered[para].mean()), 4),
                "questions": int(para.sum()),
            }
        return out

    def quality(t: tuple[float, float]) -> tuple[float, float]:
        values = [
            v
            for r in rates(*t).values()
            for key, v in r.items()
            if key != "questions" and v is not None
        ]
        return (min(values), sum(values) / len(values)) if values else (0.0, 0.0)

    best = max(((a, b) for a in grid for b in grid), key=quality)
    return {"same": float(best[0]), "other": float(best[1])}, rates(*best)


def fit_monotone(
    x: np.ndarray, y: np.ndarray, signs: Sequence[int], groups: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression with balanced classes whose weights keep the
    sign evidence gives them (+1: more means answerable, -1: less, 0: free).

    Unconstrained, correlated features trade signs on a few hundred questions (a higher
    cosine lowering the score), which does not carry over to another archive. `groups`
    (default: the classes) are balanced within their class: each class weighs half, split
    evenly among its groups that have rows."""
    from scipy.optimize import minimize

    n, d = x.shape
    groups = y.astype(int) if groups is None else groups
    sample = np.zeros(n)
    for c in (0, 1):
        present = np.unique(groups[y == c])
        for g in present:
            k = (y == c) & (groups == g)
            sample[k] = n / (2.0 * len(present) * k.sum())

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:d], theta[d]
        z = x @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        eps = 1e-12
        value = -np.sum(sample * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)))
        value += 0.5 / C * float(w @ w)
        residual = sample * (p - y)
        grad = np.concatenate([x.T @ residual + w / C, [residual.sum()]])
        return float(value), grad

    bounds = [(0.0, None) if s > 0 else (None, 0.0) if s < 0 else (None, None) for s in signs]
    result = minimize(
        loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", bounds=[*bounds, (None, None)]
    )
    return result.x[:d], float(result.x[d])


def write_model(model: dict[str, Any], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(model, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out
