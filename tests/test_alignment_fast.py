"""Word alignment without a model: mutual best pairs with a floor, rarity-weighted coverage,
token states pooled into words, the single-word fallback and its cache, the gold pairs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES, make_settings
from fakes import HashEmbedder

from eval.alignment import load_pairs, score
from ingest.pipeline import Ingestor
from rag.answer.alignment import NOTHING, alignment, links
from rag.answer.answerability import ALIGN_FEATURES, AnswerabilityModel
from rag.answer.word_vectors import StatesCache
from rag.embedder import WordStates
from rag.models.load import pool_words
from rag.wiring import Parts

pytestmark = pytest.mark.fast


def unit(*rows: list[float]) -> np.ndarray:
    m = np.array(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_links_are_mutual_best_pairs_above_the_floor() -> None:
    a = unit([1, 0, 0], [0.9, 0.1, 0], [0, 0.3, 1])
    b = unit([1, 0.05, 0], [0, 1, 0])
    # a0 and a1 both prefer b0; b0 prefers a0: only (0, 0). a2 meets b1 at 0.29.
    assert links(a, b, minimum=0.5) == [(0, 0)]
    assert links(a, b, minimum=0.0) == [(0, 0), (2, 1)]  # without a floor a2 links anyway
    assert links(a, np.zeros((0, 3)), 0.5) == []


def test_coverage_weighs_question_words_by_rarity() -> None:
    # "Erdogan demanded withdrawal": the window states Erdogan (rare) but not the demand.
    question = WordStates(
        ("Erdogan", "demanded", "withdrawal"), unit([1, 0, 0], [0, 1, 0], [0, 0, 1])
    )
    window = WordStates(
        ("Erdogan", "visited", "Paris"), unit([1, 0, 0], [0, 0.3, -1], [0.2, -1, 0])
    )
    rare = {"erdogan": 1.0, "demand": 0.2, "withdraw": 0.2}
    got = alignment(question, window, lambda keys: {k: rare.get(k, 1.0) for k in keys})
    assert got.coverage == pytest.approx(1.0 / 1.4)
    assert got.missing == pytest.approx(0.2)
    # The same window with a common name and rare predicates covers little.
    flipped = {"erdogan": 0.1, "demand": 1.0, "withdraw": 1.0}
    low = alignment(question, window, lambda keys: {k: flipped.get(k, 1.0) for k in keys})
    assert low.coverage == pytest.approx(0.1 / 2.1)
    assert low.missing == pytest.approx(1.0)
    assert alignment(question, WordStates((), np.zeros((0, 3))), lambda k: {}) == NOTHING


def test_token_states_pool_into_words_by_character_overlap() -> None:
    text = "query: Erdogan's demand"
    # tokens: <s>, "query", ":", "▁Erdo", "gan", "'", "s", "▁demand", </s>, padding
    offsets = np.array(
        [[0, 0], [0, 5], [5, 6], [6, 11], [11, 14], [14, 15], [15, 16], [16, 23], [0, 0], [0, 0]]
    )
    states = np.eye(10, 4, dtype=np.float32) + 0.01
    states[3:5] = [1, 0, 0, 0]
    states[6] = [0, 1, 0, 0]
    states[7] = [0, 0, 1, 0]
    got = pool_words(text, len("query: "), offsets, states)
    assert got.words == ("Erdogan", "s", "demand")  # the prompt's words are not the text's
    assert got.vectors[0] == pytest.approx([1, 0, 0, 0], abs=1e-6)
    assert got.vectors[2] == pytest.approx([0, 0, 1, 0], abs=1e-6)
    assert np.linalg.norm(got.vectors, axis=1) == pytest.approx([1, 1, 1], abs=1e-6)


def test_single_word_fallback_and_cache() -> None:
    embedder = HashEmbedder()
    calls: list[int] = []
    real = embedder.embed_batch
    embedder.embed_batch = lambda texts: calls.append(len(texts)) or real(texts)  # type: ignore[method-assign]
    cache = StatesCache(embedder)
    first, empty = cache(["the king opened the hospital", ""], "query: ")
    assert first.words == ("the", "king", "opened", "the", "hospital")
    assert first.vectors.shape == (5, embedder.dimension)
    assert np.allclose(first.vectors[0], first.vectors[3])  # no context: same word, same vector
    assert empty.words == () and empty.vectors.shape == (0, embedder.dimension)
    again = cache(["the king opened the hospital"], "query: ")[0]
    assert again is first and calls == [4]  # embedded once, distinct words only


def test_gold_pairs_are_well_formed_and_scored() -> None:
    pairs = load_pairs()
    assert len(pairs) >= 30
    assert {p.kind for p in pairs} == {"ar-en", "en-ar", "paraphrase-en", "paraphrase-ar"}
    word = re.compile(r"\w+")
    for p in pairs:
        for x, y in p.links:
            assert word.findall(p.a).count(x) == 1 and word.findall(p.b).count(y) == 1, p
    # Scoring with perfect vectors: each gold link's words share a one-hot vector.
    states_a, states_b = [], []
    for p in pairs:
        wa, wb = word.findall(p.a), word.findall(p.b)
        dim = len(wa) + len(wb)
        va = np.eye(len(wa), dim, dtype=np.float32)
        vb = np.zeros((len(wb), dim), dtype=np.float32)
        for j, w in enumerate(wb):
            firsts = [wa.index(x) for x, y in p.links if y == w]
            vb[j, firsts[0] if firsts else len(wa) + j] = 1.0
        states_a.append(WordStates(tuple(wa), va))
        states_b.append(WordStates(tuple(wb), vb))
    got = score(pairs, states_a, states_b)
    assert got["all"].precision == 1.0
    assert 0.8 < got["all"].recall < 1.0  # words with two gold links still get one


def test_alignment_is_computed_only_for_a_model_that_reads_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    Ingestor.from_parts(Parts(settings, embedder=HashEmbedder())).run(
        [SAMPLES / "solar-plant-en.html"]
    )
    shipped = Parts(settings, embedder=HashEmbedder()).assistant
    assert not shipped.answerability.reads(*ALIGN_FEATURES)
    assert shipped.lexicon.word_states is None  # no forward pass per window for nothing
    values = shipped.evidence("what does the solar plant produce?", k=3).judgement.features
    assert values["same_align_coverage"] == 0.0
    reading = Parts(
        settings, embedder=HashEmbedder(), answerability=AnswerabilityModel.untrained()
    ).assistant
    assert reading.lexicon.word_states is not None
    values = reading.evidence("what does the solar plant produce?", k=3).judgement.features
    # The article states the question's words word for word: aligned, even without context.
    assert values["same_align_coverage"] > 0.0
    assert 0.0 < values["same_align_mean"] <= 1.0
