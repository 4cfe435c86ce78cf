"""Candidate sentences' vectors stored at ingest (rag/store/sentences.py): written with their
chunks, gone with them, read by the answer step instead of embedding, and never the truth:
answers are the same with and without them, and a stale or missing one is embedded."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES, make_settings
from fakes import HashEmbedder

from ingest.pipeline import Ingestor
from rag.answer.answerability import AnswerabilityModel
from rag.answer.assistant import Assistant
from rag.answer.word_vectors import VectorCache
from rag.store.sentences import sentence_ids, sentence_key, sentence_texts
from rag.store.stats import corpus_stats
from rag.text.sentences import candidate_spans
from rag.wiring import Parts

QUESTIONS = [
    "what did Erdogan demand?",
    "ماذا طالب أردوغان؟",
    "In which year did Erdogan become president?",
    "كم عدد سكان إقليم قره باغ؟",
    "Who won the 2018 World Cup?",
]


class RecordingCache(VectorCache):
    """The answer step's sentence cache, recording what it is asked to embed."""

    def __init__(self, embedder: HashEmbedder) -> None:
        super().__init__(embedder, embedder.passage_prompt)
        self.asked: list[str] = []

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.asked += texts
        return super().__call__(texts)


def build(root: Path, stored: bool) -> tuple[Parts, RecordingCache]:
    embedder = HashEmbedder()
    settings = make_settings(root / "data", sentence_vectors=stored)
    # Every question passes the evidence check: the fake's cosines are not e5's, and the
    # quotes (what the sentence vectors choose) are what is compared.
    parts = Parts(settings, embedder=embedder, answerability=AnswerabilityModel.untrained())
    report = Ingestor.from_parts(parts).run([SAMPLES])
    assert report.ingested == 5 and not report.failures
    cache = RecordingCache(embedder)
    parts.assistant.sentence_vectors.cache = cache
    return parts, cache


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Parts, RecordingCache]:
    return build(tmp_path_factory.mktemp("stored"), True)


def answers(assistant: Assistant) -> list[tuple[str, str, list[str]]]:
    out = []
    for question in QUESTIONS:
        answer = assistant.ask(question)
        out.append((answer.mode, answer.text, [c.chunk_id for c in answer.citations]))
    return out


def test_ingest_stores_every_candidate_sentence_of_every_chunk(
    stored: tuple[Parts, RecordingCache],
) -> None:
    parts, _ = stored
    embedder = parts.embedder
    chunks = list(parts.store.iter_chunks())
    expected = sum(len(candidate_spans(text)) for _, text, _ in chunks)
    assert expected > len(chunks)
    assert parts.store.sentences.count() == expected
    chunk_id, text, _ = chunks[0]
    vectors = parts.store.sentence_vectors([chunk_id])
    spans = candidate_spans(text)
    assert set(vectors) == {sentence_key(s.text) for s in spans}
    # The stored vector is what the answer step would embed for the sentence.
    made = embedder.embed_documents([spans[0].text])[0]
    assert np.allclose(vectors[sentence_key(spans[0].text)], made, atol=1e-6)


def test_answers_embed_no_candidate_sentence_and_match_a_store_without_them(
    stored: tuple[Parts, RecordingCache], tmp_path: Path
) -> None:
    parts, cache = stored
    cache.asked.clear()
    with_vectors = answers(parts.assistant)
    assert cache.asked == []  # every candidate sentence came from the store

    bare, bare_cache = build(tmp_path, False)
    assert corpus_stats(bare.store)["sentence_vectors"] == 0  # `rag stats` shows it
    assert corpus_stats(parts.store)["sentence_vectors"] == parts.store.sentences.count() > 0
    assert answers(bare.assistant) == with_vectors
    assert bare_cache.asked  # without them, the answer step embeds its sentences
    assert all(mode == "extractive" and cited for mode, _, cited in with_vectors)


def test_a_stale_stored_vector_is_not_read(stored: tuple[Parts, RecordingCache]) -> None:
    parts, cache = stored
    chunk_id, text, _ = next(iter(parts.store.iter_chunks()))
    first = candidate_spans(text)[0].text
    embed = parts.assistant.sentence_vectors.of([chunk_id])
    other = "A sentence this chunk never held, about something else."
    cache.asked.clear()
    rows = embed([first, other])
    assert cache.asked == [other]  # only the one the store does not hold
    assert np.allclose(rows[1], parts.embedder.embed_documents([other])[0], atol=1e-6)


def test_replaced_and_deleted_documents_take_their_sentence_vectors(tmp_path: Path) -> None:
    parts, _ = build(tmp_path, True)
    store = parts.store
    first = store.sentences.count()
    doc = next(iter(store.iter_registry()))
    record = store.get_docs([doc["doc_id"]])[doc["doc_id"]]
    own = store.sentence_vectors(record.chunk_ids)
    assert own
    store.delete_documents([record])
    assert store.sentence_vectors(record.chunk_ids) == {}
    assert store.sentences.count() == first - len(own)

    assert not store.sentences.collection.get(ids=sentence_ids(record.chunk_ids))["ids"]
    store.reset()
    assert store.sentences.count() == 0


def test_the_texts_ingest_embeds_are_the_chunks_then_their_sentences() -> None:
    from ingest.pipeline import Work, chunk_texts
    from rag.store.documents import Chunk, Document

    text = "First sentence of the story here. Second sentence follows it now. Short."
    doc = Document(doc_id="d", text=text, title="t", source="s", url="", date="", language="en")
    chunk = Chunk("c", "d", 0, 0, len(text), text)
    work = Work(doc, "h", [chunk], None)
    assert chunk_texts([work]) == [text]
    assert chunk_texts([work], sentences=True) == [text, *sentence_texts([chunk])]
    assert sentence_texts([chunk]) == [
        "First sentence of the story here.",
        "Second sentence follows it now.",
    ]
    # Overlapping chunks share sentences: each is embedded once for the document.
    second = Chunk("c2", "d", 1, 34, len(text), text[34:])
    assert sentence_texts([chunk, second]) == sentence_texts([chunk])
