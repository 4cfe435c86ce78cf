"""`rag eval convert-squad`: SQuAD-format data (e.g. ARCD) -> a suite directory.

Each paragraph becomes a document `<title>#<paragraph index>` (0-based within its article),
written to `articles/articles.jsonl`; each question becomes a line of `questions.jsonl` whose
relevant document is its paragraph and whose evidence is the sentence holding the answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import InputError
from rag.text.analysis import script_language
from rag.text.sentences import split_sentences


@dataclass(frozen=True)
class Converted:
    """What a conversion wrote."""

    suite_file: Path
    documents: int
    questions: int
    unanswerable: int


def convert_squad(source: Path, out_dir: Path, name: str | None = None) -> Converted:
    """Write suite.yaml, articles/articles.jsonl and questions.jsonl under out_dir."""
    data = _load(source)
    documents: list[dict[str, str]] = []
    questions: list[dict[str, Any]] = []
    doc_of_text: dict[str, str] = {}
    seen_ids: set[str] = set()
    for a_index, article in enumerate(data):
        if not isinstance(article, dict) or not isinstance(article.get("paragraphs"), list):
            raise InputError(f"{source}: data[{a_index}]", "needs a `paragraphs` list")
        title = str(article.get("title") or f"article {a_index}").strip()
        for p_index, paragraph in enumerate(article["paragraphs"]):
            context = str(paragraph.get("context", ""))
            if not context.strip():
                continue
            doc_id = f"{title}#{p_index}"
            # The same paragraph twice would be stored once (ingest drops duplicate texts):
            # its questions point at the copy that is kept.
            if context.strip() in doc_of_text:
                doc_id = doc_of_text[context.strip()]
            else:
                doc_of_text[context.strip()] = doc_id
                documents.append({"id": doc_id, "title": title, "text": context})
            for qa in paragraph.get("qas", []):
                question = _question(qa, context, doc_id, seen_ids)
                if question is not None:
                    questions.append(question)
    if not questions:
        raise InputError(str(source), "holds no questions (expected SQuAD's data/paragraphs/qas)")

    (out_dir / "articles").mkdir(parents=True, exist_ok=True)
    _write_jsonl(out_dir / "articles" / "articles.jsonl", documents)
    _write_jsonl(out_dir / "questions.jsonl", questions)
    suite_file = out_dir / "suite.yaml"
    suite_file.write_text(
        f"name: {json.dumps(name or source.stem)}\ncorpus: articles/\nquestions: questions.jsonl\n",
        encoding="utf-8",
    )
    unanswerable = sum(1 for q in questions if not q["answers"])
    return Converted(suite_file, len(documents), len(questions), unanswerable)


def _load(source: Path) -> list[Any]:
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(source), f"cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}:{exc.lineno}", f"not valid JSON ({exc.msg})") from None
    data = raw.get("data") if isinstance(raw, dict) else None
    if not isinstance(data, list):
        raise InputError(str(source), "is not SQuAD format (no top-level `data` list)")
    return data


def _question(
    qa: dict[str, Any], context: str, doc_id: str, seen_ids: set[str]
) -> dict[str, Any] | None:
    text = str(qa.get("question", "")).strip()
    if not text:
        return None
    qid = str(qa.get("id") or len(seen_ids))
    while qid in seen_ids:
        qid += "_"
    seen_ids.add(qid)
    impossible = bool(qa.get("is_impossible"))
    answers = (
        [] if impossible else [a for a in qa.get("answers", []) if str(a.get("text", "")).strip()]
    )
    texts = list(dict.fromkeys(str(a["text"]).strip() for a in answers))
    evidence = list(dict.fromkeys(e for a in answers if (e := _evidence(a, context))))
    return {
        "id": qid,
        "question": text,
        "lang": "ar" if script_language(text) == "ar" else "en",
        "answers": texts,
        "relevant_docs": [doc_id] if texts else [],
        "evidence": evidence,
    }


def _evidence(answer: dict[str, Any], context: str) -> str:
    """The sentence(s) of the context around the answer: specific, unlike a bare "1990"."""
    text = str(answer["text"]).strip()
    start = answer.get("answer_start")
    if not isinstance(start, int) or context[start : start + len(text)] != text:
        start = context.find(text)  # a few SQuAD offsets are off by some characters
    if start < 0:
        return ""
    end = start + len(text)
    spans = [s for s in split_sentences(context) if s.end > start and s.start < end]
    if not spans:
        return text
    return context[spans[0].start : spans[-1].end]


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
