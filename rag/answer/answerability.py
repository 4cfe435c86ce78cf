"""Does the retrieved evidence answer the question, or is it merely about the same subject?

multilingual-e5 gives unrelated same-topic text cosines of 0.75-0.85, so a cosine alone
cannot tell "answers" from "is about". The judgement combines it with what the best
evidence window (a top sentence and its neighbours) states of the question's focus terms,
weighted by their rarity in the archive, and with how far the best passage stands out from
the other candidates. Evidence in the question's language and in the other language are
described separately (multilingual-e5 scores the other language lower, and words can only
be compared within one script, names and numbers aside), each by a monotone logistic model
with its own threshold; the evidence answers when either side clears its threshold. Models
and thresholds are fitted on the dev split of the dev suite (`rag eval calibrate`) and
stored as plain JSON beside this module.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from rag.answer.alignment import NOTHING, alignment, is_content
from rag.answer.extractive import ScoredSentence as Sentence
from rag.answer.result import Judgement, clearest
from rag.embedder import WordStates
from rag.errors import ConfigError
from rag.retrieve.retriever import Passage
from rag.text.analysis import other_language, prepare
from rag.text.answer_type import type_near_focus
from rag.text.focus import coverage, focus_terms, index_text
from rag.text.sentences import split_sentences, with_neighbours

DEFAULT_MODEL = Path(__file__).with_name("answerability.json")
SIDES = ("same", "other")  # evidence in the question's language, and in the other one
SIDE_FEATURES = (
    "cos",  # best sentence on this side: cosine with the question
    "passage_cos",  # best passage on this side: cosine with the question
    "coverage",  # rarity-weighted share of focus terms a window states (stems, names, digits)
    "missing_weight",  # rarity of the rarest focus term that window does not state
    "soft_coverage",  # share of question words with a near word (e5) in the window
    "soft_mean",  # mean over question words of the best word similarity in the window
    "type_near",  # the window offers what the question asks for (a date for "when"...)
    # next to its focus terms (1 when the question asks for no particular type)
    "align_coverage",  # rarity-weighted share of question words aligned in the window
    # (contextual word vectors, any wording or language: rag.answer.alignment)
    "align_mean",  # mean over question words of the best contextual cosine in the window
    "align_missing",  # rarity of the rarest question word the window does not align
    "peak",  # best sentence cosine minus the mean of the side's other candidate sentences:
    # one sentence that stands out answers; a topic the whole passage shares does not
    "peak_passage",  # the same within the best sentence's own passage
    "present",  # 1 when the passages have this side at all
)
# What a side's model may read: its side's features (without "present") and the number
# check. Each fitted model names the ones it reads (a subset, in this order).
MODEL_FEATURES = (*(n for n in SIDE_FEATURES if n != "present"), "number_missing")
FEATURES = (
    *(f"{side}_{name}" for side in SIDES for name in SIDE_FEATURES),
    "cos_margin",  # best passage cosine minus the mean of the other top passages
    "number_missing",  # the question names a number no candidate window states
    "bm25_agree",  # the best dense passage is also a BM25 hit
)
ALIGN_FEATURES = ("align_coverage", "align_mean", "align_missing")
SOFT_FEATURES = ("soft_coverage", "soft_mean")
# Stand-ins for a side the passages do not have (a monolingual archive).
ABSENT = {"cos": 0.7, "passage_cos": 0.7, "soft_mean": 0.7, "align_mean": 0.5}
TOP_WINDOWS = 3  # evidence windows tried per side: its best sentences by cosine
STATS_PASSAGES = 5  # passages judged: asking for more (k) does not change the judgement
SOFT_MATCH = 0.9  # e5 similarity at which two words count as the same (or a translation)
_WORD = re.compile(r"\w+", re.UNICODE)

Rarity = Callable[[Sequence[str]], Mapping[str, float]]
WordVectors = Callable[[Sequence[str]], np.ndarray]
WordStatesOf = Callable[[Sequence[str], str], list[WordStates]]


class Lexicon(NamedTuple):
    """What the check reads besides the passages: each term's rarity in the archive, single
    word vectors (soft matching) and contextual word states (alignment), with the prompts
    the question and the evidence are embedded with."""

    rarity: Rarity
    word_vectors: WordVectors | None  # None: soft matching is not read (features left at 0)
    word_states: WordStatesOf | None  # None: alignment is not read (features left at NOTHING)
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "


def content_words(text: str) -> list[str]:
    """Distinct prepared words of 3+ letters, no stop words or digits: what soft matching
    compares (an English question word may meet its Arabic translation)."""
    prepared = (prepare(raw) for raw in _WORD.findall(text))
    return list(dict.fromkeys(word for word in prepared if is_content(word)))


def features(
    question: str,
    question_lang: str,
    passages: Sequence[Passage],
    sentences: Sequence[Sentence],
    lexicon: Lexicon,
) -> tuple[dict[str, float], tuple[int, int, int] | None]:
    """The feature values and the best evidence window (passage n, start, end)."""
    passages = passages[:STATS_PASSAGES]
    sentences = [s for s in sentences if s.n <= STATS_PASSAGES]
    rarity, word_vectors = lexicon.rarity, lexicon.word_vectors
    terms = focus_terms(question)
    weights = rarity([t.stem for t in terms])
    qwords = word_vectors(content_words(question)) if word_vectors else None
    states_of = lexicon.word_states
    qstates = states_of([question], lexicon.query_prompt)[0] if states_of else None
    numbers = [t for t in terms if t.is_number]
    values: dict[str, float] = {}
    best_where: tuple[float, Sentence] | None = None
    numbers_stated = not numbers
    for side in SIDES:
        on_side = [
            s
            for s in sentences
            if (passages[s.n - 1].language == question_lang) == (side == "same")
        ]
        side_passages = [p for p in passages if (p.language == question_lang) == (side == "same")]
        cross = side == "other"
        found = {
            "coverage": 0.0,
            "missing_weight": 1.0,
            "soft_coverage": 0.0,
            "soft_mean": 0.0 if on_side else ABSENT["soft_mean"],
            "type_near": 0.0,
            "align_coverage": NOTHING.coverage,
            "align_mean": NOTHING.mean if on_side else ABSENT["align_mean"],
            "align_missing": NOTHING.missing,
        }
        best_sents = sorted(on_side, key=lambda s: s.cos, reverse=True)[:TOP_WINDOWS]
        windows = [_window(passages[sent.n - 1].text, sent) for sent in best_sents]
        states = states_of(windows, lexicon.passage_prompt) if states_of else [None] * len(windows)
        for sent, window, wstates in zip(best_sents, windows, states, strict=True):
            index = index_text(window)
            cov, missing = coverage(terms, index, weights, cross)
            soft, mean = (
                _soft(qwords, word_vectors(content_words(window)))
                if word_vectors and qwords is not None
                else (0.0, 0.0)
            )
            numbers_stated = numbers_stated or all(t.stem in index.stems for t in numbers)
            found["coverage"] = max(found["coverage"], cov)
            found["missing_weight"] = min(found["missing_weight"], missing)
            found["soft_coverage"] = max(found["soft_coverage"], soft)
            found["soft_mean"] = max(found["soft_mean"], mean)
            found["type_near"] = max(
                found["type_near"], type_near_focus(question, terms, window, cross)
            )
            aligned = (
                alignment(qstates, wstates, rarity)
                if qstates is not None and wstates is not None
                else NOTHING
            )
            found["align_coverage"] = max(found["align_coverage"], aligned.coverage)
            found["align_mean"] = max(found["align_mean"], aligned.mean)
            found["align_missing"] = min(found["align_missing"], aligned.missing)
            strength = cov + mean + sent.cos
            if best_where is None or strength > best_where[0]:
                best_where = (strength, sent)
        values |= {
            **_peaks(side, on_side),
            f"{side}_cos": max((s.cos for s in on_side), default=ABSENT["cos"]),
            f"{side}_passage_cos": max(
                (p.dense_score for p in side_passages), default=ABSENT["passage_cos"]
            ),
            **{f"{side}_{k}": v for k, v in found.items()},
            f"{side}_present": float(bool(on_side)),
        }
    top = max(passages, key=lambda p: p.dense_score)
    others = [p.dense_score for p in passages if p is not top] or [top.dense_score]
    values["cos_margin"] = top.dense_score - float(np.mean(others))
    values["number_missing"] = float(not numbers_stated)
    values["bm25_agree"] = float(top.bm25_score > 0)
    if best_where is None:
        return values, None
    sent = best_where[1]
    return values, (sent.n, sent.start, sent.end)


def _peaks(side: str, on_side: Sequence[Sentence]) -> dict[str, float]:
    """How far the side's best sentence stands out: from the side's other candidate
    sentences, and from the other sentences of its own passage (0 with nothing to compare)."""
    if not on_side:
        return {f"{side}_peak": 0.0, f"{side}_peak_passage": 0.0}
    best = max(on_side, key=lambda s: s.cos)
    rest = [s.cos for s in on_side if s is not best]
    own = [s.cos for s in on_side if s is not best and s.n == best.n]
    return {
        f"{side}_peak": best.cos - float(np.mean(rest)) if rest else 0.0,
        f"{side}_peak_passage": best.cos - float(np.mean(own)) if own else 0.0,
    }


def _soft(question_words: np.ndarray, window_words: np.ndarray) -> tuple[float, float]:
    """(share of question words with a window word at SOFT_MATCH or above, mean best sim)."""
    if not len(question_words) or not len(window_words):
        return 0.0, 0.0
    best = (question_words @ window_words.T).max(axis=1)
    return float(np.mean(best >= SOFT_MATCH)), float(np.mean(best))


def _window(text: str, sent: Sentence) -> str:
    """The candidate sentence with its neighbours in its passage."""
    spans = split_sentences(text)
    for i, span in enumerate(spans):
        if span.start <= sent.start < span.end or span.start >= sent.start:
            return with_neighbours(spans, i)
    return sent.text


@dataclass(frozen=True)
class AnswerabilityModel:
    """Two monotone logistic models, one reading the evidence in the question's language
    ("same") and one the evidence in the other language ("other"), each with its threshold.
    The evidence answers when either side clears its threshold."""

    models: dict[str, dict[str, Any]]
    thresholds: dict[str, float]
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> AnswerabilityModel:
        path = path or DEFAULT_MODEL
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            models, thresholds = data["models"], data["thresholds"]
            for side in SIDES:
                unknown = set(models[side]["features"]) - set(MODEL_FEATURES)
                if unknown:
                    raise ValueError(f"the {side} model reads unknown features {sorted(unknown)}")
                float(thresholds[side])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"answerability model {path} is unreadable ({exc}); set "
                "RAG_ANSWERABILITY_MODEL to a file written by `rag eval calibrate`, or leave it "
                "empty for the shipped one"
            ) from None
        return cls(models, {k: float(v) for k, v in thresholds.items()}, data.get("info", {}))

    @classmethod
    def untrained(cls) -> AnswerabilityModel:
        """Every question scores 0.5 and passes: for collecting features before a fit."""
        flat = {
            "features": list(MODEL_FEATURES),
            "mean": [0.0] * len(MODEL_FEATURES),
            "scale": [1.0] * len(MODEL_FEATURES),
            "weights": [0.0] * len(MODEL_FEATURES),
            "bias": 0.0,
        }
        return cls({"same": flat, "other": flat}, {"same": 0.5, "other": 0.5}, {"untrained": 1})

    def reads(self, *features: str) -> bool:
        """Does either side's model read any of `features` (MODEL_FEATURES names)?"""
        return any(f in self.models[side]["features"] for side in SIDES for f in features)

    def side_scores(self, values: Mapping[str, float]) -> dict[str, float]:
        """Each side's probability that its evidence answers (0 when the side is absent)."""
        return {
            side: probability(
                self.models[side], side_vector(values, side, self.models[side]["features"])
            )
            if values.get(f"{side}_present", 1.0)
            else 0.0
            for side in SIDES
        }

    def judge(
        self,
        question: str,
        question_lang: str,
        passages: Sequence[Passage],
        sentences: Sequence[Sentence],
        lexicon: Lexicon,
        sides: Sequence[str] = SIDES,
    ) -> Judgement:
        """Does the evidence answer? `sides=("same",)` reads only the evidence in the
        question's language (for a question that was also asked in the other language)."""
        if not passages:
            return Judgement(False, 0.0, self.thresholds["same"], "")
        values, where = features(question, question_lang, passages, sentences, lexicon)
        return self.decide(values, question_lang, sides, where)

    def decide(
        self,
        values: Mapping[str, float],
        question_lang: str,
        sides: Sequence[str] = SIDES,
        where: tuple[int, int, int] | None = None,
    ) -> Judgement:
        """The judgement the feature values give: each side's reading, the one that clears
        its threshold by more speaking for the question."""
        scores = self.side_scores(values)
        other = other_language(question_lang)
        readings = [
            Judgement(
                scores[side] >= self.thresholds[side],
                scores[side],
                self.thresholds[side],
                f"{question_lang}-{question_lang if side == 'same' else other}",
                dict(values),
                where,
            )
            for side in sides
        ]
        return clearest(*readings)


def side_vector(
    values: Mapping[str, float], side: str, names: Sequence[str] = MODEL_FEATURES
) -> np.ndarray:
    """A side's model input: the named model features, in that order."""
    return np.array(
        [values[f"{side}_{name}"] if name in SIDE_FEATURES else values[name] for name in names],
        dtype=float,
    )


def probability(model: Mapping[str, Any], x: np.ndarray) -> float:
    z = (x - np.array(model["mean"])) / np.array(model["scale"])
    logit = float(np.dot(z, np.array(model["weights"])) + model["bias"])
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
