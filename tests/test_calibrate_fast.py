"""Fitting the answerability model (`eval.calibrate.fit`): paraphrased answerable questions
weigh as much as the ones that copy their passage's words (honest answers, round two)."""

from __future__ import annotations

from typing import Any

import numpy as np

from eval.calibrate import fit, fit_monotone
from rag.answer.answerability import AnswerabilityModel

FEATURES = ("cos", "coverage")


def row(answerable: bool, paraphrased: bool, cos: float, coverage: float) -> dict[str, Any]:
    values = {"same_cos": cos, "same_coverage": coverage, "same_present": 1.0}
    values |= {"other_cos": 0.7, "other_coverage": 0.0, "other_present": 0.0}
    return {
        "pair": "en-en",
        "answerable": answerable,
        "paraphrased": paraphrased,
        "features": values,
    }


def rows() -> list[dict[str, Any]]:
    """Most answerable questions copy the passage (all their words are in it); a few are
    paraphrased (few words in it, but the passage nearer than for most unanswerable ones);
    unanswerable ones share half their words with the passage."""
    rng = np.random.default_rng(7)
    out = [
        row(True, False, 0.84 + 0.04 * rng.random(), 0.9 + 0.1 * rng.random()) for _ in range(40)
    ]
    out += [row(True, True, 0.88 + 0.02 * rng.random(), 0.1 + 0.1 * rng.random()) for _ in range(6)]
    out += [
        row(False, False, 0.83 + 0.04 * rng.random(), 0.4 + 0.2 * rng.random()) for _ in range(40)
    ]
    return out


def answered(model: dict[str, Any], subset: list[dict[str, Any]]) -> float:
    judge = AnswerabilityModel(model["models"], model["thresholds"], model["info"])
    return float(np.mean([judge.decide(r["features"], "en").answerable for r in subset]))


def test_paraphrased_questions_weigh_as_much_as_copied_ones() -> None:
    data = rows()
    paraphrased = [r for r in data if r["paraphrased"]]
    copied = [r for r in data if r["answerable"] and not r["paraphrased"]]
    unanswerable = [r for r in data if not r["answerable"]]
    plain = fit(data, {}, FEATURES, paraphrases=False)
    balanced = fit(data, {}, FEATURES)
    # Six of 46 answerable questions: the plain fit gives half of them up for the others.
    assert answered(plain, paraphrased) <= 0.5
    assert answered(plain, copied) == 1.0
    # Balanced, all six are answered, for a few copied ones.
    assert answered(balanced, paraphrased) == 1.0
    assert answered(balanced, copied) >= 0.85 and answered(balanced, unanswerable) <= 0.15
    assert balanced["info"]["paraphrase_balanced"] is True
    assert balanced["info"]["dev_rates"]["paraphrased"]["questions"] == 6
    assert "paraphrased" not in plain["info"]["dev_rates"]


def test_groups_share_their_class_weight_evenly() -> None:
    """Balanced groups: a lone row of a group weighs as much as the rest of its class."""
    x = np.array([[1.0], [1.0], [1.0], [-1.0], [-1.0]])
    y = np.array([1, 1, 1, 0, 0])
    lone = np.array([1, 1, 2, 0, 0])  # the third answerable row alone in its group
    w_plain, _ = fit_monotone(x, y, [1])
    w_groups, _ = fit_monotone(x, y, [1], lone)
    assert w_plain[0] > 0 and w_groups[0] > 0
    # Same rows, same side of the boundary: only the weighting differs.
    flipped = np.array([[1.0], [1.0], [-1.0], [-1.0], [-1.0]])
    w_flat, _ = fit_monotone(flipped, y, [0])
    w_lone, _ = fit_monotone(flipped, y, [0], lone)
    assert w_lone[0] < w_flat[0]  # the lone misfit row pulls harder once balanced
