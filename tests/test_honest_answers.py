"""Honest answers with the real embedder and store: "not found" when the articles do not
answer, checked LLM citations, follow-ups only when they are follow-ups, the dev-set gate."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import RAG_CLI, REPO, cli_env, make_settings
from test_honest_answers_fast import DEPENDENT, SELF_CONTAINED

from rag.answer.assistant import Assistant
from rag.wiring import Parts

pytestmark = pytest.mark.slow

ERDOGAN = "what did Erdogan demand?"
PLANTED = "The 2018 World Cup was won by France. [1]"
UNANSWERABLE = ["Who won the 2018 World Cup?", "what is the capital of France?"]
DEV = REPO / "eval" / "suites" / "dev"
NEAR = REPO / "eval" / "suites" / "near"
# The dev suite's reporting split, per language pair: today's scores less up to ~0.1 (a pair has
# 56-128 questions, one is 0.01-0.02). The split grew on 2026-12-07 (paraphrased questions,
# near-topic unanswerables of every answer type, 200 English distractors beside the Arabic
# paragraphs, 30 more en-en questions), so these floors are on a harder split than the
# earlier ones; the cross-language hit@5 floors rose with the shifted cross-language search
# (ar-en 0.629 -> 0.857, en-ar 0.824 -> 0.971); the ar-ar ROC AUC floor fell with it
# (0.861 -> 0.810: English passages now reach Arabic questions' top 5). The goal is 0.90
# for both rates in every pair; the README's evaluation section has today's numbers.
DEV_GATES = {
    "not_found_accuracy": 0.57,
    "answered_rate": 0.57,
    "hit@5": 0.85,
    "ar-ar.not_found_accuracy": 0.67,
    "ar-ar.answered_rate": 0.67,
    "ar-ar.hit@5": 0.82,
    "ar-en.not_found_accuracy": 0.57,
    "ar-en.answered_rate": 0.42,
    "ar-en.hit@5": 0.78,
    "en-ar.not_found_accuracy": 0.52,
    "en-ar.answered_rate": 0.31,
    "en-ar.hit@5": 0.87,
    "en-en.not_found_accuracy": 0.34,
    "en-en.answered_rate": 0.77,
    "en-en.hit@5": 0.90,
}

# Questions asked as readers ask them, of articles with the answering paragraph held out
# (eval/suites/near, test split, 2026-12-08): hit@5 0.868 / 0.838, answered_rate 0.711 /
# 0.351, not_found_accuracy 0.667 / 0.667 (ar-ar / en-ar). Floors just under them.
NEAR_GATES = {
    "answered_rate": 0.50,
    "not_found_accuracy": 0.62,
    "ar-ar.answered_rate": 0.68,
    "ar-ar.not_found_accuracy": 0.62,
    "ar-ar.hit@5": 0.84,
    "en-ar.answered_rate": 0.32,
    "en-ar.not_found_accuracy": 0.62,
    "en-ar.hit@5": 0.80,
}


@pytest.fixture(scope="module")
def assistant(sample_data_dir, embedder) -> Assistant:
    return Parts(make_settings(sample_data_dir), embedder=embedder).assistant


def history_after(assistant: Assistant, question: str) -> list[dict]:
    first = assistant.ask(question)
    return [
        {"role": "user", "content": question},
        {"role": "assistant", "content": first.text},
    ]


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_unanswerable_questions_get_not_found_in_the_cli(sample_data_dir, question):
    out = subprocess.run(
        [*RAG_CLI, "ask", question, "--json"],
        env=cli_env(RAG_DATA_DIR=str(sample_data_dir)),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    answer = json.loads(out.stdout)
    assert answer["mode"] == "not_found", answer["answer"]
    assert answer["citations"] == []
    assert answer["answerability"]["answerable"] is False
    assert answer["related"], "the closest passages are still shown, uncited"
    assert "[1]" not in answer["answer"]


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_unanswerable_questions_get_not_found_after_the_erdogan_question(assistant, question):
    answer = assistant.ask(question, history_after(assistant, ERDOGAN))
    assert answer.mode == "not_found", answer.text
    assert answer.query == question


@pytest.mark.parametrize(
    ("question", "needle"),
    [(ERDOGAN, "withdrawal of Armenian forces"), ("ماذا طالب أردوغان؟", "بانسحاب القوات")],
)
def test_the_erdogan_questions_still_cite_the_erdogan_passage(assistant, question, needle):
    answer = assistant.ask(question)
    assert answer.mode == "extractive"
    assert answer.answerability is not None and answer.answerability.answerable
    assert any(needle in c.supporting for c in answer.citations), answer.text


@pytest.mark.parametrize(
    "question", ["In which year did Erdogan become president?", "كم عدد سكان إقليم قره باغ؟"]
)
def test_near_topic_questions_stay_not_found_with_the_karabakh_passages_related(
    assistant, question
):
    """About the same people, not stated: "not found", the Karabakh passages as related."""
    answer = assistant.ask(question)
    assert answer.mode == "not_found", answer.text
    assert answer.citations == []
    assert any("karabakh" in p.doc_id for p in answer.passages[:3]), [
        p.doc_id for p in answer.passages
    ]


def test_a_cross_lingual_question_is_answered(assistant):
    answer = assistant.ask("ما سعر الفائدة الذي أبقى عليه البنك المركزي؟")
    assert answer.mode == "extractive", answer.notices
    answer = assistant.ask("How much is the central bank's main interest rate?")
    assert answer.mode == "extractive", answer.notices
    assert answer.answerability is not None and answer.answerability.pair == "en-ar"


@pytest.mark.parametrize("question", SELF_CONTAINED)
def test_a_self_contained_question_after_history_retrieves_what_it_retrieves_alone(
    assistant, question
):
    history = [
        {"role": "user", "content": ERDOGAN},
        {"role": "assistant", "content": "He demanded the withdrawal of Armenian forces [1]."},
    ]
    alone = assistant.ask(question)
    after = assistant.ask(question, history)
    assert after.query == question
    assert [p.chunk_id for p in after.passages] == [p.chunk_id for p in alone.passages]
    assert after.mode == alone.mode


@pytest.mark.parametrize("question", DEPENDENT)
def test_a_dependent_question_retrieves_with_the_history(assistant, question):
    history = [
        {"role": "user", "content": ERDOGAN},
        {"role": "assistant", "content": "He demanded the withdrawal of Armenian forces [1]."},
    ]
    answer = assistant.ask(question, history)
    assert answer.query == f"{question} ({ERDOGAN})"


def test_a_short_question_borrows_the_history_only_when_that_makes_it_answerable(assistant):
    history = [
        {"role": "user", "content": ERDOGAN},
        {"role": "assistant", "content": "He demanded the withdrawal of Armenian forces [1]."},
    ]
    # "Lavrov's offer?" has no lead word or pronoun; it stands alone and is answered alone.
    answer = assistant.ask("Lavrov's offer?", history)
    assert answer.query == "Lavrov's offer?"
    assert answer.mode == "extractive"


def test_rag_ask_prints_only_the_checked_answer_on_stdout(scripted, sample_data_dir):
    """Reliability round three, item 5: the LLM's unchecked text streams to stderr; stdout
    holds only what the citation check kept (here the quotes the planted claim fell back to)."""
    llm = scripted(f"say:{PLANTED}")
    out = subprocess.run(
        [*RAG_CLI, "ask", ERDOGAN, "--mode", "llm"],
        env=cli_env(
            RAG_DATA_DIR=str(sample_data_dir), RAG_LLM_BASE_URL=llm.url, RAG_LLM_RETRIES="0"
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "2018 World Cup" in out.stderr  # streamed as it came
    assert "2018 World Cup" not in out.stdout and "withdrawal of Armenian forces" in out.stdout


def test_the_planted_llm_claim_is_removed(scripted, sample_data_dir, embedder):
    llm = scripted(f'say:{PLANTED}\n\nEvidence:\n[1] "ويلتقي المنتخب في النهائي"')
    settings = make_settings(sample_data_dir, llm_base_url=llm.url, llm_retries=0)
    bot = Parts(settings, embedder=embedder).assistant
    # An answerable question, so the LLM is asked; its invented claim must not survive.
    answer = bot.ask(ERDOGAN)
    assert "France" not in answer.text and "2018" not in answer.text
    assert answer.mode == "extractive"  # nothing supported remained: quotes instead
    assert answer.claim_check == (1, 0)
    assert any(n.startswith("llm_unsupported") for n in answer.notices)
    assert any("does not state" in n for n in answer.notices)


@pytest.mark.parametrize(
    ("question", "planted"),
    [
        (ERDOGAN, "Erdogan did not demand a withdrawal [{n}]."),
        ("ماذا طالب أردوغان؟", "لم يطالب أردوغان بانسحاب القوات الأرمينية [{n}]."),
    ],
)
def test_a_planted_contradiction_is_removed(scripted, sample_data_dir, embedder, question, planted):
    """The claim names the right people and words, cites the quote it was given (its first
    and only block, [1]), and says the opposite of it: the check removes it (real embedder,
    real store, both languages)."""
    llm = scripted("say:" + planted.format(n=1))
    settings = make_settings(sample_data_dir, llm_base_url=llm.url, llm_retries=0)
    answer = Parts(settings, embedder=embedder).assistant.ask(question)
    assert "did not" not in answer.text and "لم يطالب" not in answer.text
    assert answer.mode == "extractive"
    assert answer.claim_check == (1, 0)
    assert any("opposite" in n for n in answer.notices), answer.notices


def test_the_planted_claim_is_never_asked_for_an_unanswerable_question(
    scripted, sample_data_dir, embedder
):
    llm = scripted(f"say:{PLANTED}")
    settings = make_settings(sample_data_dir, llm_base_url=llm.url, llm_retries=0)
    answer = Parts(settings, embedder=embedder).assistant.ask(UNANSWERABLE[0])
    assert answer.mode == "not_found"
    assert llm.requests == []  # the evidence check said "not found" before any generation


def test_a_supported_llm_claim_is_kept_and_counted(scripted, sample_data_dir, embedder):
    llm = scripted("cite")  # cites the Erdogan passage, plus a claim citing passage [9]
    settings = make_settings(sample_data_dir, llm_base_url=llm.url, llm_retries=0)
    answer = Parts(settings, embedder=embedder).assistant.ask(ERDOGAN)
    assert answer.mode == "llm"
    assert "withdrawal of Armenian forces" in answer.text
    assert "yacht" not in answer.text
    assert answer.claim_check == (2, 1)
    assert answer.to_json()["claims"] == {"cited": 2, "supported": 1}


def test_the_llm_saying_not_found_is_respected(scripted, sample_data_dir, embedder):
    llm = scripted("say:The articles do not contain the answer to this question.")
    settings = make_settings(sample_data_dir, llm_base_url=llm.url, llm_retries=0)
    answer = Parts(settings, embedder=embedder).assistant.ask(
        "Which group do the foreign ministers co-chair?"
    )
    assert answer.answerability is not None
    expected = "not_found" if answer.answerability.score < 0.9 else "extractive"
    assert answer.mode == expected


def gated_test_split(suite, gates: dict[str, float], report, eval_cache) -> dict:
    """`rag eval SUITE --split test --k 5` with each gate as a --min; its results.json."""
    mins = [arg for name, value in gates.items() for arg in ("--min", f"{name}={value}")]
    command = [*RAG_CLI, "eval", str(suite), "--split", "test", "--k", "5", "--report"]
    out = subprocess.run(
        [*command, str(report), *mins],
        env=cli_env(RAG_CACHE_DIR=str(eval_cache)),
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return json.loads((report / "results.json").read_text(encoding="utf-8"))


def test_the_dev_suite_holds_its_scores_on_the_reporting_split(eval_cache, tmp_path):
    """Answer or "not found", per language pair, on held-back questions."""
    results = gated_test_split(DEV, DEV_GATES, tmp_path, eval_cache)
    answer = results["summary"]["answer"]
    assert answer["false_answer_rate"] == pytest.approx(1 - answer["not_found_accuracy"])
    assert {"ar-ar", "ar-en", "en-ar", "en-en", "ar", "en"} <= set(results["by_lang"])
    assert results["config"]["split"] == "test"
    assert all(q["pair"] for q in results["questions"])
    # The trade-off over all thresholds, per pair: ROC AUC floors just under today's.
    auc = {pair: row["roc_auc"] for pair, row in results["tradeoff"].items()}
    assert auc["ar-ar"] >= 0.78 and auc["en-en"] >= 0.65, auc
    assert auc["ar-en"] >= 0.50 and auc["en-ar"] >= 0.50, auc
    assert (tmp_path / "risk_coverage.png").is_file()
    assert results["paraphrased"]["all"]["paraphrased"]["questions"] >= 30


def test_the_near_topic_suite_holds_its_scores_on_the_reporting_split(eval_cache, tmp_path):
    """Paraphrased questions, and questions whose paragraph is held out of its article."""
    results = gated_test_split(NEAR, NEAR_GATES, tmp_path, eval_cache)
    assert set(results["tradeoff"]) == {"all", "ar-ar", "en-ar"}
    assert results["tradeoff"]["ar-ar"]["roc_auc"] >= 0.75
