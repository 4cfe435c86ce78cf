"""Rebuild the near-topic suite from an ARCD copy (SQuAD-format `arcd.json`).

    python eval/suites/near/build_near.py PATH/TO/arcd.json

The articles are the ARCD articles the dev suite leaves out of its corpus (the same seeded
shuffle as `eval/suites/dev/build_arcd.py`). Of each article with two or more paragraphs,
one paragraph, drawn with a fixed seed, is held out of the corpus: the questions on the
kept paragraphs are answerable, those on the held-out one unanswerable, about the same
subject (near-topic). The questions are not ARCD's own, which copy their paragraph's
words: `paraphrases.json` holds, per ARCD question id, the question written for this suite
as a reader would ask it (`ar`, and for most an English one, `en`), in other words than the
paragraph's and naming its subject, so that each stands alone. Every question takes the
split of its article: dev, test or frozen, from a hash of the title.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "dev"))
from build_arcd import INCLUDED, SEED, _norm  # noqa: E402

HELD_OUT_SEED = 7
SPLITS = ("dev", "test", "dev", "test", "frozen")  # by the title hash's first byte


def main(path: str) -> None:
    articles = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    written = json.loads((HERE / "paraphrases.json").read_text(encoding="utf-8"))
    order = list(range(len(articles)))
    random.Random(SEED).shuffle(order)
    held_rng = random.Random(HELD_OUT_SEED)
    records: list[dict] = []
    questions: list[dict] = []
    seen: set[str] = set()
    for index in order[INCLUDED:]:
        article = articles[index]
        paragraphs = article["paragraphs"]
        if len(paragraphs) < 2:
            continue
        held = held_rng.randrange(len(paragraphs))
        split = SPLITS[hashlib.sha256(article["title"].encode()).digest()[0] % len(SPLITS)]
        for p_index, para in enumerate(paragraphs):
            doc_id = f"arcd-{index:03d}-{p_index}"
            text = para["context"].strip()
            if p_index != held and text not in seen:  # one ARCD paragraph repeats another
                seen.add(text)
                records.append(
                    {
                        "id": doc_id,
                        "title": article["title"],
                        "source": "ARCD (Arabic Wikipedia)",
                        "text": text,
                    }
                )
            for qa in para["qas"]:
                for lang, question in written.get(qa["id"], {}).items():
                    answer = qa["answers"][0]["text"].strip()
                    line = {
                        "id": f"near-{lang}-{qa['id']}",
                        "question": question,
                        "lang": lang,
                        "pair": f"{lang}-ar",
                        "split": split,
                        "paraphrased": p_index != held,
                    }
                    if p_index != held:
                        line |= {
                            "answers": [answer],
                            "relevant_docs": [doc_id],
                            "evidence": [answer],
                        }
                    else:
                        line["note"] = (
                            f"asked of ARCD article {article['title']!r}; the paragraph that "
                            f"answers ({_norm(answer)[:60]!r}) is held out of the corpus"
                        )
                    questions.append(line)
    (HERE / "corpus").mkdir(exist_ok=True)
    (HERE / "corpus" / "arcd-near.json").write_text(
        json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    with (HERE / "questions.jsonl").open("w", encoding="utf-8") as out:
        for line in questions:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"{len(records)} paragraphs, {len(questions)} questions")


if __name__ == "__main__":
    main(sys.argv[1])
