"""The public Python API on the sample articles: extractive answers, not-found, follow-ups."""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO, make_settings

from rag.answer.assistant import Assistant
from rag.answer.prompts import load_prompts
from rag.answer.result import Answer
from rag.errors import ConfigError, InputError
from rag.wiring import Parts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assistant(sample_data_dir, embedder) -> Assistant:
    return Parts(make_settings(sample_data_dir), embedder=embedder).assistant


def assert_spans_exact(answer: Answer) -> None:
    for c in answer.citations:
        start, end = c.span
        assert c.text[start:end] == c.supporting
        assert f"[{c.n}]" in answer.text


@pytest.mark.parametrize(
    ("question", "needle"),
    [
        ("what did Erdogan demand?", "withdrawal of Armenian forces"),
        ("ماذا طالب أردوغان؟", "بانسحاب القوات الأرمينية"),
    ],
)
def test_erdogan_questions_cite_the_erdogan_passage(assistant, question, needle):
    answer = assistant.ask(question)
    assert answer.mode == "extractive"
    assert any(needle in c.supporting for c in answer.citations), answer.text
    assert needle in answer.text
    assert_spans_exact(answer)
    assert answer.language == ("ar" if "أ" in question else "en")


def test_cross_lingual_answer_quotes_the_arabic_article(assistant):
    # How often cross-lingual questions are answered is measured on the dev suite (en-ar
    # answered_rate); "What interest rate did the central bank keep?" scores 0.53 against
    # the calibrated 0.54 and gets "not found" today. This one checks the quoting.
    answer = assistant.ask("How much is the central bank's main interest rate?")
    assert answer.mode == "extractive"
    assert answer.citations[0].doc_id == "sample-ar-economy-1"
    assert "خمسة ونصف" in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "What did the Brazilian football coach say about the World Cup?",
        "ما هو عدد سكان اليابان؟",
        "Who won the tennis match in Paris?",
    ],
)
def test_absent_answers_say_so_instead_of_quoting_noise(assistant, question):
    answer = assistant.ask(question)
    assert answer.mode == "not_found"
    assert answer.citations == []
    assert "[1]" not in answer.text
    assert any(n.startswith("not_found") for n in answer.notices)


def test_followup_uses_history_without_llm(assistant):
    history = [
        {"role": "user", "content": "what did Erdogan demand?"},
        {"role": "assistant", "content": "The withdrawal of Armenian forces [1]."},
    ]
    answer = assistant.ask("and what did Lavrov offer?", history=history)
    assert "what did Erdogan demand?" in answer.query
    assert any("Lavrov" in c.supporting or "لافروف" in c.supporting for c in answer.citations)
    arabic = assistant.ask("وماذا قالت روسيا؟", history=[("ماذا طالب أردوغان؟", "...")])
    assert "أردوغان" in arabic.query


def test_stream_yields_text_then_the_answer(assistant):
    items = list(assistant.ask_stream("what did Lavrov offer?"))
    assert isinstance(items[-1], Answer)
    assert "".join(i for i in items if isinstance(i, str)) == items[-1].text


def test_json_contract(assistant):
    data = assistant.ask("what did Erdogan demand?", k=3, retriever="dense").to_json()
    assert {"answer", "mode", "notices", "citations"} <= set(data)
    assert {"n", "doc_id", "title", "text", "supporting", "score"} <= set(data["citations"][0])
    assert len(data["passages"]) == 3


def test_empty_question_is_an_input_error(assistant):
    with pytest.raises(InputError, match="question"):
        assistant.ask("   ")


def test_broken_prompt_file_is_a_clear_start_up_error(tmp_path):
    prompts = tmp_path / "prompts"
    shutil.copytree(REPO / "prompts", prompts)
    assert load_prompts(prompts).get("answer", "ar")
    path = prompts / "answer.ar.md"
    path.write_text(path.read_text(encoding="utf-8").replace("{passages}", ""), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"answer\.ar\.md.*\{passages\}"):
        load_prompts(prompts)
    shutil.copy(REPO / "prompts" / "answer.ar.md", path)
    (prompts / "rewrite.en.md").unlink()
    with pytest.raises(ConfigError, match=r"rewrite\.en\.md is missing"):
        load_prompts(prompts)
