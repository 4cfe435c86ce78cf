"""The time suite's gates (issue 29) with the real embedder and store: its 24 dated
articles ingested once, its 32 questions asked through the public Assistant, as
`rag eval eval/suites/time` does; and the issue's own cases on the same store."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import RAG_CLI, REPO, cli_env, make_settings
from rich.console import Console

from eval.runner import RunOptions, eval_settings, run_suite
from eval.scoring import failed_gates
from eval.suite import load_suite
from rag.wiring import Parts

pytestmark = pytest.mark.slow

TIME = REPO / "eval" / "suites" / "time"
# Today's scores (README, "Questions about time") less about one question's share: six
# "latest" questions (one is 0.17), eight unanswerable ones (0.125), 24 answerable (0.04).
# With the time handling off (RAG_TIME_AWARE=false) they were latest_hit@1 0.33,
# range_precision 0.69, not_found_accuracy 0.875 and answered_rate 0.58.
TIME_GATES = {
    "latest_hit@1": 0.6,
    "range_precision": 0.9,
    "outside_not_found_accuracy": 0.99,
    "not_found_accuracy": 0.85,
    "answered_rate": 0.6,
    "hit@5": 0.9,
}


@pytest.fixture(scope="module")
def results(eval_cache: Path, embedder: Any) -> dict[str, Any]:
    settings = make_settings(Path("unused"), cache_dir=eval_cache)
    quiet = Console(quiet=True)
    return run_suite(load_suite(TIME), settings, RunOptions(), quiet, embedder=embedder)


def record(results: dict[str, Any], qid: str) -> dict[str, Any]:
    return next(r for r in results["questions"] if r["id"] == qid)


def test_the_time_suite_passes_its_gates(results: dict[str, Any]) -> None:
    assert failed_gates(results, TIME_GATES) == [], results["summary"]


def test_the_latest_on_karabakh_cites_the_newest_first(results: dict[str, Any]) -> None:
    for qid in ("time-latest-01", "time-latest-02"):  # English, Arabic
        got = record(results, qid)
        assert got["citations"], got["answer"]
        assert got["citations"][0]["doc_id"] in got["relevant_docs"], got["citations"]


def test_a_question_about_1990_is_not_found_naming_the_archives_span(
    results: dict[str, Any],
) -> None:
    for qid in ("time-outside-01", "time-outside-02"):  # English, Arabic
        got = record(results, qid)
        assert got["mode"] == "not_found"
        assert "2014-03-09" in got["answer"] and "2016-06-30" in got["answer"], got["answer"]


def test_yesterday_resolves_against_the_archives_newest_date(
    eval_cache: Path, embedder: Any, results: dict[str, Any]
) -> None:
    settings = eval_settings(make_settings(Path("unused"), cache_dir=eval_cache), load_suite(TIME))
    answer = Parts(settings, embedder=embedder).assistant.ask("ماذا حدث أمس؟")
    assert answer.time_range and answer.time_range["start"] == "2016-06-29"
    assert any("2016-06-30" in n for n in answer.notices if n.startswith("time:"))
    assert {p.date for p in answer.passages} == {"2016-06-29"}  # that day's articles only
    english = record(results, "time-relative-02")  # "What opened in Riyadh yesterday?"
    assert english["time_applied"]["start"] == "2016-06-29"


def test_rag_ask_json_carries_the_time_range_and_dated_citations(
    eval_cache: Path, results: dict[str, Any]
) -> None:
    settings = eval_settings(make_settings(Path("unused"), cache_dir=eval_cache), load_suite(TIME))
    env = cli_env(
        RAG_DATA_DIR=str(settings.data_dir),
        RAG_COLLECTION=settings.collection,
        RAG_CACHE_DIR=str(eval_cache),
    )
    question = "Who won the Manara league in 2015?"
    out = subprocess.run(
        [*RAG_CLI, "ask", question, "--json"],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    answer = json.loads(out.stdout)
    shown = answer["time_range"]
    assert (shown["start"], shown["end"], shown["kind"]) == ("2015-01-01", "2015-12-31", "explicit")
    assert 'time: articles from 2015-01-01 to 2015-12-31 ("in 2015")' in answer["notices"]
    assert answer["citations"] and all(c["date"].startswith("2015") for c in answer["citations"])
