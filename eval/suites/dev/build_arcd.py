"""Rebuild the ARCD part of the dev suite from an ARCD copy (SQuAD-format `arcd.json`).

    python eval/suites/dev/build_arcd.py PATH/TO/arcd.json

Articles are shuffled with a fixed seed: the first INCLUDED go into the corpus
(`corpus/arcd-paragraphs.json`, one record per paragraph), and their questions are the
answerable Arabic ones; questions of the other articles are asked of this corpus as
unanswerable ones (an answer string that occurs in the corpus drops the question, so a
fact two articles share is not planted as "not found"). The `arcd-` lines of
`questions.jsonl` are replaced; the hand-written lines stay. Every question gets its split:
by paragraph for answerable ones (a paragraph's questions share one), by id otherwise.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).parent
SEED = 12
INCLUDED = 100
ANSWERABLE = 90
UNANSWERABLE = 90


def _norm(text: str) -> str:
    table = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي"})
    return " ".join(text.translate(table).split())


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def assign_splits(questions: list[dict]) -> None:
    """dev (fitting) or test (reporting), stable. Answerable questions split by their
    document, so a paragraph's questions are never on both sides; documents alternate in
    hash order within each folder, so a corpus of 12 articles still splits 6/6.
    Unanswerable questions split by id."""
    docs = sorted({q["relevant_docs"][0] for q in questions if q.get("relevant_docs")}, key=_digest)
    by_folder: dict[str, int] = {}
    doc_split = {}
    for doc in docs:
        folder = doc.rpartition("/")[0] or "arcd"
        doc_split[doc] = "dev" if by_folder.get(folder, 0) % 2 == 0 else "test"
        by_folder[folder] = by_folder.get(folder, 0) + 1
    for q in questions:
        if q.get("relevant_docs"):
            q["split"] = doc_split[q["relevant_docs"][0]]
        else:
            q["split"] = "dev" if _digest(q["id"])[0] % 2 == 0 else "test"


def main(path: str) -> None:
    articles = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    rng = random.Random(SEED)
    order = list(range(len(articles)))
    rng.shuffle(order)
    included = [articles[i] for i in order[:INCLUDED]]
    excluded = [articles[i] for i in order[INCLUDED:]]
    records, answerable = [], []
    for a_index, article in enumerate(included):
        for p_index, para in enumerate(article["paragraphs"]):
            doc_id = f"arcd-{order[a_index]:03d}-{p_index}"
            records.append(
                {
                    "id": doc_id,
                    "title": article["title"],
                    "source": "ARCD (Arabic Wikipedia)",
                    "text": para["context"].strip(),
                }
            )
            for qa in para["qas"]:
                answer = qa["answers"][0]["text"].strip()
                answerable.append(
                    {
                        "id": f"arcd-{qa['id']}",
                        "question": qa["question"].strip(" -\u00a0"),
                        "lang": "ar",
                        "pair": "ar-ar",
                        "answers": [answer],
                        "relevant_docs": [doc_id],
                        "evidence": [answer],
                    }
                )
    corpus_text = _norm(" ".join(r["text"] for r in records))
    unanswerable = []
    for article in excluded:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                answer = qa["answers"][0]["text"].strip()
                if _norm(answer) in corpus_text:
                    continue
                unanswerable.append(
                    {
                        "id": f"arcd-{qa['id']}",
                        "question": qa["question"].strip(" -\u00a0"),
                        "lang": "ar",
                        "pair": "ar-ar",
                        "note": f"answer in ARCD article {article['title']!r}, not in the corpus",
                    }
                )
    rng.shuffle(answerable)
    rng.shuffle(unanswerable)
    (HERE / "corpus" / "arcd-paragraphs.json").write_text(
        json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    questions = HERE / "questions.jsonl"
    kept = [
        json.loads(line)
        for line in (
            questions.read_text(encoding="utf-8").splitlines() if questions.exists() else []
        )
        if line.strip() and not json.loads(line)["id"].startswith("arcd-")
    ]
    merged = answerable[:ANSWERABLE] + unanswerable[:UNANSWERABLE] + kept
    assign_splits(merged)
    with questions.open("w", encoding="utf-8") as out:
        for q in merged:
            out.write(json.dumps(q, ensure_ascii=False) + "\n")
    print(
        f"{len(records)} paragraphs, {len(answerable)} answerable, {len(unanswerable)} unanswerable"
    )


if __name__ == "__main__":
    main(sys.argv[1])
