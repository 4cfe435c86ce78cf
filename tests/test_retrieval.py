"""Hybrid retrieval against the real store, embedder and BM25 index."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import make_settings

from ingest.pipeline import Ingestor
from rag.answer.assistant import Assistant
from rag.store.bm25_index import Bm25Index
from rag.store.filters import Filters
from rag.wiring import Parts, index_listeners

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assistant(sample_data_dir, embedder) -> Assistant:
    return Parts(make_settings(sample_data_dir), embedder=embedder).assistant


def top_docs(assistant: Assistant, query: str, mode: str = "hybrid", k: int = 3, **filters):
    passages = assistant.retriever.retrieve(query, k=k, mode=mode, filters=Filters(**filters))
    return [p.doc_id for p in passages]


@pytest.mark.parametrize(
    ("question", "doc"),
    [
        ("What did the central bank decide about interest rates?", "sample-ar-economy-1"),
        ("How did the national team reach the final?", "sample-ar-sport-1"),
        ("كم تكلفة محطة الطاقة الشمسية الجديدة؟", "articles/solar-plant-en.html"),
    ],
)
def test_cross_lingual_questions_find_the_other_language(assistant, question, doc):
    for mode in ("dense", "hybrid"):
        assert top_docs(assistant, question, mode)[0] == doc, mode


def test_bm25_mode_is_lexical_and_dense_mode_is_not(assistant):
    bm25 = assistant.retriever.retrieve("لافروف موسكو", k=3, mode="bm25")
    assert bm25 and all(p.bm25_score > 0 for p in bm25)
    assert "لافروف" in bm25[0].text
    dense = assistant.retriever.retrieve("لافروف موسكو", k=3, mode="dense")
    assert all(p.bm25_score == 0 for p in dense)
    # An English question shares no words with Arabic text: BM25 alone finds nothing there.
    assert top_docs(assistant, "central bank interest rates", "bm25") == []


def test_filters_language_source_and_dates(assistant):
    english = assistant.retriever.retrieve(
        "Karabakh ceasefire", k=5, filters=Filters(language="en")
    )
    assert english and {p.language for p in english} == {"en"}
    sample = top_docs(assistant, "news", k=5, source="sample")
    assert set(sample) <= {"sample-ar-economy-1", "sample-ar-sport-1"} and sample
    dated = top_docs(assistant, "news", k=5, date_from="2024-03-01", date_to="2024-12-31")
    assert set(dated) == {"sample-ar-economy-1", "articles/solar-plant-en.html"}


def test_mmr_keeps_near_copies_out_of_the_top(tmp_path, embedder, write_files):
    base = "The city council approved a new budget for public schools on Monday"
    copies = {
        f"copy{i}.txt": f"Budget {i}\n\n{base}, officials said in statement number {i}."
        for i in range(5)
    }
    copies["other.txt"] = (
        "School transport\n\nThe council also voted to buy forty electric buses for schools."
    )
    root = write_files(copies)
    s = make_settings(tmp_path / "data")
    store = Parts(s, embedder=embedder).assistant.store
    Ingestor(s, embedder, store, index_listeners(s, store, False)).run([root])
    question = "What budget did the city council approve for public schools on Monday?"
    diverse = Parts(s, embedder=embedder).assistant
    plain = Parts(make_settings(s.data_dir, mmr_lambda=1.0), embedder=embedder).assistant
    top_plain = [p.doc_id for p in plain.retriever.retrieve(question, k=3)]
    top_mmr = [p.doc_id for p in diverse.retriever.retrieve(question, k=3)]
    assert not any("other" in d for d in top_plain)
    assert any("other" in d for d in top_mmr)


def test_bm25_index_survives_restart_and_rebuilds_when_stale(sample_copy, embedder):
    s = make_settings(sample_copy)
    store = Parts(s, embedder=embedder).assistant.store
    bm25_dir = s.state_dir / "bm25"
    manifest = json.loads((bm25_dir / "manifest.json").read_text())
    first = Bm25Index.open(s, store)
    assert len(first) == manifest["count"] == store.count()
    hits = [h.chunk_id for h in first.search("أردوغان", 3)]
    assert hits

    # Missing files: rebuilt from Chroma, with progress reported.
    shutil.rmtree(bm25_dir)
    seen: list[tuple[int, int]] = []
    rebuilt = Bm25Index.open(s, store, progress=lambda done, total: seen.append((done, total)))
    assert [h.chunk_id for h in rebuilt.search("أردوغان", 3)] == hits
    assert seen and seen[-1] == (store.count(), store.count())

    # A killed ingest leaves DIRTY behind: the next open does not trust the files.
    (bm25_dir / "DIRTY").touch()
    (bm25_dir / "tokens.jsonl").write_text("")
    again = Bm25Index.open(s, store)
    assert len(again) == store.count()
    assert not (bm25_dir / "DIRTY").exists()


def test_langchain_retriever_and_embeddings(assistant, embedder):
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.vectorstores import InMemoryVectorStore

    from rag.langchain_adapters import NewsEmbeddings, NewsRetriever

    retriever = NewsRetriever(retriever=assistant.retriever, k=2)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("ماذا طالب أردوغان؟")
    assert len(docs) == 2 and isinstance(docs[0], Document)
    assert docs[0].metadata["doc_id"] == "articles/karabakh-ceasefire-ar.txt"

    embeddings = NewsEmbeddings(embedder)
    assert isinstance(embeddings, Embeddings)
    store = InMemoryVectorStore.from_texts(
        ["الشمس تشرق من الشرق", "The stock market fell sharply today"], embedding=embeddings
    )
    assert store.similarity_search("shares dropped on the exchange", k=1)[
        0
    ].page_content.startswith("The stock")
