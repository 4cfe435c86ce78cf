"""Same-language answers in a mixed news archive: does cross-language fusion push them down?

    .venv/bin/python bench/hubs.py [--arabic 881] [--english 600]

The archive is real news of both languages (SaudiNewsNet Arabic articles and BBC English
articles from the shared benchmark data) with the dev suite's 50 invented news articles
among them; the questions are the dev suite's answerable questions on those articles, in
all four language pairs. Per pair and split: hit@1 / hit@5 of the relevant article, for
each fusion variant side by side in one run, and how often one document is the top hit of
many questions (a "hub": multilingual-e5 places some long, general articles near every
question of the other language).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numpy as np  # noqa: E402

from eval.suite import load_suite  # noqa: E402
from ingest.cli import run_ingest  # noqa: E402
from rag.settings import Settings, load_settings  # noqa: E402
from rag.text.analysis import question_language  # noqa: E402
from rag.wiring import Parts  # noqa: E402

sys.path.insert(0, str(_HERE))
from common import (  # noqa: E402
    FUSION_BEFORE,
    REPO,
    hit1,
    macro_mrr,
    print_table,
    require_data,
    write_corpus,
)

sys.path.remove(str(_HERE))  # bench/ingest.py would hide the ingest package

PAIRS = ("ar-ar", "ar-en", "en-ar", "en-en")
OFFSETS = (-0.04, -0.02, 0.0, 0.02, 0.04, 0.06)
SPLITS = ("dev", "test", "frozen")


def build(settings: Settings, arabic: int, english: int) -> None:
    parts = Parts(settings)
    marker = settings.data_dir / "hubs-built"
    if marker.is_file():
        return
    root = settings.data_dir.parent / f"{settings.data_dir.name}-corpus"
    shutil.rmtree(root, ignore_errors=True)
    write_corpus(root / "news", arabic, english)
    dev = REPO / "eval" / "suites" / "dev" / "corpus"
    for name in ("news-en", "news-ar"):
        shutil.copytree(dev / name, root / "corpus" / name)
    print(f"building the mixed archive in {settings.data_dir} ...", flush=True)
    run_ingest(settings, [root], rebuild=False, quiet=True)
    print(f"{parts.store.document_count()} documents, {parts.store.count()} chunks", flush=True)
    marker.write_text("ok", encoding="utf-8")


def found(retriever: Any, questions: list[Any], vectors: dict[str, np.ndarray]) -> list[tuple]:
    """Per question: rank (1-based, 0 none) of its article in the top 10, and the top doc."""
    out = []
    for q in questions:
        passages = retriever.retrieve(
            q.question, k=10, query_vector=vectors[q.id], language=question_language(q.question)
        )
        # The archive's doc ids carry the corpus folder's name before the suite's ids.
        docs = [p.doc_id for p in passages]
        rank = next(
            (i + 1 for i, d in enumerate(docs) if any(d.endswith(r) for r in q.relevant_docs)),
            0,
        )
        out.append((rank, passages[0].doc_id if passages else ""))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arabic", type=int, default=881, help="SaudiNewsNet articles")
    parser.add_argument("--english", type=int, default=600, help="BBC articles")
    parser.add_argument("--grid", action="store_true", help="MRR by fusion offset and margin")
    args = parser.parse_args()
    require_data()
    base = load_settings()
    data_dir = base.cache_dir / "bench" / f"hubs-{args.arabic}-{args.english}"
    # Retrieval only: the answer step's stored sentence vectors are not needed.
    settings = Settings(  # type: ignore[call-arg]
        data_dir=data_dir, sentence_vectors=False, _env_file=None
    )
    build(settings, args.arabic, args.english)
    parts = Parts(settings)
    suite = load_suite(REPO / "eval" / "suites" / "dev")
    questions = [
        q
        for q in suite.questions
        if q.answerable and any(d.startswith("corpus/news-") for d in q.relevant_docs)
    ]
    embedder = parts.embedder
    texts = [embedder.query_prompt + q.question for q in questions]
    vectors = dict(zip([q.id for q in questions], embedder.embed_batch(texts), strict=True))
    retriever = parts.assistant.retriever
    variants = variants_of(settings)
    results = {}
    for name, variant in variants.items():
        retriever.settings = variant
        results[name] = found(retriever, questions, vectors)
    if args.grid:
        grid(retriever, settings, questions, vectors)
    names = list(results)
    rows = []
    for split in SPLITS:
        for pair in PAIRS:
            idx = [i for i, q in enumerate(questions) if q.pair == pair and q.split == split]
            if not idx:
                continue
            cells = []
            for k in (1, 5):
                cells.append(
                    " / ".join(
                        f"{np.mean([0 < results[n][i][0] <= k for i in idx]):.3f}" for n in names
                    )
                )
            rows.append([split, pair, str(len(idx)), *cells])
    print_table(
        f"mixed archive ({parts.store.document_count()} documents, {parts.store.count()} "
        f"chunks), answerable dev-suite questions on its news articles, k 10; "
        f"variants: {' / '.join(names)}",
        ["split", "pair", "questions", "hit@1", "hit@5"],
        rows,
    )
    for name in names:
        tops = Counter(top for _, top in results[name])
        hub, count = tops.most_common(1)[0]
        print(f"{name}: the most frequent top hit is the top hit of {count} questions ({hub})")


def variants_of(settings: Settings) -> dict[str, Settings]:
    return {
        "language-rank": settings.model_copy(
            update={"fusion": "language-rank", "language_shift": 0.0}
        ),
        "calibrated": settings.model_copy(update=FUSION_BEFORE),
        "shifted": settings,
    }


def grid(retriever: Any, settings: Settings, questions: list[Any], vectors: dict) -> None:
    """Mean per-pair MRR@10 on the dev split for each offset and margin (the shifted
    search), per question language, as `bench/fusion.py --fit` reads it on its archive; a *
    marks the points where the same-language pair's hit@1 falls under the earlier fusion's
    (those are not chosen)."""
    margins = (0.0, 0.02, 0.06, 1.0)
    for lang, name in (("en", "en_ar"), ("ar", "ar_en")):
        dev = [q for q in questions if q.split == "dev" and q.lang == lang]
        same = [i for i, q in enumerate(dev) if q.pair == f"{lang}-{lang}"]
        retriever.settings = settings.model_copy(update=FUSION_BEFORE)
        before = [r for r, _ in found(retriever, dev, vectors)]
        floor = hit1([before[i] for i in same])
        lines = []
        for value in OFFSETS:
            cells = []
            for gap in margins:
                retriever.settings = settings.model_copy(
                    update={f"fusion_offset_{name}": value, "fusion_margin": gap}
                )
                ranks = [r for r, _ in found(retriever, dev, vectors)]
                own = hit1([ranks[i] for i in same])
                cells.append(f"{macro_mrr(dev, ranks):.3f}{'' if own >= floor else '*'}")
            lines.append(f"  {value:+.2f}: " + " ".join(cells))
        print(
            f"{lang} questions ({len(dev)} on dev), mean per-pair MRR by offset and margin "
            f"{margins} (*: {lang}-{lang} hit@1 under {floor:.3f}, the earlier fusion's):\n"
            + "\n".join(lines),
            flush=True,
        )


if __name__ == "__main__":
    main()
