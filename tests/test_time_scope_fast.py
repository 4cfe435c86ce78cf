"""The question's time applied (issue 29), fast tier: the range and notices
(rag.answer.time_scope), the order of answering passages and the "states the time" check
(rag.answer.timed), and the whole path over the time suite's dated articles in a real
Chroma store with the hashed-trigram fake embedder: filters on every retriever, the
archive's span, "yesterday" against its newest date, dates on every card, the chat's
filters, the time prompt, `--json`'s time_range and the eval's time metrics."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from conftest import REPO, make_settings
from fakes import HashEmbedder
from test_pipeline_fast import Answerable

from eval import scoring
from ingest.pipeline import Ingestor
from rag.answer.assistant import Assistant
from rag.answer.result import Answer, Citation
from rag.answer.time_scope import archive_span, time_scope
from rag.answer.timed import states_time
from rag.retrieve.retriever import Passage
from rag.settings import Settings
from rag.store.filters import Filters
from rag.wiring import Parts
from webui import render
from webui.handlers import ALL_SOURCES, chat_filters

EMBEDDER = HashEmbedder()
CORPUS = REPO / "eval" / "suites" / "time" / "corpus"
SPAN = ("2014-03-09", "2016-06-30")  # the time suite's archive
UNDATED = "corpus/olive-harvest-undated-en.md"


def settings(**overrides: object) -> Settings:
    return make_settings(REPO / "unused", **overrides)


def scope_of(question: str, filters: Filters | None = None, **overrides: object) -> Any:
    language = "ar" if any("\u0600" <= c <= "\u06ff" for c in question) else "en"
    return time_scope(question, language, filters, SPAN, settings(**overrides), date(2026, 12, 7))


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> Parts:
    data = tmp_path_factory.mktemp("time") / "data"
    built = Parts(make_settings(data), embedder=EMBEDDER, answerability=Answerable.untrained())
    report = Ingestor.from_parts(built).run([CORPUS])
    assert report.ingested == 24 and not report.failures
    return built


@pytest.fixture(scope="module")
def assistant(parts: Parts) -> Assistant:
    return parts.assistant


# --- 1. the range, the reference date and what the reader is told ------------------------
@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("What did the central bank decide in March 2015?", "2015-03-01", "2015-03-31"),
        ("ماذا قرر البنك المركزي في آذار 2016؟", "2016-03-01", "2016-03-31"),
        ("What happened after 2015?", "2016-01-01", None),  # open end
        ("ماذا حدث قبل عام 2015؟", None, "2014-12-31"),  # open start
    ],
)
def test_an_asked_range_becomes_the_date_filter(question: str, start: Any, end: Any) -> None:
    scope = scope_of(question)
    assert (scope.filters.date_from, scope.filters.date_to) == (start, end)
    assert scope.kind == "explicit" and not scope.uncovered and scope.from_question
    assert scope.notices[0].startswith("time: ")
    shown = scope.as_dict()
    assert (shown["start"], shown["end"], shown["covered"]) == (start, end, True)


def test_yesterday_counts_from_the_archives_newest_date_and_says_so() -> None:
    scope = scope_of("ماذا حدث أمس؟")
    assert (scope.filters.date_from, scope.filters.date_to) == ("2016-06-29", "2016-06-29")
    assert scope.reference == "2016-06-30"
    assert "مقالات من 2016-06-29 إلى 2016-06-29" in scope.notices[0]
    assert "أحدث مقال في الأرشيف، 2016-06-30" in scope.notices[0]
    english = scope_of("What opened in Riyadh yesterday?")
    assert "archive's newest article date, 2016-06-30" in english.notices[0]
    today = scope_of("What opened in Riyadh yesterday?", time_reference="today")
    assert today.filters.date_from == "2026-12-06" and "counted from today" in today.notices[0]


def test_the_evidence_check_reads_the_question_without_its_time_words() -> None:
    english = scope_of("What did the Manara central bank decide in March 2015?")
    asked = "What did the Manara central bank decide in March 2015?"
    assert english.without_time(asked) == "What did the Manara central bank decide ?"
    arabic = scope_of("ماذا قرر البنك المركزي في المنارة في آذار 2016؟")
    assert "2016" not in arabic.without_time("ماذا قرر البنك المركزي في المنارة في آذار 2016؟")
    short = scope_of("ماذا حدث أمس؟")
    assert short.without_time("ماذا حدث أمس؟") == "ماذا حدث أمس؟"  # too little left: kept


def test_time_handling_off_reads_no_time() -> None:
    scope = scope_of("Who won the league in 2015?", time_aware=False)
    assert scope.asked is None and scope.filters == Filters() and scope.as_dict() is None


def test_latest_and_recently_filter_nothing() -> None:
    latest = scope_of("What is the latest on the Karabakh ceasefire?")
    assert latest.kind == "latest" and latest.filters == Filters() and not latest.from_question
    recent = scope_of("ماذا حدث في قره باغ مؤخرا؟")
    assert recent.kind == "recent" and recent.filters == Filters()
    assert (recent.start, recent.end) == ("2016-06-01", "2016-06-30")
    assert "تفضيل المقالات" in recent.notices[0]


def test_a_picked_range_and_the_questions_meet_in_the_narrower() -> None:
    picked = Filters(source="Manara News Agency", date_from="2015-06-01", date_to="2016-12-31")
    scope = scope_of("Who won the league in 2015?", picked)
    assert (scope.filters.date_from, scope.filters.date_to) == ("2015-06-01", "2015-12-31")
    assert scope.filters.source == "Manara News Agency"
    assert any(
        "using the narrower articles from 2015-06-01 to 2015-12-31" in n for n in scope.notices
    )
    arabic = scope_of("من فاز بالدوري عام 2015؟", picked)
    assert any("النطاق الأضيق" in n for n in arabic.notices)
    inside = scope_of("Who won the league in 2015?", Filters(date_from="2014-01-01"))
    assert len(inside.notices) == 1  # the picked range holds the asked one: nothing to tell
    apart = scope_of("Who won the league in 2015?", Filters(date_to="2014-12-31"))
    assert apart.uncovered and "share no day" in apart.notices[0]


@pytest.mark.parametrize(
    "question",
    ["What happened in Nagorno-Karabakh in 1990?", "ماذا حدث في قره باغ عام 1990؟"],
)
def test_a_period_outside_the_archive_is_uncovered_naming_its_span(question: str) -> None:
    scope = scope_of(question)
    assert "2014-03-09" in scope.uncovered and "2016-06-30" in scope.uncovered
    assert scope.as_dict()["covered"] is False
    # An archive without dated articles is searched whole: a range would exclude them all.
    undated = time_scope(question, "en", None, None, settings())
    assert not undated.uncovered and undated.filters == Filters()
    assert "no dated articles" in undated.notices[0] or "مؤرخة" in undated.notices[0]


@pytest.mark.parametrize(("language", "words"), [("en", "date filter"), ("ar", "مرشح التاريخ")])
def test_a_picked_range_outside_the_archive_is_uncovered_naming_its_span(
    language: str, words: str
) -> None:
    later = Filters(None, None, "2030-01-01", "2030-12-31")
    scope = time_scope("what did the central bank decide?", language, later, SPAN, settings())
    assert words in scope.uncovered and "2014-03-09" in scope.uncovered
    assert "2030-01-01" in scope.uncovered and "2016-06-30" in scope.uncovered
    inside = Filters(None, None, "2015-01-01", None)
    assert not time_scope("what did the bank decide?", language, inside, SPAN, settings()).uncovered
    assert not time_scope("what did the bank decide?", language, later, None, settings()).uncovered


def test_the_archive_span_reads_iso_dates_only() -> None:
    assert archive_span(["2015-03-18", "", "Mon, 12 Mar 2015", "2014-08-04T10:00"]) == (
        "2014-08-04",
        "2015-03-18",
    )
    assert archive_span([]) is None


def passage(doc: str, day: str, text: str = "The ceasefire held.") -> Passage:
    return Passage(doc, doc, text, doc, "src", "", day, "en", 0, len(text), 1.0, 0.9)


def test_a_later_article_can_state_the_asked_time() -> None:
    scope = scope_of("Who won the league in 2015?")
    assert states_time(passage("a", "2016-01-10", "Al-Sahel were champions last year."), scope)
    assert states_time(passage("b", "", "The 2015 season (in 2015) ended."), scope)
    assert not states_time(passage("c", "2016-05-20", "Al-Shorouq won the title."), scope)


# --- 2. retrieval honours it, in the real store -------------------------------------------
@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_an_asked_range_filters_every_retriever(assistant: Assistant, mode: str) -> None:
    scope = scope_of("Who won the Manara league in 2015?")
    found = assistant.retriever.retrieve("league champions", k=8, mode=mode, filters=scope.filters)  # type: ignore[arg-type]
    assert found and all("2015-01-01" <= p.date <= "2015-12-31" for p in found), mode
    assert UNDATED not in {p.doc_id for p in found}  # an explicit range excludes undated
    before = scope_of("ماذا حدث قبل عام 2015؟")
    early = assistant.retriever.retrieve("الدوري", k=8, mode=mode, filters=before.filters)  # type: ignore[arg-type]
    assert early and all(p.date <= "2014-12-31" for p in early)


def test_latest_cites_the_newest_answering_article_first(assistant: Assistant) -> None:
    answer = assistant.ask("What is the latest on the Karabakh ceasefire?", k=8)
    dated = [p.date for p in answer.passages]
    assert dated == sorted(dated, reverse=True) or "" in dated  # newest first, undated last
    assert answer.citations and answer.citations[0].date == answer.passages[0].date
    assert answer.time_range and answer.time_range["kind"] == "latest"


def test_recently_prefers_its_window_and_never_drops_undated(assistant: Assistant) -> None:
    plain = assistant.ask("olive harvest olive oil", k=8)
    recent = assistant.ask("olive harvest olive oil recently", k=8)
    assert UNDATED in {p.doc_id for p in plain.passages}
    assert UNDATED in {p.doc_id for p in recent.passages}  # a preference drops nothing
    window = [p.date >= "2016-06-01" for p in recent.passages]
    assert window == sorted(window, reverse=True)  # the window's passages first


# --- 3. the archive's span ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("What happened in Nagorno-Karabakh in 1990?", "cover 2014-03-09 to 2016-06-30"),
        ("من فاز بدوري المنارة عام 2010؟", "من 2014-03-09 إلى 2016-06-30"),
    ],
)
def test_a_question_about_1990_is_not_found_naming_the_span(
    assistant: Assistant, question: str, words: str
) -> None:
    answer = assistant.ask(question)
    assert answer.mode == "not_found" and words in answer.text and not answer.citations
    data = answer.to_json()
    assert data["time_range"]["covered"] is False and data["time_range"]["archive"] == list(SPAN)


def test_yesterday_over_the_store_reads_that_day_and_says_so(assistant: Assistant) -> None:
    answer = assistant.ask("ماذا حدث أمس؟")
    assert {p.date for p in answer.passages} == {"2016-06-29"}
    assert any("2016-06-30" in n and n.startswith("time:") for n in answer.notices)
    assert answer.to_json()["time_range"]["start"] == "2016-06-29"


def test_a_covered_period_keeps_its_passages_as_related(parts: Parts) -> None:
    real = Parts(parts.settings, embedder=EMBEDDER).assistant  # the shipped evidence check
    answer = real.ask("What did the Minsk Group co-chairs say in February 2016?")
    assert answer.mode == "not_found"
    assert answer.related and all(p.date.startswith("2016-02") for p in answer.related)


# --- 4. dates you can see ------------------------------------------------------------------
def test_every_card_shows_a_date_or_no_date(assistant: Assistant) -> None:
    answer = assistant.ask("What is the latest on the Karabakh ceasefire?", k=8)
    html = render.answer_message(answer, "t1")
    assert all(p.date[:10] in html for p in answer.passages if p.date)
    undated = Citation(1, "d", "Olives", "src", "", "", "x", "x", (0, 1), 1.0)
    card = render.citation_html(undated, "t", render.LABELS["en"])
    assert "no date" in card
    assert "بلا تاريخ" in render.passage_html(1, passage("d", ""), "t", render.LABELS["ar"])


def test_a_time_question_asks_the_llm_for_its_dates(parts: Parts, scripted: Any) -> None:
    llm = scripted("say:The league was won by Al-Sahel [1].")
    settings = parts.settings.model_copy(update={"llm_base_url": llm.url})
    bot = Parts(settings, embedder=EMBEDDER, answerability=Answerable.untrained()).assistant
    bot.ask("Who won the Manara league in 2015?", k=3)
    prompt = llm.requests[-1]["messages"][-1]["content"]
    assert "say the date of every fact" in prompt and 'date="2015-' in prompt
    bot.ask("ما آخر أخبار وقف إطلاق النار في قره باغ؟", k=3)
    assert "اذكر تاريخ كل معلومة" in llm.requests[-1]["messages"][-1]["content"]


# --- 5. the chat's filters -----------------------------------------------------------------
def test_the_chat_date_range_and_source_become_filters(assistant: Assistant) -> None:
    assert chat_filters("2015-01-01", "", ALL_SOURCES) == Filters(date_from="2015-01-01")
    assert chat_filters(None, "2016-02-29", "Manara News Agency") == Filters(
        source="Manara News Agency", date_to="2016-02-29"
    )
    for bad in (("2015-13-01", None), ("now - 2d", None), ("2016-01-01", "2015-01-01")):
        with pytest.raises(Exception, match=r"date|starts after"):
            chat_filters(*bad, None)
    picked = chat_filters("2015-06-01", "2016-12-31", ALL_SOURCES)
    answer = assistant.ask("Who won the Manara league in 2015?", filters=picked)
    assert any("narrower" in n for n in answer.notices)
    assert all("2015-06-01" <= p.date <= "2015-12-31" for p in answer.passages)


# --- 6. measured -------------------------------------------------------------------------
def test_time_metrics_read_the_asked_range_and_the_span() -> None:
    cited = Citation(1, "new", "t", "s", "", "2016-05-20", "x", "x", (0, 1), 1.0)
    old = Citation(2, "old", "t", "s", "", "2014-05-20", "x", "x", (0, 1), 1.0)
    answer = Answer("x [1] [2]", "extractive", citations=[cited, old])
    latest = {"start": None, "end": None, "kind": "latest"}
    assert scoring.time_scores(latest, ["new", "old"], ["new"], answer, SPAN) == {
        "latest_hit@1": 1.0
    }
    year = {"start": "2016-01-01", "end": "2016-12-31", "kind": "explicit"}
    assert scoring.time_scores(year, [], [], answer, SPAN) == {"range_precision": 0.5}
    outside = {"start": "1990-01-01", "end": "1990-12-31", "kind": "explicit"}
    not_found = Answer("none", "not_found")
    assert scoring.time_scores(outside, [], [], not_found, SPAN) == {"outside_not_found": 1.0}
    records = [{"metrics": {"latest_hit@1": 1.0}, "time_range": latest, "latency_s": 0.1}]
    assert scoring.summarize(records)["time"]["latest_hit@1"] == 1.0
    assert scoring.parse_gates(["latest_hit@1=0.8"]) == {"latest_hit@1": 0.8}
