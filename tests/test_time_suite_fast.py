"""The time suite (eval/suites/time): its files load, its corpus reads with its dates, and
each question's time_range, relevant articles and kind agree with one another."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO, make_settings

from eval.suite import check_doc_ids, load_suite
from ingest.documents import to_document
from ingest.readers import RawRecord, iter_records
from rag.errors import InputError
from rag.text.time_expressions import find_time_range

SUITE = REPO / "eval" / "suites" / "time"
NEWEST = date(2016, 6, 30)  # the archive's newest article: the reference for relative times


@pytest.fixture(scope="module")
def suite_and_dates() -> tuple:
    suite = load_suite(SUITE)
    settings = make_settings(Path("unused"))
    dates = {}
    for record in iter_records([suite.corpus], settings):
        assert isinstance(record, RawRecord), record
        doc = to_document(record, suite.corpus)
        assert doc is not None
        dates[doc.doc_id] = date.fromisoformat(doc.date) if doc.date else None
    return suite, dates


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def test_the_suite_loads_with_its_corpus(suite_and_dates: tuple) -> None:
    suite, dates = suite_and_dates
    assert suite.name == "time"
    assert len(suite.questions) >= 30
    assert len(dates) >= 24
    check_doc_ids(suite, dates)  # every relevant doc is an article of the corpus
    dated = [d for d in dates.values() if d]
    assert (min(dated), max(dated)) == (date(2014, 3, 9), NEWEST)
    assert None in dates.values()  # one article without a date
    assert {q.lang for q in suite.questions} == {"ar", "en"}


def test_each_time_range_is_what_the_parser_resolves(suite_and_dates: tuple) -> None:
    suite, _ = suite_and_dates
    for q in suite.questions:
        found = find_time_range(q.question, NEWEST)
        assert found is not None, q.id
        start, end = (d and d.isoformat() for d in found[:2])
        assert q.time_range == {"start": start, "end": end, "kind": found.kind}, q.id


def test_relevant_articles_lie_in_the_asked_range(suite_and_dates: tuple) -> None:
    suite, dates = suite_and_dates
    explicit = [q for q in suite.questions if q.time_range["kind"] == "explicit"]
    assert len(explicit) >= 15
    for q in explicit:
        start, end = _day(q.time_range["start"]), _day(q.time_range["end"])
        for doc in q.relevant_docs:
            assert dates[doc] is not None and start <= dates[doc] <= end, (q.id, doc)


def test_latest_questions_name_the_newest_article_of_a_story_first(suite_and_dates) -> None:
    suite, dates = suite_and_dates
    latest = [q for q in suite.questions if q.time_range["kind"] == "latest"]
    assert len(latest) >= 6
    for q in latest:
        newest = dates[q.relevant_docs[0]]
        assert all(dates[d] <= newest for d in q.relevant_docs), q.id
        story = q.relevant_docs[0].split("/")[1].split("-")[0]
        older = [d for doc, d in dates.items() if doc.split("/")[1].startswith(story) and d]
        assert min(older) < newest, f"{q.id}: the story has no older article"


def test_not_found_questions_ask_outside_the_archive_or_about_an_unanswered_period(
    suite_and_dates: tuple,
) -> None:
    suite, dates = suite_and_dates
    dated = [d for d in dates.values() if d]
    first, last = min(dated), max(dated)
    outside = [q for q in suite.questions if q.id.startswith("time-outside")]
    gaps = [q for q in suite.questions if q.id.startswith("time-gap")]
    assert len(outside) >= 3 and len(gaps) >= 3
    for q in outside + gaps:
        assert not q.answerable, q.id
    for q in outside:
        start, end = _day(q.time_range["start"]), _day(q.time_range["end"])
        assert end < first or start > last, q.id
    for q in gaps:  # the period holds articles, just none that answer
        start, end = _day(q.time_range["start"]), _day(q.time_range["end"])
        assert any(start <= d <= end for d in dated), q.id


@pytest.mark.parametrize(
    ("time_range", "message"),
    [
        ({"start": "2015-01-01", "end": "2015-12-31", "kind": "soon"}, "time_range kind"),
        ({"start": "2015-12-31", "end": "2015-01-01", "kind": "explicit"}, "starts after"),
        ({"start": "March 2015", "end": None, "kind": "explicit"}, "time_range start"),
        ({"start": None, "kind": "latest"}, "must be"),
    ],
)
def test_the_loader_rejects_a_bad_time_range(tmp_path: Path, time_range, message) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "suite.yaml").write_text("corpus: corpus/\nquestions: q.jsonl\n")
    line = {"id": "a", "question": "what happened in 2015?", "time_range": time_range}
    (tmp_path / "q.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(InputError, match=message):
        load_suite(tmp_path)
