"""Evaluation: metrics by hand, suite loading and its errors, the SQuAD converter, and
`rag eval` end to end on the shipped seed suite (real model, real store, subprocesses).
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest
from conftest import RAG_CLI, REPO, SAMPLES, cli_env

from eval import metrics as m
from eval.scoring import GATE_METRICS, failed_gates, parse_gates
from eval.squad import convert_squad
from eval.suite import Suite, check_doc_ids, load_suite
from rag.errors import InputError

SEED = REPO / "eval" / "suites" / "seed"
# Two ARCD articles in its own SQuAD format (MIT; LICENSE beside it).
ARCD_SLICE = REPO / "tests" / "data" / "arcd" / "arcd-slice.json"

# What the system scores on the seed suite now, less ~0.05 (metrics at 1.0 gate at 0.95):
# a regression in retrieval, answering or citing fails `make test`. Re-measure with
# `rag eval eval/suites/seed` and move these when the system gets better.
# 2026-12-02: the evidence check (answer or "not found") answers 29 of the 34 answerable
# seed questions (0.853, was 0.91): on the dev suite it turns not_found_accuracy from 0.01
# into 0.45-0.77 per pair, and the price is paid here too; answered_rate, contains_answer
# and citation_recall gates follow the new scores.
SEED_GATES = {
    "hit@1": 0.89,
    "hit@5": 0.95,
    "mrr@10": 0.91,
    "ndcg@10": 0.89,
    "recall@5": 0.90,
    "evidence_hit@5": 0.95,
    "f1": 0.16,
    "contains_answer": 0.68,
    "answered_rate": 0.80,
    "not_found_accuracy": 0.95,
    "citation_precision": 0.93,
    "citation_recall": 0.62,
    "supported_rate": 0.95,
    "ar.hit@1": 0.87,
    "en.hit@1": 0.90,
    "ar.contains_answer": 0.59,
    "en.contains_answer": 0.75,
}


# --- metrics, computed by hand ----------------------------------------------------------------
RANKED = ["d3", "d1", "d3", "d2", "d4"]  # passages' doc ids, best first


def test_hit_recall_mrr_at_k():
    assert m.hit_at_k(RANKED, {"d1"}, 1) == 0.0
    assert m.hit_at_k(RANKED, {"d1"}, 2) == 1.0
    assert m.first_relevant_rank(RANKED, {"d2", "d4"}) == 4
    assert m.recall_at_k(RANKED, {"d1", "d2", "d9"}, 2) == pytest.approx(1 / 3)
    assert m.recall_at_k(RANKED, {"d1", "d2", "d9"}, 5) == pytest.approx(2 / 3)
    assert m.mrr_at_k(RANKED, {"d2"}, 10) == pytest.approx(0.25)
    assert m.mrr_at_k(RANKED, {"d2"}, 3) == 0.0
    assert m.mrr_at_k(RANKED, {"x"}, 10) == 0.0


def test_ndcg_counts_a_document_once():
    # d3 at rank 1 and again at rank 3: gains 1/log2(2) once; d2 at rank 4: 1/log2(5).
    dcg = 1.0 + 1 / math.log2(5)
    ideal = 1.0 + 1 / math.log2(3)
    assert m.ndcg_at_k(RANKED, {"d3", "d2"}, 10) == pytest.approx(dcg / ideal)
    assert m.ndcg_at_k(RANKED, {"d3"}, 10) == pytest.approx(1.0)
    assert m.ndcg_at_k(RANKED, {"d2"}, 3) == 0.0


def test_evidence_hit_is_arabic_normalised():
    passages = ["قال الرئيس إن القوات  ستنسحب من الإقليم.", "Unrelated text"]
    # hamza-less alef, a diacritic and single spaces still match the passage
    assert m.evidence_hit(passages, ["القوات ستنسحب من الاقليم"]) == 1.0
    assert m.evidence_hit(passages, ["القوّات ستنسحب"]) == 1.0
    assert m.evidence_hit(passages, ["ستنسحب من المدينة"]) == 0.0
    assert m.evidence_hit(passages, []) == 0.0


def test_answer_normalisation_strips_articles_and_punctuation():
    assert m.answer_tokens("The Minsk Group, [2]") == ["minsk", "group"]
    assert m.answer_tokens("«الولايات المتحدة»، وأذربيجان") == ["ولايات", "متحده", "واذربيجان"]
    assert m.answer_tokens("بالإقليم والقوات") == ["اقليم", "قوات"]


def test_exact_match_and_f1():
    assert m.exact_match("the OSCE Minsk Group.", ["OSCE Minsk Group"]) == 1.0
    assert m.exact_match("مجموعة مينسك", ["المجموعة مينسك"]) == 1.0
    assert m.exact_match("Minsk", ["OSCE Minsk Group"]) == 0.0
    # pred {talks, in, moscow} vs gold {moscow}: P 1/3, R 1 -> F1 0.5
    assert m.token_f1("talks in Moscow", ["Moscow"]) == pytest.approx(0.5)
    # best of several answers; no overlap -> 0
    assert m.token_f1("في موسكو", ["أنقرة", "موسكو"]) == pytest.approx(2 / 3)
    assert m.token_f1("", ["Moscow"]) == 0.0


def test_contains_answer_matches_whole_words():
    assert m.contains_answer("Talks will be held in Moscow [1].", ["moscow"]) == 1.0
    assert m.contains_answer("عند خمسة ونصف في المئة", ["خمسة ونصف في المئة"]) == 1.0
    assert m.contains_answer("Moscows", ["Moscow"]) == 0.0


def test_citation_precision_and_recall():
    cited = [("d1", "text a"), ("d2", "holds the evidence here"), ("d3", "nothing")]
    assert m.citation_precision(cited, ["d1"], ["the evidence"]) == pytest.approx(2 / 3)
    assert m.citation_precision([], ["d1"], []) is None
    assert m.citation_recall(["d1", "d3"], ["d1", "d2"]) == pytest.approx(0.5)
    assert m.citation_recall(["d1"], []) is None


def test_supported_sentences_reads_markers_after_the_stop():
    passage = "المحطة تزود مئتي ألف منزل بالكهرباء. وكلفت 450 مليون دولار."
    answer = "المحطة تزود مئتي ألف منزل بالكهرباء. [1] Made-up claim. [1] Uncited claim."
    assert m.supported_sentences(answer, {1: (passage, "")}) == (1, 3)
    # the supporting sentence counts even when the passage text differs
    assert m.supported_sentences("Claim one [2].", {2: ("other", "Claim one")}) == (1, 1)


def test_latency_and_mean():
    assert m.latency_summary([1.0, 2.0, 3.0, 4.0, 100.0]) == {"median_s": 3.0, "p95_s": 80.8}
    assert m.latency_summary([]) == {"median_s": None, "p95_s": None}
    assert m.mean([1.0, None, 0.0]) == 0.5
    assert m.mean([None]) is None


def test_gates():
    with pytest.raises(InputError, match="valid: hit@1"):
        parse_gates(["hit@7=0.5"])
    with pytest.raises(InputError, match="METRIC=VALUE"):
        parse_gates(["f1"])
    gates = parse_gates(["hit@5=0.8", "ar.f1=0.3"])
    results = {
        "summary": {"retrieval": {"hit@5": 0.75}, "answer": {}, "citations": {}},
        "by_lang": {"ar": {"retrieval": {}, "answer": {"f1": 0.4}, "citations": {}}},
    }
    assert failed_gates(results, gates) == ["hit@5 = 0.7500 < 0.8"]
    assert "citation_recall" in GATE_METRICS and "median_s" not in GATE_METRICS


# --- suites ---------------------------------------------------------------------------------
def write_suite(root: Path, lines: list[str], corpus: str = str(SAMPLES)) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "suite.yaml").write_text(
        f"name: t\ncorpus: {corpus}\nquestions: questions.jsonl\n", encoding="utf-8"
    )
    (root / "questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


GOOD = '{"id": "q1", "question": "What did Erdogan demand?", "lang": "en", "answers": ["x"]}'


def test_suite_errors_name_file_and_line(tmp_path):
    with pytest.raises(InputError, match="no such suite file"):
        load_suite(tmp_path / "absent")
    bad_json = write_suite(tmp_path / "a", [GOOD, '{"id": "q2", "question": '])
    with pytest.raises(InputError, match=r"questions\.jsonl:2: not valid JSON"):
        load_suite(bad_json)
    bad_lang = write_suite(
        tmp_path / "b", [GOOD, "", '{"id": "q3", "question": "x", "lang": "fr"}']
    )
    with pytest.raises(InputError, match=r"questions\.jsonl:3: lang 'fr'"):
        load_suite(bad_lang)
    dup = write_suite(tmp_path / "c", [GOOD, GOOD])
    with pytest.raises(InputError, match=r":2: id 'q1' is already used on line 1"):
        load_suite(dup)
    no_corpus = write_suite(tmp_path / "d", [GOOD], corpus="missing/")
    with pytest.raises(InputError, match=r"suite\.yaml: corpus 'missing/' does not exist"):
        load_suite(no_corpus)
    bad_yaml = tmp_path / "e.yaml"
    bad_yaml.write_text("name: x\ncorpus: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"e\.yaml:\d+: invalid YAML"):
        load_suite(bad_yaml)


def test_unknown_doc_id_names_the_line(tmp_path):
    line2 = '{"id": "q2", "question": "y", "relevant_docs": ["articles/nope.txt"]}'
    suite = load_suite(write_suite(tmp_path / "s", [GOOD, line2]))
    with pytest.raises(
        InputError, match=r"questions\.jsonl:2: unknown doc id 'articles/nope\.txt'"
    ):
        check_doc_ids(suite, ["articles/karabakh-ceasefire-ar.txt"])


def test_seed_suite_shape():
    suite = load_suite(SEED)
    qs = suite.questions
    assert len(qs) >= 30 and len({q.id for q in qs}) == len(qs)
    assert {q.lang for q in qs} == {"ar", "en"}
    assert sum(not q.answerable for q in qs) >= 6
    arabic_docs = {"articles/karabakh-ceasefire-ar.txt", "sample-ar-economy-1", "sample-ar-sport-1"}
    # cross-lingual: the answer is only in an article of the other language
    assert any(
        q.lang == "en" and q.relevant_docs and set(q.relevant_docs) <= arabic_docs for q in qs
    )
    assert any(
        q.lang == "ar" and q.relevant_docs and not set(q.relevant_docs) & arabic_docs for q in qs
    )
    raw = [p.read_text(encoding="utf-8") for p in SAMPLES.iterdir() if p.is_file()]
    for q in qs:
        assert q.answerable == bool(q.answers and q.relevant_docs and q.evidence), q.id
        for evidence in q.evidence:
            assert any(evidence in text for text in raw), (q.id, evidence)


# --- convert-squad --------------------------------------------------------------------------
SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "مدينة",
            "paragraphs": [
                {
                    "context": "تقع المدينة على النهر. بلغ عدد سكانها مليون نسمة عام 1990.",
                    "qas": [
                        {
                            "id": "a1",
                            "question": "كم عدد سكان المدينة؟",
                            "answers": [{"text": "مليون نسمة", "answer_start": 33}],
                        }
                    ],
                },
                {
                    "context": "The city has a port.",
                    "qas": [
                        {
                            "id": "a2",
                            "question": "What does the city have?",
                            "answers": [{"text": "a port", "answer_start": 13}],
                        },
                        {"id": "a3", "question": "Who?", "answers": [], "is_impossible": True},
                    ],
                },
            ],
        }
    ],
}


def test_convert_squad(tmp_path):
    source = tmp_path / "mini.json"
    source.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    done = convert_squad(source, tmp_path / "suite")
    assert (done.documents, done.questions, done.unanswerable) == (2, 3, 1)
    docs = [json.loads(x) for x in (tmp_path / "suite/articles/articles.jsonl").open()]
    assert [d["id"] for d in docs] == ["مدينة#0", "مدينة#1"]
    assert set(docs[0]) == {"id", "title", "text"}
    suite = load_suite(done.suite_file)
    q1, q2, q3 = suite.questions
    assert (q1.lang, q1.relevant_docs, q1.answers) == ("ar", ["مدينة#0"], ["مليون نسمة"])
    assert q1.evidence == ["بلغ عدد سكانها مليون نسمة عام 1990."]  # the answer's sentence
    assert (q2.lang, q2.relevant_docs) == ("en", ["مدينة#1"])
    assert not q3.answerable
    check_doc_ids(suite, [d["id"] for d in docs])


# --- rag eval, end to end (real model and store, as a user runs it) ---------------------------
def rag_eval(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = cli_env()
    env.update(RAG_CACHE_DIR=str(cache), RAG_DATA_DIR=str(cache / "unused-data"))
    return subprocess.run(
        [*RAG_CLI, "eval", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=900
    )


@pytest.mark.slow
def test_seed_doc_ids_and_evidence_exist_after_ingest(sample_data_dir):
    from conftest import make_settings

    from rag.wiring import open_store

    store = open_store(make_settings(sample_data_dir))
    suite: Suite = load_suite(SEED)
    check_doc_ids(suite, [meta["doc_id"] for meta in store.iter_registry()])
    chunks: dict[str, list[str]] = {}
    for _, text, meta in store.iter_chunks():
        chunks.setdefault(meta["doc_id"], []).append(text)
    for q in suite.questions:
        for evidence in q.evidence:
            holders = [d for d in q.relevant_docs if m.evidence_hit(chunks[d], [evidence])]
            assert holders, f"{q.id}: no chunk of its relevant docs holds {evidence!r}"


@pytest.mark.slow
def test_rag_eval_seed_passes_its_gates_and_reuses_the_store(eval_cache, tmp_path):
    report = tmp_path / "report"
    gates = [arg for name, value in SEED_GATES.items() for arg in ("--min", f"{name}={value}")]
    first = rag_eval(str(SEED), "--report", str(report), *gates, cache=eval_cache)
    assert first.returncode == 0, first.stdout + first.stderr
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    assert set(results) == {"summary", "by_lang", "config", "questions", "tradeoff", "paraphrased"}
    assert set(results["summary"]) == {"retrieval", "answer", "citations", "latency"}
    assert set(results["by_lang"]) == {"ar", "en"}
    assert {"hit@1", "hit@3", "hit@5", "hit@10", "recall@5", "mrr@10", "ndcg@10"} <= set(
        results["summary"]["retrieval"]
    )
    assert {"exact_match", "f1", "contains_answer", "not_found_accuracy"} <= set(
        results["summary"]["answer"]
    )
    assert set(results["summary"]["latency"]) == {"median_s", "p95_s"}
    assert len(results["questions"]) == len(load_suite(SEED).questions)
    assert {"id", "retrieved", "answer", "metrics"} <= set(results["questions"][0])
    for png in ("hit_at_k.png", "metrics.png", "risk_coverage.png"):
        assert (report / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "## Worst questions" in (report / "report.md").read_text(encoding="utf-8")
    assert "hit@1" in first.stdout  # the summary table on the terminal
    ingest = results["config"]["ingest"]
    assert not ingest["cached"] and ingest["chunks_embedded"] > 0

    # Second run: same corpus and embedder -> the cached store, nothing embedded; a gate it
    # misses gives exit 1 naming the metric; the baseline adds deltas.
    again = tmp_path / "again"
    second = rag_eval(
        str(SEED), "--limit", "3", "--report", str(again), "--baseline",
        str(report / "results.json"), "--min", "hit@1=0.5", "--min", "exact_match=0.99",
        cache=eval_cache,
    )  # fmt: skip
    assert second.returncode == 1, second.stderr
    assert "exact_match = 0.0000 < 0.99" in second.stderr and "hit@1 =" not in second.stderr
    rerun = json.loads((again / "results.json").read_text(encoding="utf-8"))["config"]["ingest"]
    assert rerun["cached"] and rerun["chunks_embedded"] == 0
    assert "0 chunks embedded" in second.stderr
    assert "| baseline | delta |" in (again / "report.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_rag_eval_bad_suites_fail_cleanly(eval_cache, tmp_path):
    cases = {
        "missing": (tmp_path / "nowhere", "no such suite file"),
        "json": (write_suite(tmp_path / "j", [GOOD, "{oops"]), "questions.jsonl:2: not valid JSON"),
        "doc id": (
            write_suite(
                tmp_path / "d", [GOOD, '{"id": "q2", "question": "y", "relevant_docs": ["nope"]}']
            ),
            "questions.jsonl:2: unknown doc id 'nope'",
        ),
    }
    for name, (suite, message) in cases.items():
        proc = rag_eval(str(suite), cache=eval_cache)
        assert proc.returncode != 0, name
        assert message in " ".join(proc.stderr.split()), (name, proc.stderr)
        assert "Traceback" not in proc.stderr, name
    unknown = rag_eval(str(SEED), "--min", "recall@3=0.5", cache=eval_cache)
    assert unknown.returncode != 0 and "valid: hit@1, hit@3" in " ".join(unknown.stderr.split())


def test_convert_squad_command_on_an_arcd_slice(tmp_path):
    data = json.loads(ARCD_SLICE.read_text(encoding="utf-8"))
    articles = data["data"][:2]
    source = tmp_path / "arcd-slice.json"
    source.write_text(json.dumps({"data": articles}, ensure_ascii=False), encoding="utf-8")
    env = cli_env()
    proc = subprocess.run(
        [*RAG_CLI, "eval", "convert-squad", str(source), "--out", str(tmp_path / "suite")],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    suite = load_suite(tmp_path / "suite")
    paragraphs = sum(len(a["paragraphs"]) for a in articles)
    questions = sum(len(p["qas"]) for a in articles for p in a["paragraphs"])
    assert len(suite.questions) == questions
    docs = [json.loads(x) for x in (tmp_path / "suite/articles/articles.jsonl").open()]
    assert len(docs) == paragraphs
    assert docs[0]["id"] == f"{articles[0]['title']}#0"
    assert all(q.lang == "ar" and q.relevant_docs for q in suite.questions)
    ids = {d["id"] for d in docs}
    assert all(set(q.relevant_docs) <= ids for q in suite.questions)
    # evidence is the answer's sentence, verbatim from the paragraph
    texts = {d["id"]: d["text"] for d in docs}
    assert all(e in texts[q.relevant_docs[0]] for q in suite.questions for e in q.evidence)


def test_the_dev_suite_has_a_frozen_split_and_tagged_paraphrases():
    suite = load_suite(REPO / "eval" / "suites" / "dev")
    splits = {q.split for q in suite.questions}
    assert splits == {"dev", "test", "frozen"}
    frozen = [q for q in suite.questions if q.split == "frozen"]
    assert len(frozen) >= 60 and {q.pair for q in frozen} == {"ar-ar", "ar-en", "en-ar", "en-en"}
    for pair in ("ar-ar", "ar-en", "en-ar", "en-en"):
        assert sum(q.pair == pair for q in suite.questions) >= 150
    new = [q for q in suite.questions if q.answer_type]
    answerable = [q for q in new if q.answerable]
    assert sum(q.paraphrased for q in answerable) >= len(answerable) / 2
    kinds = {q.answer_type for q in new if not q.answerable}
    assert {"date", "number", "person", "place"} <= kinds


def test_the_near_topic_suite_asks_in_its_own_words_about_held_out_paragraphs():
    """eval/suites/near: every answerable question is paraphrased and its evidence is in its
    paragraph; every unanswerable one is about an article whose other paragraphs are in
    the corpus (near-topic); the questions share fewer of their words with the paragraph
    than ARCD's own, which copy it (0.77 of their focus terms; these share 0.61)."""
    from rag.text.focus import focus_terms, index_text, matches

    suite = load_suite(REPO / "eval" / "suites" / "near")
    docs = json.loads((suite.corpus / "arcd-near.json").read_text(encoding="utf-8"))
    texts = {d["id"]: d["text"] for d in docs}
    titles = {d["title"] for d in docs}
    assert {q.split for q in suite.questions} == {"dev", "test", "frozen"}
    assert {q.pair for q in suite.questions} == {"ar-ar", "en-ar"}
    answerable = [q for q in suite.questions if q.answerable]
    unanswerable = [q for q in suite.questions if not q.answerable]
    assert len(answerable) >= 150 and len(unanswerable) >= 100
    assert all(q.paraphrased for q in answerable) and not any(q.paraphrased for q in unanswerable)
    assert all(e in texts[q.relevant_docs[0]] for q in answerable for e in q.evidence)
    assert all(q.note.split("'")[1] in titles for q in unanswerable)
    shares = []
    for q in answerable:
        if q.lang == "ar":
            terms, index = focus_terms(q.question), index_text(texts[q.relevant_docs[0]])
            shares.append(sum(matches(t, index, False) for t in terms) / len(terms))
    assert sum(shares) / len(shares) < 0.7


def test_question_tags_are_checked(tmp_path):
    bad_type = '{"id": "q", "question": "When?", "answer_type": "colour"}'
    with pytest.raises(InputError, match="answer_type 'colour'"):
        load_suite(write_suite(tmp_path / "a", [bad_type]))
    bad_flag = '{"id": "q", "question": "When?", "paraphrased": "yes"}'
    with pytest.raises(InputError, match="`paraphrased` must be true or false"):
        load_suite(write_suite(tmp_path / "b", [bad_flag]))
