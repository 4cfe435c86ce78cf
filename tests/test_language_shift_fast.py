"""The shifted cross-language search (honest answers, round two, item 0): the language gap
from the shipped parallel sentences, its cache, and where the retriever uses it. Real
Chroma and BM25, the hashed-trigram embedder (no model); the real embedder's recall is in
tests/test_language_shift.py."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from conftest import make_settings
from fakes import HashEmbedder
from test_fusion_fast import QUESTION, data  # noqa: F401 - the mixed archive fixture

from rag.retrieve.language_shift import PARALLEL, LanguageShift
from rag.retrieve.retriever import Retriever
from rag.wiring import Parts


class CountingEmbedder(HashEmbedder):
    """Counts the texts it embeds."""

    def __init__(self) -> None:
        self.embedded = 0

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += len(texts)
        return super().embed_batch(texts)


def test_the_gap_is_the_mean_difference_of_the_parallel_sentences(tmp_path: Path) -> None:
    pairs = [json.loads(line) for line in PARALLEL.read_text("utf-8").splitlines()]
    assert len(pairs) >= 60 and all(p["en"] and p["ar"] for p in pairs)
    embedder = CountingEmbedder()
    gap = LanguageShift(embedder, tmp_path).gap()
    english = embedder.embed_documents([p["en"] for p in pairs])
    arabic = embedder.embed_documents([p["ar"] for p in pairs])
    assert np.allclose(gap, (english - arabic).mean(axis=0), atol=1e-6)


def test_the_gap_is_computed_once_then_read_from_the_cache(tmp_path: Path) -> None:
    first = CountingEmbedder()
    gap = LanguageShift(first, tmp_path).gap()
    assert first.embedded == 2 * len(PARALLEL.read_text("utf-8").splitlines())
    [cached] = (tmp_path / "language-gap").glob("*.npy")
    again = CountingEmbedder()
    assert np.array_equal(LanguageShift(again, tmp_path).gap(), gap)
    assert again.embedded == 0
    cached.write_bytes(b"torn")  # a damaged cache file is computed again, not trusted
    third = CountingEmbedder()
    assert np.allclose(LanguageShift(third, tmp_path).gap(), gap)
    assert third.embedded > 0


def test_a_question_moves_towards_the_other_language(tmp_path: Path) -> None:
    shift = LanguageShift(HashEmbedder(), tmp_path)
    gap = shift.gap()
    q = HashEmbedder().embed_query("ما هي أسعار النفط؟")
    moved = shift.moved(q, "ar", 1.0)
    assert moved is not None and np.isclose(np.linalg.norm(moved), 1.0)
    assert np.allclose(moved, (q + gap) / np.linalg.norm(q + gap), atol=1e-6)
    back = shift.moved(q, "en", 0.5)
    assert back is not None and np.allclose(back, (q - 0.5 * gap) / np.linalg.norm(q - 0.5 * gap))
    assert shift.moved(q, "ar", 0.0) is None  # RAG_LANGUAGE_SHIFT=0: off
    assert shift.moved(q, "other", 1.0) is None


class SpyRetriever(Retriever):
    """Records the query vectors of its dense searches."""

    def _dense(self, qvec, pool, filters):  # type: ignore[no-untyped-def]
        self.searched = [*getattr(self, "searched", []), qvec]
        return super()._dense(qvec, pool, filters)


def spy(data_dir: Path, **overrides: object) -> SpyRetriever:
    parts = Parts(make_settings(data_dir, **overrides), embedder=HashEmbedder())
    base = parts.assistant.retriever
    return SpyRetriever(base.settings, base.embedder, base.store, base.bm25)


def test_other_language_hits_come_from_the_moved_search(data: Path) -> None:  # noqa: F811
    r = spy(data)
    passages = r.retrieve(QUESTION, k=5, language="en")
    assert len(r.searched) == 2  # the question, then the question moved towards Arabic
    moved = r.shift.moved(r.searched[0], "en", r.settings.language_shift)
    assert moved is not None and np.allclose(r.searched[1], moved)
    hits = r._across(r.store.query(r.searched[0], 40, full=False), r.searched[0], "en", 40, None)
    arabic = [h for h in hits if h.metadata["language"] == "ar"]
    vectors = {h.chunk_id: h.vector for h in r.store.get_chunks([h.chunk_id for h in arabic])}
    assert arabic and all(np.isclose(h.score, vectors[h.chunk_id] @ moved) for h in arabic)
    assert {p.doc_id for p in passages} >= {"en-answer"}


def test_no_moved_search_when_it_is_off_or_filtered_to_one_language(data: Path) -> None:  # noqa: F811
    from rag.store.filters import Filters

    off = spy(data, language_shift=0.0)
    off.retrieve(QUESTION, k=5, language="en")
    assert len(off.searched) == 1
    own = spy(data)
    own.retrieve(QUESTION, k=5, language="en", filters=Filters(language="en"))
    assert len(own.searched) == 1


def test_no_moved_search_in_a_one_language_archive(tmp_path: Path) -> None:
    from ingest.pipeline import Ingestor
    from rag.store.chunks import ChunkStore, StoreProfile
    from rag.wiring import index_listeners

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [
        {"id": f"en-{i}", "title": "t", "text": f"Story {i} about parking fees."} for i in range(3)
    ]
    (corpus / "en.json").write_text(json.dumps(records), "utf-8")
    settings = make_settings(tmp_path / "data")
    store = ChunkStore(settings, StoreProfile.of(settings, HashEmbedder.dimension))
    Ingestor(settings, HashEmbedder(), store, index_listeners(settings, store, False)).run([corpus])
    r = spy(tmp_path / "data")
    assert r.retrieve(QUESTION, k=3, language="en")
    assert len(r.searched) == 1
    # A question in the other language: every passage is in the language it would move
    # towards, so the plain search already ranks them by their cosine alone.
    across = spy(tmp_path / "data")
    assert across.retrieve("ما هي رسوم الوقوف؟", k=3, language="ar")
    assert len(across.searched) == 1
