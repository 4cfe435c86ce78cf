"""Negation and contradiction (issue: honest answers, round two, item 3): a claim whose
polarity differs from its evidence loses its citation, in both languages and across them,
and an extractive quote is never offered as the answer to a question it negates."""

from __future__ import annotations

import pytest
from fakes import HashEmbedder
from test_honest_answers_fast import ERDOGAN_AR, ERDOGAN_EN, passage

from rag.answer.citations import check_citations
from rag.answer.extractive import ScoredSentence, extractive_answer
from rag.settings import Settings
from rag.text.polarity import contradicts, has_negator, opposes, polarity

EMBEDDER = HashEmbedder()


@pytest.mark.parametrize(
    ("claim", "evidence"),
    [
        ("Erdogan did not demand a withdrawal", ERDOGAN_EN),
        ("Erdogan didn't demand the withdrawal of Armenian forces", ERDOGAN_EN),
        ("Erdogan never demanded a withdrawal", ERDOGAN_EN),
        ("The minister resigned on Monday", "The minister did not resign on Monday."),
        ("لم يطالب أردوغان بانسحاب القوات الأرمينية", ERDOGAN_AR),
        ("أردوغان لا يطالب بانسحاب القوات", ERDOGAN_AR),
        ("ولم يطالب أردوغان بانسحاب القوات", ERDOGAN_AR),
        ("استقال الوزير يوم الاثنين", "ولم يستقل الوزير يوم الاثنين."),
        ("وافق المجلس على المشروع", "لن يوافق المجلس على المشروع."),
    ],
)
def test_a_negator_on_one_side_only_contradicts(claim, evidence):
    assert contradicts(claim, evidence)


@pytest.mark.parametrize(
    ("claim", "evidence"),
    [
        ("Erdogan demanded the withdrawal of Armenian forces", ERDOGAN_EN),
        ("The minister did not resign", "The minister did not resign on Monday."),
        ("طالب أردوغان بانسحاب القوات الأرمينية", ERDOGAN_AR),
        ("جدد أردوغان المطالبة بانسحاب القوات", ERDOGAN_AR),
        # The negated word is another one: "demanded X, did not set a date".
        ("Erdogan demanded a withdrawal", "Erdogan demanded a withdrawal but did not set a date."),
        # The same word stated plainly and negated in the evidence is no contradiction.
        ("They demanded a vote", "They demanded a vote, and did not demand a recount."),
    ],
)
def test_same_polarity_or_other_words_do_not_contradict(claim, evidence):
    assert not contradicts(claim, evidence)


def test_negation_stops_at_the_clause():
    said = polarity("The talks did not fail, and the envoy demanded a second round.")
    assert "fail" in said.negated
    assert "demand" in said.plain and "demand" not in said.negated


def test_across_languages_a_negated_claim_needs_a_negated_sentence():
    assert has_negator("لم يطالب") and has_negator("didn't") and not has_negator(ERDOGAN_AR)
    assert opposes("Erdogan did not demand a withdrawal", ERDOGAN_AR, ERDOGAN_AR)
    assert not opposes("Erdogan demanded a withdrawal", ERDOGAN_AR, ERDOGAN_AR)
    assert opposes("لم يطالب أردوغان بالانسحاب", ERDOGAN_EN, ERDOGAN_EN)


@pytest.mark.parametrize(
    ("claim", "evidence", "language"),
    [
        ("Erdogan did not demand a withdrawal of Armenian forces. [1]", ERDOGAN_EN, "en"),
        ("Erdogan did not demand a withdrawal [1]", ERDOGAN_AR, "ar"),
        ("لم يطالب الرئيس التركي أردوغان بانسحاب القوات الأرمينية. [1]", ERDOGAN_AR, "ar"),
        ("لم يطالب أردوغان بانسحاب القوات الأرمينية [1]", ERDOGAN_EN, "en"),
    ],
)
def test_a_planted_contradiction_loses_its_citation(claim, evidence, language):
    checked = check_citations(claim, [passage(evidence, language)], EMBEDDER, 0.0)
    assert checked.supported == 0 and checked.text == ""
    assert any("opposite" in n for n in checked.notices), checked.notices


@pytest.mark.parametrize(
    ("claim", "evidence", "language"),
    [
        ("Erdogan demanded the withdrawal of Armenian forces. [1]", ERDOGAN_EN, "en"),
        ("طالب الرئيس التركي أردوغان بانسحاب القوات الأرمينية. [1]", ERDOGAN_AR, "ar"),
    ],
)
def test_the_faithful_claim_keeps_its_citation(claim, evidence, language):
    checked = check_citations(claim, [passage(evidence, language)], EMBEDDER, 0.0)
    assert checked.supported == 1, checked.notices


LICENCE = (
    "Sousse Governor Mourad Jebali denied reports that the hotel had been operating without "
    "a fire safety licence, saying its licence had been renewed in May."
)
RESIGN_AR = "نفى رئيس نادي الوحدة فهد العتيبي أن يكون قد قرر الاستقالة من منصبه."


@pytest.mark.parametrize(
    ("claim", "evidence", "language"),
    [
        # Seen from the local LLM on the planted suite (eval/suites/planted).
        (
            "The hotel was operating without a fire safety licence because its licence had "
            "been renewed in May. [1]",
            LICENCE,
            "en",
        ),
        ("قرر رئيس نادي الوحدة فهد العتيبي الاستقالة من منصبه. [1]", RESIGN_AR, "ar"),
    ],
)
def test_a_claim_stating_what_its_evidence_denies_loses_its_citation(claim, evidence, language):
    checked = check_citations(claim, [passage(evidence, language)], EMBEDDER, 0.0)
    assert checked.supported == 0, checked.notices
    assert any("opposite" in n for n in checked.notices), checked.notices
    # Reporting the denial is faithful.
    faithful = {
        "en": "The governor denied reports that the hotel had been operating without a "
        "fire safety licence. [1]",
        "ar": "نفى رئيس نادي الوحدة فهد العتيبي أن يكون قد قرر الاستقالة. [1]",
    }[language]
    kept = check_citations(faithful, [passage(evidence, language)], EMBEDDER, 0.0)
    assert kept.supported == 1, kept.notices


def test_an_extractive_quote_that_negates_the_question_is_not_its_answer():
    denial = "Erdogan did not demand a ceasefire in Ankara."
    text = f"{denial} {ERDOGAN_EN}"
    p = passage(text, "en")
    scored = [
        ScoredSentence(1, 0, len(denial), denial, 0.95, 0.95),
        ScoredSentence(1, len(denial) + 1, len(text), ERDOGAN_EN, 0.90, 0.90),
    ]
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    answer = extractive_answer("What did Erdogan demand?", [p], scored, settings, "en")
    assert "did not demand" not in answer.text
    assert "demanded the withdrawal" in answer.text
    only = extractive_answer("What did Erdogan demand?", [p], scored[:1], settings, "en")
    assert only.mode == "not_found"


def test_each_extra_quote_from_another_article_must_answer_on_its_own():
    """Honest answers, round two, item 4: a quote from another article than the best
    quote's is kept only when it passes the check by itself, however near its score."""
    first = ERDOGAN_EN
    extra = "The central bank kept its main interest rate at five and a half per cent."
    more = "Erdogan spoke in Ankara after meeting the NATO secretary general on Tuesday."
    passages = [passage(f"{first} {more}", "en", 1), passage(extra, "en", 2)]
    scored = [
        ScoredSentence(1, 0, len(first), first, 0.95, 0.95),
        ScoredSentence(2, 0, len(extra), extra, 0.94, 0.94),
        ScoredSentence(1, len(first) + 1, len(first) + 1 + len(more), more, 0.93, 0.93),
    ]
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    question = "What did Erdogan demand?"
    near = extractive_answer(question, passages, scored, settings, "en")
    assert "central bank" in near.text
    asked: list[str] = []

    def answers(sent: ScoredSentence) -> bool:
        asked.append(sent.text)
        return False

    judged = extractive_answer(question, passages, scored, settings, "en", answers)
    assert "central bank" not in judged.text and "withdrawal" in judged.text
    assert "NATO secretary general" in judged.text  # the best quote's article: not re-judged
    assert asked == [extra]
