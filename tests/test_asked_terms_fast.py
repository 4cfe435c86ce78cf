"""An answer must not take the question's premise for the article's word: a claim's words
that it repeats from the question must be in the quote it cites, in one language
(rag/answer/support.py, asked_terms). The cases are LLM answers seen on the planted suite
(eval/suites/planted), where the question takes for granted what its article does not say."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import HashEmbedder
from test_honest_answers_fast import passage

from rag.answer.citations import check_citations
from rag.text.sentences import Span

EMBEDDER = HashEmbedder()
CORPUS = Path(__file__).resolve().parents[1] / "eval" / "suites" / "planted" / "corpus"


def sentence(doc: str, start: str) -> str:
    """The sentence of a planted article that starts with `start`."""
    text = (CORPUS / doc).read_text(encoding="utf-8")
    begin = text.index(start)
    end = min(i for i in (text.find(".", begin), text.find("\n", begin)) if i > 0)
    return text[begin : end + 1]


FIRE = sentence("sousse-hotel-fire.md", "A fire broke out")
BONUS = sentence("karak-cement-strike.md", "The plant's general manager")
DEMAND = sentence("karak-cement-strike.md", "Omar Haddad")
FESTIVAL = sentence("buraidah-dates-festival.md", "انطلق يوم الاثنين")
VISITORS = sentence("buraidah-dates-festival.md", "وقال مدير المهرجان")


@pytest.mark.parametrize(
    ("question", "claim", "quote", "unsaid"),
    [
        (
            "How many guests died in the Marhaba Palace hotel fire in Sousse?",
            "350 guests died in the Marhaba Palace hotel fire in Sousse. [1]",
            FIRE,
            "died",
        ),
        (
            "What pay rise did Labour Minister Khaled Awamleh promise the Karak strikers?",
            "The labour minister promised a one-off bonus of 200 dinars per worker. [1]",
            BONUS,
            "labour, minister, promised",
        ),
        (
            "كم عدد زوار مهرجان التمور في بريدة في يومه الأول؟",
            "عدد زوار مهرجان التمور في بريدة في يومه الأول هو 1500 مزارع. [1]",
            FESTIVAL,
            "زوار، الأول",
        ),
    ],
)
def test_a_claim_that_repeats_what_its_quote_does_not_say_goes(question, claim, quote, unsaid):
    language = "ar" if "ا" in quote else "en"
    checked = check_citations(claim, [passage(quote, language)], EMBEDDER, 0.88, question=question)
    assert checked.supported == 0, checked.notices
    assert any(f"does not say “{unsaid}”" in n for n in checked.notices), checked.notices
    # Without the question the same claim passes: most of its words are in the quote.
    assert check_citations(claim, [passage(quote, language)], EMBEDDER, 0.88).supported == 1


@pytest.mark.parametrize(
    ("question", "claim", "quote"),
    [
        (
            "What pay rise did the workers' committee demand at the Karak cement plant?",
            "The workers' committee demanded a 15 percent pay rise for every worker. [1]",
            DEMAND,
        ),
        (
            "كم عدد زوار مهرجان التمور في بريدة في يومه الأول؟",
            "استقبل المهرجان في يومه الأول نحو 12 ألف زائر. [1]",
            VISITORS,
        ),
    ],
)
def test_a_claim_whose_quote_says_what_it_repeats_keeps_its_citation(question, claim, quote):
    language = "ar" if "ا" in quote else "en"
    checked = check_citations(claim, [passage(quote, language)], EMBEDDER, 0.88, question=question)
    assert checked.supported == 1, checked.notices


def test_an_english_name_may_come_from_the_quotes_article_in_a_rewrite():
    """A grounded rewrite is checked against its quotes; a name it repeats from the question
    may be named elsewhere in the quote's article, as for names the claim states itself."""
    lead = "Irbid's mayor announced an emergency water plan on Monday."
    quote = "He said 42 percent of the water pumped into the city's network is lost to leaks."
    text = f"{lead} {quote}"
    start = text.index(quote)
    given = {1: [Span(start, start + len(quote), quote)]}
    question = "What share of the water pumped into Irbid's network is lost?"
    claim = "42 percent of the water pumped into Irbid's network is lost. [1]"
    p = passage(text, "en")
    kept = check_citations(claim, [p], EMBEDDER, 0.88, question=question, given=given)
    assert kept.supported == 1, kept.notices
    # A word of the question that is no name must be in the quote itself.
    died = "Irbid's network lost 42 percent of its water and two workers died. [1]"
    gone = check_citations(died, [p], EMBEDDER, 0.88, question=question + " Who died?", given=given)
    assert gone.supported == 0, gone.notices
