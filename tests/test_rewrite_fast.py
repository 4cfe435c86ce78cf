"""The grounded rewrite (rag/answer/rewrite.py) with a scripted LLM over the sample articles,
embedded by the hashed-trigram fake: the prompt holds only the chosen quotes, an answer in
the wrong language is retried then replaced by the quotes, an unsupported name or number
loses its sentence, and an answer with nothing left falls back to the quotes."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import SAMPLES, make_settings
from fakes import HashEmbedder
from test_pipeline_fast import Answerable

from ingest.pipeline import Ingestor
from rag.answer.assistant import Assistant
from rag.answer.result import Answer, Status
from rag.answer.rewrite import WrongLanguage, in_language
from rag.text.sentences import split_cited, split_sentences
from rag.wiring import Parts

EMBEDDER = HashEmbedder()
ERDOGAN = "what did Erdogan demand?"
ERDOGAN_AR = "ماذا طالب أردوغان؟"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings = make_settings(tmp_path_factory.mktemp("rewrite") / "data")
    Ingestor.from_parts(Parts(settings, embedder=EMBEDDER)).run([SAMPLES])
    return settings


def bot(settings: Any, url: str, **update: Any) -> Assistant:
    """An assistant on the scripted endpoint whose evidence check always finds an answer
    (the hashed fake cannot judge answerability; these tests are about what follows)."""
    settings = settings.model_copy(update={"llm_base_url": url, **update})
    return Parts(settings, embedder=EMBEDDER, answerability=Answerable.untrained()).assistant


def quotes(assistant: Assistant, question: str) -> Answer:
    return assistant.ask(question, k=5, mode="extractive")


def prompt(llm: Any, i: int = 0) -> str:
    return llm.requests[i]["messages"][-1]["content"]


def test_the_prompt_holds_only_the_chosen_quotes(settings: Any, scripted: Any) -> None:
    llm = scripted()  # "cite": the Erdogan sentence with its [n], and a yacht citing [9]
    assistant = bot(settings, llm.url)
    extractive = quotes(assistant, ERDOGAN)
    chosen = [s for s, _ in split_cited(extractive.text)]
    items = list(assistant.ask_stream(ERDOGAN, k=5))
    answer = items[-1]
    assert isinstance(answer, Answer)
    sent = prompt(llm)
    for quote in chosen:
        assert quote.rstrip(".") in sent
    # No other sentence of any retrieved passage is in the prompt.
    others = [
        span.text
        for p in extractive.passages
        for span in split_sentences(p.text)
        if len(span.text) > 20 and not any(span.text in q or q in span.text for q in chosen)
    ]
    assert others and not [t for t in others if t in sent]
    assert len(sent) < 1200 and "Question: " + ERDOGAN in sent
    statuses = [i.text for i in items if isinstance(i, Status)]
    assert statuses == ["answering from the quoted sentences with local…"]
    # The supported sentence stays; "He also bought a yacht [9]" cites no quote it was given.
    assert answer.mode == "llm" and answer.text.startswith("Erdogan demanded the withdrawal")
    assert "yacht" not in answer.text and answer.claim_check == (2, 1)
    assert any(n.startswith("citation_removed: [9]") for n in answer.notices)


def test_a_wrong_language_answer_is_retried_then_replaced_by_the_quotes(
    settings: Any, scripted: Any
) -> None:
    arabic = "say:طالب أردوغان بانسحاب القوات الأرمينية من الإقليم [1]."
    llm = scripted(arabic, arabic)
    assistant = bot(settings, llm.url)
    extractive = quotes(assistant, ERDOGAN)
    items = list(assistant.ask_stream(ERDOGAN, k=5))
    answer = items[-1]
    assert isinstance(answer, Answer)
    assert len(llm.requests) == 2
    assert "in English only" not in prompt(llm, 0) and "in English only" in prompt(llm, 1)
    # Nothing in the wrong language reached the reader; the retry said why it waits.
    assert not [i for i in items if isinstance(i, str)]
    assert any(isinstance(i, Status) and "asking again in English" in i.text for i in items)
    assert answer.mode == "extractive" and answer.text == extractive.text
    assert any(
        n.startswith("llm_language: the LLM answered in Arabic, not English")
        for n in answer.notices
    )


def test_a_retry_in_the_right_language_is_kept(settings: Any, scripted: Any) -> None:
    llm = scripted(
        "say:Erdogan a exigé le retrait des forces arméniennes [1].",  # Latin script: English?
        "say:قال أردوغان إن على أرمينيا الانسحاب من الإقليم [1].",
    )
    assistant = bot(settings, llm.url)
    answer = assistant.ask(ERDOGAN_AR, k=5)
    # French is in Latin letters: for an Arabic question it is the wrong script, retried.
    assert len(llm.requests) == 2 and "بالعربية فقط" in prompt(llm, 1)
    assert answer.mode == "llm" and answer.text.startswith("قال أردوغان"), answer.notices
    # The quote's block is [1] in the prompt; the answer cites its passage, [2].
    assert '<passage n="1">' in prompt(llm, 1) and '<passage n="2">' not in prompt(llm, 1)
    assert answer.text.endswith("[2]") and [c.n for c in answer.citations] == [2]
    assert any(
        n.startswith("llm_language: the LLM first answered in English") for n in answer.notices
    )


def test_an_unsupported_name_or_number_loses_its_sentence(settings: Any, scripted: Any) -> None:
    # The chosen quote is [1] in the prompt; the answer cites the passage that holds it.
    n = quotes(bot(settings, scripted().url), ERDOGAN).citations[0].n
    llm = scripted(
        "say:Erdogan demanded the withdrawal of Armenian forces [1]. "
        "Erdogan demanded the withdrawal of 5,000 Armenian forces [1]. "
        "Macron demanded the withdrawal of Armenian forces [1]."
    )
    assistant = bot(settings, llm.url)
    answer = assistant.ask(ERDOGAN, k=5)
    assert answer.mode == "llm"
    assert answer.text == f"Erdogan demanded the withdrawal of Armenian forces. [{n}]"
    assert answer.claim_check == (3, 1)
    assert any("unsupported: 2 sentence(s)" in note for note in answer.notices)


def test_an_answer_with_nothing_left_falls_back_to_the_quotes(settings: Any, scripted: Any) -> None:
    llm = scripted("say:Macron bought 300 yachts in Paris [1]. The sky is green [2].")
    assistant = bot(settings, llm.url)
    extractive = quotes(assistant, ERDOGAN)
    answer = assistant.ask(ERDOGAN, k=5)
    assert answer.mode == "extractive" and answer.text == extractive.text
    assert answer.citations == extractive.citations
    assert any(n.startswith("llm_unsupported:") for n in answer.notices)
    assert answer.claim_check == (2, 0)


def test_the_free_reading_stays_a_setting(settings: Any, scripted: Any) -> None:
    llm = scripted()
    answer = bot(settings, llm.url, llm_style="free").ask(ERDOGAN, k=5)
    assert '<passage n="1" title=' in prompt(llm) and answer.mode == "llm"


def test_the_language_is_judged_on_the_first_letters() -> None:
    parts: list[str] = []
    shown = list(
        in_language(iter(["Erdogan ", "demanded ", "the withdrawal ", "[1]."]), "en", parts)
    )
    assert "".join(shown) == "".join(parts) == "Erdogan demanded the withdrawal [1]."
    assert shown[0] == "Erdogan demanded the withdrawal "  # held until 24 letters

    closed: list[bool] = []

    def arabic() -> Any:
        try:
            yield "طالب أردوغان "
            yield "بانسحاب القوات الأرمينية "
            yield "never read"
        finally:
            closed.append(True)

    with pytest.raises(WrongLanguage) as caught:
        list(in_language(arabic(), "en", []))
    assert caught.value.language == "ar" and closed == [True]
    assert list(in_language(iter(["450,000 [1]."]), "en", [])) == ["450,000 [1]."]  # no letters
    with pytest.raises(WrongLanguage):
        list(in_language(iter(["نعم [1]."]), "en", []))  # short, judged at the end


def test_eval_scores_the_answer_language() -> None:
    from eval.scoring import score_question, summarize
    from eval.suite import Question

    english = Question("q1", ERDOGAN, "en", answers=["withdrawal"], pair="en-ar")
    records = [
        score_question(english, Answer("طالب أردوغان بالانسحاب [1]", "extractive"), [], 1.0),
        score_question(english, Answer("Erdogan demanded a withdrawal [1]", "llm"), [], 2.0),
        score_question(english, Answer("450,000 [1]", "llm"), [], 2.0),  # no letters: counts
        score_question(Question("q2", "Who won?", "en"), Answer("", "not_found"), [], 1.0),
    ]
    summary = summarize(records)
    assert summary["answer"]["answer_language_accuracy"] == round(2 / 3, 4)


def test_a_name_may_come_from_the_quotes_article_a_number_only_from_the_quote() -> None:
    from rag.answer.citations import check_citations
    from rag.retrieve.retriever import Passage
    from rag.text.sentences import Span

    text = (
        "Irbid's mayor spoke on Monday. The city loses 42 percent of the water it pumps to "
        "leaks. It plans 300 new meters."
    )
    quote = "The city loses 42 percent of the water it pumps to leaks."
    start = text.index(quote)
    passage = Passage("c1", "d1", text, "t", "", "", "", "en", 0, len(text), 1.0, 0.9)
    raw = (
        "Irbid loses 42 percent of the water it pumps to leaks [1]. "
        "Amman loses 42 percent of the water it pumps to leaks [1]. "
        "The city loses 300 percent of the water it pumps to leaks [1]."
    )
    given = {1: [Span(start, start + len(quote), quote)]}
    checked = check_citations(raw, [passage], EMBEDDER, 0.8, given=given)
    assert checked.text == "Irbid loses 42 percent of the water it pumps to leaks. [1]"
    assert checked.citations[0].supporting == quote
