"""Per-question scores, their aggregation into the summary, and `--min` gates.

A per-question record is plain JSON (it goes into results.json as is); the summary is built
from records only, so a report can be recomputed from a results file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval import metrics as m
from eval.suite import Question
from rag.answer.result import Answer
from rag.errors import InputError
from rag.retrieve.retriever import Passage
from rag.text.analysis import script_language

HIT_KS = (1, 3, 5, 10)
RETRIEVAL_K = 10  # the deepest cut-off a metric looks at (hit@10, mrr@10, ndcg@10)
RETRIEVAL = ("hit@1", "hit@3", "hit@5", "hit@10", "recall@5", "mrr@10", "ndcg@10")
EVIDENCE = ("evidence_hit@5", "evidence_hit@10")
ANSWER = (
    "exact_match",
    "f1",
    "contains_answer",
    "answered_rate",
    "not_found_accuracy",
    "false_answer_rate",
    "answer_language_accuracy",
)
JUDGE = ("judge_faithfulness", "judge_correctness")
CITATIONS = ("citation_precision", "citation_recall", "supported_rate", "claim_support_rate")
# Questions with a `time_range` (the time suite): the newest relevant article first for
# "latest", the cited articles inside an asked range, "not found" for a range the archive's
# dates do not reach.
TIME = ("latest_hit@1", "range_precision", "outside_not_found_accuracy")
SECTIONS = ("retrieval", "answer", "citations", "time", "latency")
SNIPPET_CHARS = 300


def score_question(
    q: Question,
    answer: Answer,
    ranked: Sequence[Passage],
    seconds: float,
    span: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Everything results.json keeps about one question, its metrics included (`span`: the
    archive's oldest and newest article dates, for questions about a time)."""
    docs = [p.doc_id for p in ranked]
    scores: dict[str, Any] = {}
    if q.relevant_docs:
        scores.update({f"hit@{k}": m.hit_at_k(docs, q.relevant_docs, k) for k in HIT_KS})
        scores["recall@5"] = m.recall_at_k(docs, q.relevant_docs, 5)
        scores["mrr@10"] = m.mrr_at_k(docs, q.relevant_docs, 10)
        scores["ndcg@10"] = m.ndcg_at_k(docs, q.relevant_docs, 10)
    if q.evidence:
        for k in (5, 10):
            scores[f"evidence_hit@{k}"] = m.evidence_hit([p.text for p in ranked[:k]], q.evidence)

    not_found = answer.mode == "not_found"
    if q.answerable:
        scores["answered"] = 0.0 if not_found else 1.0
        if q.answers:
            # "Not found" on an answerable question is a miss, whatever its words.
            prediction = "" if not_found else answer.text
            scores["exact_match"] = m.exact_match(prediction, q.answers)
            scores["f1"] = m.token_f1(prediction, q.answers)
            scores["contains_answer"] = m.contains_answer(prediction, q.answers)
        cited = [(c.doc_id, c.text) for c in answer.citations]
        scores["citation_precision"] = m.citation_precision(cited, q.relevant_docs, q.evidence)
        scores["citation_recall"] = m.citation_recall([d for d, _ in cited], q.relevant_docs)
    else:
        scores["not_found"] = 1.0 if not_found else 0.0
        scores["false_answer"] = 0.0 if not_found else 1.0
    if q.time_range is not None:
        scores.update(time_scores(q.time_range, docs, q.relevant_docs, answer, span))
    if answer.claim_check is not None:
        scores["claims"], scores["supported_claims"] = answer.claim_check
    if not not_found:
        # Written in the question's language ("other": no letters to tell, e.g. a number).
        written = script_language(answer.text)
        scores["language_ok"] = 1.0 if written in (q.lang, "other") else 0.0
        by_n = {c.n: (c.text, c.supporting) for c in answer.citations}
        scores["supported"], scores["sentences"] = m.supported_sentences(answer.text, by_n)

    return {
        "id": q.id,
        "question": q.question,
        "lang": q.lang,
        "pair": q.pair,
        "answerable": q.answerable,
        "answers": q.answers,
        "relevant_docs": q.relevant_docs,
        "answer": answer.text,
        "mode": answer.mode,
        "notices": answer.notices,
        "citations": [{"n": c.n, "doc_id": c.doc_id} for c in answer.citations],
        "retrieved": [
            {
                "doc_id": p.doc_id,
                "chunk_id": p.chunk_id,
                "score": round(p.score, 5),
                "text": p.text[:SNIPPET_CHARS],
            }
            for p in ranked
        ],
        "first_hit_rank": m.first_relevant_rank(docs, q.relevant_docs) if q.relevant_docs else None,
        "answerability": (
            {
                "score": round(j.score, 4),
                "threshold": round(j.threshold, 4),
                "margin": round(j.margin, 4),
                "pair": j.pair,
            }
            if (j := answer.answerability) is not None
            else None
        ),
        "split": q.split,
        "paraphrased": q.paraphrased,
        "time_range": q.time_range,
        "time_applied": answer.time_range,
        "answer_type": q.answer_type,
        "metrics": scores,
        "latency_s": round(seconds, 4),
    }


def time_scores(
    asked: dict[str, str | None],
    docs: Sequence[str],
    relevant: Sequence[str],
    answer: Answer,
    span: tuple[str, str] | None,
) -> dict[str, float]:
    """latest_hit@1 ("latest" questions), range_precision (answers to a question with a
    range: the share of cited articles dated inside it; undated ones are outside) and
    outside_not_found (a range wholly outside `span`: 1 for "not found")."""
    out: dict[str, float] = {}
    start, end = asked["start"] or "0000", asked["end"] or "9999"
    if asked["kind"] == "latest" and relevant:
        out["latest_hit@1"] = m.hit_at_k(docs, relevant, 1)
    if asked["kind"] == "recent" or not (asked["start"] or asked["end"]):
        return out
    if answer.citations and answer.mode != "not_found":
        inside = [start <= c.date[:10] <= end for c in answer.citations if c.date[:1].isdigit()]
        out["range_precision"] = sum(inside) / len(answer.citations)
    if span is None or end < span[0] or start > span[1]:
        out["outside_not_found"] = 1.0 if answer.mode == "not_found" else 0.0
    return out


def summarize(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The summary sections; a metric no question could measure is None (the time section
    only where a question has a time range)."""

    def avg(key: str) -> float | None:
        value = m.mean(r["metrics"].get(key) for r in records)
        return round(value, 4) if value is not None else None

    retrieval = {key: avg(key) for key in RETRIEVAL}
    if any("evidence_hit@5" in r["metrics"] for r in records):
        retrieval.update({key: avg(key) for key in EVIDENCE})
    answer = {
        "exact_match": avg("exact_match"),
        "f1": avg("f1"),
        "contains_answer": avg("contains_answer"),
        "answered_rate": avg("answered"),
        "not_found_accuracy": avg("not_found"),
        "false_answer_rate": avg("false_answer"),
        "answer_language_accuracy": avg("language_ok"),
    }
    if any("judge_correctness" in r["metrics"] for r in records):
        answer.update({key: avg(key) for key in JUDGE})
    sentences = sum(r["metrics"].get("sentences", 0) for r in records)
    supported = sum(r["metrics"].get("supported", 0) for r in records)
    citations = {
        "citation_precision": avg("citation_precision"),
        "citation_recall": avg("citation_recall"),
        "supported_rate": round(supported / sentences, 4) if sentences else None,
        "claim_support_rate": _ratio(records, "supported_claims", "claims"),
    }
    latency = m.latency_summary([r["latency_s"] for r in records])
    out = {"retrieval": retrieval, "answer": answer, "citations": citations}
    if any(r.get("time_range") for r in records):
        out["time"] = {
            "latest_hit@1": avg("latest_hit@1"),
            "range_precision": avg("range_precision"),
            "outside_not_found_accuracy": avg("outside_not_found"),
        }
    return {**out, "latency": latency}


def _ratio(records: Sequence[dict[str, Any]], part: str, whole: str) -> float | None:
    """sum(part) / sum(whole) over the records that measure them; None when none does."""
    total = sum(r["metrics"].get(whole, 0) for r in records)
    return round(sum(r["metrics"].get(part, 0) for r in records) / total, 4) if total else None


def summarize_by_lang(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The summary per question language ("ar"), and per language pair ("en-ar": English
    questions about Arabic text) when the suite names pairs; with the number of questions."""
    out: dict[str, dict[str, Any]] = {}
    groups = sorted({r["lang"] for r in records}) + sorted(
        {r.get("pair") or "" for r in records} - {""}
    )
    for group in groups:
        subset = [r for r in records if group in (r["lang"], r.get("pair"))]
        out[group] = {**summarize(subset), "questions": len(subset)}
    return out


def summarize_paraphrased(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """answered_rate and hit@5 of the answerable questions written without the passage's
    wording, per pair, beside those that copy it; {} when the suite tags none."""
    if not any(r.get("paraphrased") for r in records):
        return {}
    out: dict[str, dict[str, Any]] = {}
    answerable = [r for r in records if r["answerable"]]
    for pair in ["all", *sorted({r.get("pair") or "" for r in answerable} - {""})]:
        subset = [r for r in answerable if pair in ("all", r.get("pair"))]
        for name, flag in (("paraphrased", True), ("copied", False)):
            part = [r for r in subset if bool(r.get("paraphrased")) == flag]
            answered = m.mean(r["metrics"].get("answered") for r in part)
            hit5 = m.mean(r["metrics"].get("hit@5") for r in part)
            out.setdefault(pair, {})[name] = {
                "questions": len(part),
                "answered_rate": round(answered, 4) if answered is not None else None,
                "hit@5": round(hit5, 4) if hit5 is not None else None,
            }
    return out


def hit_curve(records: Sequence[dict[str, Any]], max_k: int = RETRIEVAL_K) -> list[float]:
    """hit@1..hit@max_k over the questions that have relevant documents."""
    ranks = [r["first_hit_rank"] for r in records if r["relevant_docs"]]
    if not ranks:
        return []
    return [
        sum(1 for x in ranks if x is not None and x <= k) / len(ranks) for k in range(1, max_k + 1)
    ]


# --- gates -----------------------------------------------------------------------------------
# Higher is better for every gate; false_answer_rate (lower is better) is gated as
# not_found_accuracy, its complement.
GATE_METRICS = tuple(
    name
    for name in (*RETRIEVAL, *EVIDENCE, *ANSWER, *JUDGE, *CITATIONS, *TIME)
    if name != "false_answer_rate"
)


def lookup(results: dict[str, Any], name: str) -> float | None:
    """A summary metric by name; `ar.f1` / `en.hit@5` read the per-language summary."""
    lang, _, metric = name.rpartition(".")
    summary = results["by_lang"].get(lang, {}) if lang else results["summary"]
    for section in SECTIONS[:4]:
        if metric in summary.get(section, {}):
            return summary[section][metric]  # type: ignore[no-any-return]
    return None


def parse_gates(specs: Sequence[str], valid: Sequence[str] = GATE_METRICS) -> dict[str, float]:
    """`METRIC=VALUE` strings -> {metric: value}; unknown names list the valid ones."""
    gates: dict[str, float] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip()
        metric = name.rpartition(".")[2]
        if not sep:
            raise InputError(f"--min {spec}", "use METRIC=VALUE, e.g. --min hit@5=0.8")
        if metric not in valid:
            raise InputError(
                f"--min {spec}",
                f"unknown metric {metric!r}; valid: {', '.join(valid)} "
                "(prefix ar., en. or a pair such as en-ar. for a subset, e.g. ar.f1)",
            )
        try:
            gates[name] = float(value)
        except ValueError:
            raise InputError(f"--min {spec}", f"{value!r} is not a number") from None
    return gates


def failed_gates(results: dict[str, Any], gates: dict[str, float]) -> list[str]:
    """One line per gate the results miss (an unmeasurable metric misses too)."""
    failures = []
    for name, floor in gates.items():
        value = lookup(results, name)
        if value is None:
            failures.append(f"{name}: not measured (no question in this suite measures it)")
        elif value < floor:
            failures.append(f"{name} = {value:.4f} < {floor}")
    return failures
