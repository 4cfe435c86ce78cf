"""The fast tier's view of the pipeline: a real Chroma store and BM25 index over the sample
articles, embedded by the hashed-trigram fake (tests/fakes.py): fusion, filters, MMR,
extractive answers and their citations, without loading a model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, make_settings
from fakes import HashEmbedder

from ingest.pipeline import Ingestor
from rag.answer.answerability import AnswerabilityModel
from rag.answer.assistant import Assistant
from rag.answer.extractive import extractive_answer, score_sentences
from rag.answer.llm import OpenAIChat
from rag.answer.result import Judgement, Status
from rag.retrieve.retriever import Passage
from rag.store.filters import Filters
from rag.wiring import Parts
from webui import render

EMBEDDER = HashEmbedder()


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    parts = Parts(make_settings(tmp_path_factory.mktemp("fast") / "data"), embedder=EMBEDDER)
    report = Ingestor.from_parts(parts).run([SAMPLES])
    assert report.ingested == 5 and not report.failures
    return parts.assistant


def docs(assistant: Assistant, question: str, **kw: object) -> list[str]:
    return [p.doc_id for p in assistant.retriever.retrieve(question, **kw)]  # type: ignore[arg-type]


def test_bm25_and_hybrid_find_the_passage_by_its_words(assistant: Assistant) -> None:
    question = "withdrawal of Armenian forces"
    assert docs(assistant, question, k=3, mode="bm25")[0] == "articles/karabakh-ceasefire-en.md"
    assert docs(assistant, question, k=3)[0] == "articles/karabakh-ceasefire-en.md"


def test_filters_restrict_every_retriever(assistant: Assistant) -> None:
    for mode in ("hybrid", "dense", "bm25"):
        english = assistant.retriever.retrieve(
            "ceasefire Karabakh", k=5, mode=mode, filters=Filters(language="en")
        )
        assert english and {p.language for p in english} == {"en"}, mode
        sample = docs(assistant, "البنك", k=5, mode=mode, filters=Filters(source="sample"))
        assert set(sample) <= {"sample-ar-economy-1", "sample-ar-sport-1"}, mode
    dated = docs(assistant, "news", k=5, filters=Filters(date_from="2024-03-01"))
    assert set(dated) <= {"sample-ar-economy-1", "articles/solar-plant-en.html"} and dated


def test_extractive_answer_cites_the_passage_it_quotes(assistant: Assistant) -> None:
    question = "How many homes will the new solar plant power?"
    passages = assistant.retriever.retrieve(question, k=3)
    scored = score_sentences(question, EMBEDDER.embed_query(question), passages, EMBEDDER)
    answer = extractive_answer(question, passages, scored, assistant.settings, "en")
    assert answer.mode == "extractive" and "200,000 homes" in answer.text
    assert answer.citations[0].doc_id == "articles/solar-plant-en.html"
    for c in answer.citations:
        assert c.supporting in c.text and f"[{c.n}]" in answer.text


def _passage(n: int, text: str, lang: str) -> Passage:
    return Passage(f"c{n}", f"d{n}", text, f"t{n}", "", "", "", lang, 0, len(text), 1.0, 0.9)


def test_the_fake_embedder_is_a_real_embedder() -> None:
    from rag.embedder import Embedder

    assert isinstance(EMBEDDER, Embedder)
    a, b, c = EMBEDDER.embed_documents(["أردوغان يطالب", "اردوغان يطالب", "solar plant"])
    assert float(a @ b) > 0.9 > float(a @ c)


def test_the_llm_reads_the_best_sentences_with_their_neighbours() -> None:
    from rag.answer.prompts import excerpts, format_passages

    text = "One. Two is here. Three names Erdogan. Four. Five. Six is the end."
    other = "Unscored passage text that the model still sees, from its opening."
    passages = [_passage(1, text, "en"), _passage(2, other, "en")]
    three = text.index("Three")
    bodies = excerpts(passages, [(1, three)])
    assert bodies[0] == "Two is here. Three names Erdogan. Four."
    assert bodies[1] == other
    six = text.index("Six")
    assert excerpts(passages, [(1, three), (1, six)], per_passage=2)[0] == (
        "Two is here. Three names Erdogan. Four. Five. Six is the end."
    )
    both = excerpts(passages, [(1, 0), (1, six)], per_passage=2)
    assert both[0] == "One. Two is here. … Five. Six is the end."
    # Only the best sentence per passage by default; neighbours only while they fit.
    assert excerpts(passages, [(1, six), (1, three)])[0] == "Five. Six is the end."
    tight = excerpts(passages, [(1, three)], max_chars=32)[0]
    assert tight == "Three names Erdogan. Four."
    clipped = excerpts([_passage(1, "word " * 400, "en")], [], max_chars=50)[0]
    assert len(clipped) <= 52 and clipped.endswith(" …")
    block = format_passages(passages, bodies)
    assert 'n="1"' in block and "Three names Erdogan" in block and "Six" not in block


def test_an_llm_answer_says_what_it_reads_before_its_first_word(
    assistant: Assistant, scripted: Any
) -> None:
    """A status item ("reading N passages with MODEL...") comes before the first delta, with
    the served model's name learned from GET /v1/models; the CLI and page show it."""
    llm = scripted("say:Erdogan demanded a withdrawal [1].", "say:طالب أردوغان بالانسحاب [1].")
    # The free reading's status (the rewrite's: tests/test_rewrite_fast.py).
    update = {"llm_base_url": llm.url, "llm_style": "free"}
    settings = assistant.settings.model_copy(update=update)
    # The hashed fake cannot judge answerability: this test is about what the stream says.
    bot = Parts(settings, embedder=EMBEDDER, answerability=Answerable.untrained()).assistant
    assert bot.chat_model is not None
    bot.chat_model.identify()
    assert bot.chat_model.model == "scripted-model"
    assert bot.chat_model.name.startswith("scripted-model @ http://127.0.0.1")
    items = list(bot.ask_stream("what did Erdogan demand?", k=5))
    kinds = [type(i).__name__ for i in items]
    assert "Status" in kinds, kinds
    first = kinds.index("Status")
    assert kinds[first + 1] == "str" and kinds[-1] == "Answer" and kinds.count("Status") == 1
    status = items[first]
    assert isinstance(status, Status)
    assert status.text == "reading 3 passages with scripted-model…"  # RAG_LLM_PASSAGES
    arabic = list(bot.ask_stream("ماذا طالب أردوغان؟", k=5))
    assert any(isinstance(i, Status) and i.text.startswith("يقرأ scripted-model") for i in arabic)
    # The page shows it until the first word arrives.
    html = render.streaming_message("", status=status.text)
    assert "rag-status" in html and "reading 3 passages" in html
    assert "rag-status" not in render.streaming_message("Erdogan", status=status.text)


def test_with_an_llm_the_question_is_also_asked_in_the_other_language(
    assistant: Assistant, scripted: Any
) -> None:
    """The LLM translates the question once; the translation's words find the Arabic
    passages by BM25 (which the English words cannot), and `--json` shows it."""
    question = "what did Erdogan demand?"
    llm = scripted("say:Erdogan demanded a withdrawal [1].", "say:He did [1].")
    llm.translations[question] = "الترجمة: «ماذا طالب أردوغان؟»"
    llm.translations["who is Putin?"] = "Who is Putin, in English?"  # not Arabic: no use
    update = {"llm_base_url": llm.url, "llm_translate": True}  # off by default
    settings = assistant.settings.model_copy(update=update)
    bot = Parts(settings, embedder=EMBEDDER, answerability=Answerable.untrained()).assistant
    plain = bot.ask(question, k=5, mode="extractive")
    assert llm.translated == [] and plain.translation == ""  # extractive mode never asks
    assert not any(p.language == "ar" and p.bm25_score > 0 for p in plain.passages)
    answer = bot.ask(question, k=5)
    assert llm.translated == [question]
    assert answer.translation == "ماذا طالب أردوغان؟"  # label and quotes taken off
    assert answer.to_json()["translation"] == answer.translation
    found = [p for p in answer.passages if p.language == "ar" and p.bm25_score > 0]
    assert found and any("أردوغان" in p.text for p in found)
    bot.ask(question, k=5)
    assert llm.translated == [question]  # asked once per question
    assert bot.ask("who is Putin?", k=5).translation == ""
    off = settings.model_copy(update={"llm_translate": False})
    quiet = Parts(off, embedder=EMBEDDER, answerability=Answerable.untrained()).assistant
    assert quiet.ask("what did Putin say?", k=5).translation == ""
    assert "what did Putin say?" not in llm.translated


def test_a_translation_needs_the_other_language_in_the_archive(
    tmp_path: Path, scripted: Any
) -> None:
    settings = make_settings(tmp_path / "data")
    english = SAMPLES / "solar-plant-en.html"
    Ingestor.from_parts(Parts(settings, embedder=EMBEDDER)).run([english])
    llm = scripted("say:It makes power [1].")
    settings = settings.model_copy(update={"llm_base_url": llm.url, "llm_translate": True})
    bot = Parts(settings, embedder=EMBEDDER, answerability=Answerable.untrained()).assistant
    assert bot.ask("what does the solar plant produce?", k=3).translation == ""
    assert llm.translated == []  # nothing in Arabic to search: the LLM is not asked


class Answerable(AnswerabilityModel):
    """Every retrieved evidence answers (a real subclass of the answerability model)."""

    def judge(
        self, question: str, question_lang: str, passages: Any, *args: Any, **kwargs: Any
    ) -> Judgement:
        return Judgement(True, 1.0, 0.0, f"{question_lang}-{question_lang}")


def test_a_configured_model_name_is_kept(scripted: Any, tmp_path: Any) -> None:
    llm = scripted()
    chat = OpenAIChat(make_settings(tmp_path, llm_base_url=llm.url, llm_model="qwen2.5-1.5b"))
    chat.identify()
    assert chat.model == "qwen2.5-1.5b" and not llm.requests
