"""Evaluation suites: a YAML file naming a corpus and a questions.jsonl, loaded and checked.

Every problem is an `InputError` that names the file (and the line, for questions), so a
person fixing a suite by hand goes straight to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from rag.errors import InputError
from rag.text.analysis import script_language
from rag.text.time_expressions import KINDS

SUITE_FILE = "suite.yaml"
LANGS = ("ar", "en")
LIST_FIELDS = ("answers", "relevant_docs", "evidence")
# pair: question language - language of the text it is about ("en-ar": an English question
# on Arabic articles); split: "dev" (fitting), "test" (reporting) or "frozen" (reported,
# never read by any fit or threshold choice); note: free text; answer_type: what the
# question asks for.
TEXT_FIELDS = ("pair", "split", "note", "answer_type")
# paraphrased: the question does not copy the passage's wording (asked as a reader would).
FLAG_FIELDS = ("paraphrased",)
# time_range: the time the question asks about, {"start", "end", "kind"}, dates ISO or null
# (the time suite; see rag.text.time_expressions).
KNOWN_FIELDS = {"id", "question", "lang", "time_range", *LIST_FIELDS, *TEXT_FIELDS, *FLAG_FIELDS}
PAIRS = ("ar-ar", "ar-en", "en-ar", "en-en")
SPLITS = ("dev", "test", "frozen")
ANSWER_TYPES = ("date", "number", "person", "organisation", "place", "other")


@dataclass(frozen=True)
class Question:
    """One line of questions.jsonl."""

    id: str
    question: str
    lang: str
    answers: list[str] = field(default_factory=list)
    relevant_docs: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    line: int = 0
    pair: str = ""
    split: str = ""
    note: str = ""
    answer_type: str = ""
    paraphrased: bool = False
    time_range: dict[str, str | None] | None = None

    @property
    def answerable(self) -> bool:
        """No answers and no relevant docs: the right answer is "not found"."""
        return bool(self.answers or self.relevant_docs)


@dataclass(frozen=True)
class Suite:
    """A loaded suite: its files and its questions, in file order."""

    name: str
    path: Path  # the suite.yaml
    corpus: Path
    questions_path: Path
    questions: list[Question]


def resolve_suite_file(path: Path) -> Path:
    """`path` itself, or the suite.yaml inside it when it is a directory."""
    if path.is_dir():
        path = path / SUITE_FILE
    if not path.is_file():
        raise InputError(str(path), "no such suite file (give a suite.yaml or its directory)")
    return path


def load_suite(path: Path) -> Suite:
    """Read and validate a suite (YAML + questions). Doc ids are checked later, after ingest."""
    suite_file = resolve_suite_file(path)
    config = _read_yaml(suite_file)
    for key in ("corpus", "questions"):
        if not isinstance(config.get(key), str) or not config[key].strip():
            raise InputError(str(suite_file), f"needs a `{key}:` path (relative to the file)")
    base = suite_file.parent
    corpus = (base / config["corpus"]).resolve()
    if not corpus.exists():
        raise InputError(str(suite_file), f"corpus {config['corpus']!r} does not exist ({corpus})")
    questions_path = base / config["questions"]
    if not questions_path.is_file():
        raise InputError(str(suite_file), f"questions file {config['questions']!r} does not exist")
    name = str(config.get("name") or base.name)
    return Suite(name, suite_file, corpus, questions_path, read_questions(questions_path))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(where, f"invalid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(str(path), "must be a YAML mapping with name, corpus and questions")
    return data


def read_questions(path: Path) -> list[Question]:
    """Parse questions.jsonl; the first bad line raises an InputError naming `path:line`."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read ({exc})") from None
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(where, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
        question = _question(record, where, number)
        if question.id in seen:
            raise InputError(
                where, f"id {question.id!r} is already used on line {seen[question.id]}"
            )
        seen[question.id] = number
        questions.append(question)
    if not questions:
        raise InputError(str(path), "has no questions")
    return questions


def _question(record: Any, where: str, line: int) -> Question:
    if not isinstance(record, dict):
        raise InputError(where, "each line must be a JSON object")
    unknown = sorted(set(record) - KNOWN_FIELDS)
    if unknown:
        raise InputError(
            where, f"unknown field(s) {', '.join(unknown)}; use {', '.join(sorted(KNOWN_FIELDS))}"
        )
    qid, text = record.get("id"), record.get("question")
    if not isinstance(qid, str | int) or not str(qid).strip():
        raise InputError(where, "needs a non-empty `id`")
    if not isinstance(text, str) or not text.strip():
        raise InputError(where, "needs a non-empty `question`")
    lang = record.get("lang") or script_language(text)
    if lang not in LANGS:
        raise InputError(where, f"lang {lang!r}: use one of {', '.join(LANGS)}")
    lists: dict[str, list[str]] = {}
    for key in LIST_FIELDS:
        value = record.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise InputError(where, f"`{key}` must be a list of non-empty strings")
        lists[key] = value
    texts: dict[str, str] = {}
    for key in TEXT_FIELDS:
        value = record.get(key) or ""
        if not isinstance(value, str):
            raise InputError(where, f"`{key}` must be a string")
        texts[key] = value.strip()
    if texts["pair"] and (texts["pair"] not in PAIRS or not texts["pair"].startswith(lang)):
        raise InputError(
            where, f"pair {texts['pair']!r}: use {lang}-ar or {lang}-en (question language first)"
        )
    if texts["split"] and texts["split"] not in SPLITS:
        raise InputError(where, f"split {texts['split']!r}: use one of {', '.join(SPLITS)}")
    if texts["answer_type"] and texts["answer_type"] not in ANSWER_TYPES:
        raise InputError(
            where, f"answer_type {texts['answer_type']!r}: use one of {', '.join(ANSWER_TYPES)}"
        )
    paraphrased = record.get("paraphrased", False)
    if not isinstance(paraphrased, bool):
        raise InputError(where, "`paraphrased` must be true or false")
    time_range = _time_range(record.get("time_range"), where)
    return Question(
        str(qid), text.strip(), lang, line=line, paraphrased=paraphrased, time_range=time_range,
        **lists, **texts,
    )  # fmt: skip


def _time_range(value: Any, where: str) -> dict[str, str | None] | None:
    """`{"start": "2015-03-01", "end": "2015-03-31", "kind": "explicit"}`, or absent."""
    if value is None:
        return None
    usage = f'`time_range` must be {{"start": ISO date or null, "end": ..., "kind": {KINDS}}}'
    if not isinstance(value, dict) or set(value) != {"start", "end", "kind"}:
        raise InputError(where, usage)
    if value["kind"] not in KINDS:
        raise InputError(where, f"time_range kind {value['kind']!r}: use one of {', '.join(KINDS)}")
    days = []
    for key in ("start", "end"):
        if value[key] is None:
            continue
        try:
            days.append(date.fromisoformat(value[key]))
        except (TypeError, ValueError):
            raise InputError(where, f"time_range {key} {value[key]!r}: {usage}") from None
    if len(days) == 2 and days[0] > days[1]:
        raise InputError(where, "time_range starts after it ends")
    return dict(value)


def check_doc_ids(suite: Suite, known: Iterable[str]) -> None:
    """Every relevant doc id must exist in the ingested corpus; errors name file and line."""
    known_ids = set(known)
    problems = [
        (q.line, doc) for q in suite.questions for doc in q.relevant_docs if doc not in known_ids
    ]
    if not problems:
        return
    line, doc = problems[0]
    others = "".join(
        f"\n  {suite.questions_path}:{n}: unknown doc id {d!r}" for n, d in problems[1:6]
    )
    if len(problems) > 6:
        others += f"\n  ... and {len(problems) - 6} more"
    sample = ", ".join(repr(d) for d in sorted(known_ids)[:5])
    raise InputError(
        f"{suite.questions_path}:{line}",
        f"unknown doc id {doc!r} in relevant_docs{others}\n  the corpus {suite.corpus} has "
        f"{len(known_ids)} documents, e.g. {sample}",
    )
