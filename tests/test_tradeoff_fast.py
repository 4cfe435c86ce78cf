"""The answer-or-"not found" trade-off over all thresholds (honest answers, round two,
item 6): ROC AUC and the risk-coverage curve per pair, in results.json and as a PNG."""

from __future__ import annotations

import json

import pytest

from eval.report import write_report
from eval.tradeoff import operating_point, risk_coverage, roc_auc, summarize_tradeoff


def test_roc_auc_counts_ordered_pairs_and_ties_half():
    assert roc_auc([True, True, False, False], [0.9, 0.8, 0.2, 0.1]) == 1.0
    assert roc_auc([True, True, False, False], [0.1, 0.2, 0.8, 0.9]) == 0.0
    assert roc_auc([True, False], [0.5, 0.5]) == 0.5
    # 2 answerable x 2 unanswerable: (0.9 > both) + (0.3 > 0.2, < 0.6) = 3 of 4.
    assert roc_auc([True, False, True, False], [0.9, 0.6, 0.3, 0.2]) == 0.75
    assert roc_auc([True, True], [0.1, 0.2]) is None


def test_risk_coverage_runs_from_the_surest_answer_to_all():
    labels = [True, False, True, False]
    margins = [0.4, 0.2, 0.1, -0.3]
    curve = risk_coverage(labels, margins)
    assert [p[:2] for p in curve] == [[0.25, 0.0], [0.5, 0.5], [0.75, 0.3333], [1.0, 0.5]]
    assert operating_point(labels, margins) == [0.75, 0.3333]


def test_results_carry_the_tradeoff_per_pair_and_the_report_plots_it(tmp_path):
    records = [
        {"pair": "en-ar", "answerable": y, "answerability": {"margin": m}}
        for y, m in [(True, 0.3), (False, -0.2), (True, -0.1), (False, 0.1)]
    ] + [{"pair": "ar-ar", "answerable": True, "answerability": {"margin": 0.5}}]
    tradeoff = summarize_tradeoff(records)
    assert set(tradeoff) == {"all", "ar-ar", "en-ar"}
    assert tradeoff["en-ar"]["roc_auc"] == pytest.approx(0.75)
    assert tradeoff["ar-ar"]["roc_auc"] is None  # only one kind of question
    assert tradeoff["all"]["questions"] == 5
    results = {
        "summary": {"retrieval": {}, "answer": {}, "citations": {}, "latency": {}},
        "by_lang": {},
        "tradeoff": tradeoff,
        "paraphrased": {},
        "config": {
            "suite": "t",
            "retriever": "hybrid",
            "mode": "extractive",
            "k": 5,
            "questions": 5,
            "answerable": 3,
            "unanswerable": 2,
            "embed_model": "m",
            "embed_backend": "torch",
            "chunk_tokens": 1,
            "chunk_overlap": 0,
            "answer_modes": {},
            "corpus": "c",
            "ingest": {},
        },
        "questions": [],
    }
    written = {p.name for p in write_report(results, tmp_path, None)}
    assert "risk_coverage.png" in written
    assert (tmp_path / "risk_coverage.png").stat().st_size > 1000
    saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert saved["tradeoff"]["en-ar"]["risk_coverage"][-1][:2] == [1.0, 0.5]
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| en-ar | 4 | 2 | 0.750 |" in report
