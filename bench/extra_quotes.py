"""Extra quotes judged one by one, measured on the dev suite: the extractive answer with
every quote beyond the best checked by the evidence check on its own window, beside the
answer that quotes whatever scores near the best, from the same evidence, in one run.

    .venv/bin/python bench/extra_quotes.py [--split test] [--k 5]

Over the answerable questions the evidence check lets through: citation_precision (cited
passages that are relevant and hold the evidence), citation_recall, contains_answer, and the
quotes per answer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from rich.console import Console  # noqa: E402

from eval import metrics as m  # noqa: E402
from eval.runner import eval_settings, prepare_store  # noqa: E402
from eval.suite import load_suite  # noqa: E402
from rag.answer.extractive import extractive_answer  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.text.analysis import question_language  # noqa: E402
from rag.wiring import Parts  # noqa: E402

sys.path.insert(0, str(_HERE))
from common import REPO, print_table  # noqa: E402

sys.path.remove(str(_HERE))  # bench/ingest.py would hide the ingest package

PAIRS = ("ar-ar", "ar-en", "en-ar", "en-en")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="test")
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    suite = load_suite(REPO / "eval" / "suites" / "dev")
    parts = Parts(eval_settings(load_settings(), suite))
    parts.embedder  # noqa: B018 - the store checks the model's dimension
    prepare_store(parts, suite, Console(stderr=True))
    assistant = parts.assistant
    settings = parts.settings
    scores: dict[tuple[str, str], list[dict[str, float | None]]] = {}
    for q in suite.questions:
        if q.split != args.split or not q.answerable:
            continue
        evidence = assistant.evidence(q.question, k=args.k)
        if not evidence.judgement.answerable:
            continue
        language = question_language(q.question)
        passages, sentences = evidence.passages, evidence.sentences
        answers = assistant.sentence_answers(q.question, language, passages, evidence.judgement)
        for name, check in (("near", None), ("judged", answers)):
            answer = extractive_answer(q.question, passages, sentences, settings, language, check)
            cited = [(c.doc_id, c.text) for c in answer.citations]
            row = {
                "citation_precision": m.citation_precision(cited, q.relevant_docs, q.evidence),
                "citation_recall": m.citation_recall([d for d, _ in cited], q.relevant_docs),
                "contains_answer": m.contains_answer(answer.text, q.answers),
                "quotes": float(answer.text.count("[")),
            }
            for group in (q.pair, "all"):
                scores.setdefault((group, name), []).append(row)
    rows = []
    for group in (*PAIRS, "all"):
        near, judged = scores.get((group, "near"), []), scores.get((group, "judged"), [])
        if not near:
            continue
        cells = []
        for metric in ("citation_precision", "citation_recall", "contains_answer", "quotes"):
            before, after = m.mean(r[metric] for r in near), m.mean(r[metric] for r in judged)
            cells.append(f"{before or 0.0:.3f} -> {after or 0.0:.3f}")
        rows.append([group, str(len(near)), *cells])
    print_table(
        f"dev suite, {args.split} split, answered answerable questions, k {args.k}: "
        "extra quotes near the best -> extra quotes judged on their own",
        ["pair", "answers", "citation_precision", "citation_recall", "contains_answer", "quotes"],
        rows,
    )


if __name__ == "__main__":
    main()
