"""The LLM's cross-language query, measured on the dev suite: retrieval and the evidence
check with and without the question's translation, side by side in one run.

    .venv/bin/rag llm serve --port 8080 &      # or any OpenAI-compatible endpoint
    RAG_LLM_BASE_URL=http://127.0.0.1:8080/v1 .venv/bin/python bench/translation.py \\
        [--split test] [--every 1] [--pairs ar-en,en-ar,ar-ar,en-en]

Per language pair: hit@1 and hit@5 of the answerable questions, answered_rate (answerable
questions the check lets through) and not_found_accuracy (unanswerable ones it stops),
without -> with the translation, and the time the translation adds (the LLM call, a second
query embedding and the second reading of the evidence). No answer is written: this is the
part of LLM mode that decides what the LLM reads and whether it is asked at all.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from rich.console import Console  # noqa: E402

from eval.runner import eval_settings, prepare_store  # noqa: E402
from eval.suite import load_suite  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.wiring import Parts  # noqa: E402

sys.path.insert(0, str(_HERE))
from common import REPO, median, print_table  # noqa: E402

sys.path.remove(str(_HERE))  # bench/ingest.py would hide the ingest package


def rate(values: list[bool]) -> str:
    return f"{sum(values) / len(values):.3f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="test")
    parser.add_argument("--every", type=int, default=1, help="every n-th question only")
    parser.add_argument("--pairs", default="ar-en,en-ar,ar-ar,en-en")
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    if not os.environ.get("RAG_LLM_BASE_URL"):
        raise SystemExit("set RAG_LLM_BASE_URL to the LLM endpoint (e.g. rag llm serve's)")
    suite = load_suite(REPO / "eval" / "suites" / "dev")
    parts = Parts(eval_settings(load_settings(), suite))
    prepare_store(parts, suite, Console(stderr=True))
    assistant, chat_model = parts.assistant, parts.chat_model
    assert chat_model is not None
    chat_model.identify()
    pairs = args.pairs.split(",")
    questions = [q for q in suite.questions if q.split == args.split and q.pair in pairs]
    questions = questions[:: args.every]
    results: dict[str, dict[str, list]] = {}
    added: list[float] = []
    for i, q in enumerate(questions):
        row = results.setdefault(q.pair or "", {})
        start = time.perf_counter()
        plain = assistant.evidence(q.question, k=args.k)
        middle = time.perf_counter()
        crossed = assistant.evidence(q.question, k=args.k, use_llm=True)
        added.append((time.perf_counter() - middle) - (middle - start))
        for name, ev in (("without", plain), ("with", crossed)):
            docs = [p.doc_id for p in ev.passages]
            if q.answerable:
                row.setdefault(f"{name} hit@1", []).append(
                    any(d in q.relevant_docs for d in docs[:1])
                )
                row.setdefault(f"{name} hit@5", []).append(
                    any(d in q.relevant_docs for d in docs[:5])
                )
                row.setdefault(f"{name} answered", []).append(ev.judgement.answerable)
            else:
                row.setdefault(f"{name} nf", []).append(not ev.judgement.answerable)
        print(
            f"{i + 1}/{len(questions)} {q.pair} {q.question[:50]!r} -> {crossed.translation!r}",
            file=sys.stderr,
        )
    rows = []
    for pair in pairs:
        row = results.get(pair, {})
        rows.append(
            [pair]
            + [
                f"{rate(row.get(f'without {m}', []))} -> {rate(row.get(f'with {m}', []))}"
                for m in ("hit@1", "hit@5", "answered", "nf")
            ]
        )
    print_table(
        f"dev suite ({args.split} split, every {args.every}): without -> with the translation "
        f"({chat_model.model}), k {args.k}",
        ["pair", "hit@1", "hit@5", "answered_rate", "not_found_accuracy"],
        rows,
    )
    print(f"time the translation adds per question: p50 {median(added):.2f} s")


if __name__ == "__main__":
    main()
