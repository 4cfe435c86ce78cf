"""Cross-language fusion in a mixed archive (honest answers, round two, item 0): an
other-language passage is not promoted by its rank alone. Real Chroma and BM25, the
hashed-trigram embedder (no model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_settings
from fakes import HashEmbedder

from ingest.pipeline import Ingestor
from rag.retrieve.retriever import Retriever, calibrated_order, states_across
from rag.store.chunks import ChunkStore, StoreProfile
from rag.store.documents import Hit
from rag.wiring import Parts, index_listeners

EMBEDDER = HashEmbedder()
ANSWER = "The Leeds council voted on Tuesday to double parking fees in the city centre."
# An English passage that matches the question's words better than the answer does.
WORDY = "Council parking: what the council decided, and what parking will cost, in brief."
# Arabic opinion pieces that match nothing of the question: under language ranks the best
# of them enters fusion as if it were the best passage there is.
ARABIC = [
    "مقال رأي: الاقتصاد والمجتمع والثقافة في عالم يتغير بسرعة كبيرة كل يوم.",
    "رأي: التعليم والصحة والعمل قضايا تهم المواطنين في كل مكان وزمان.",
    "وجهة نظر: الرياضة والفن والسياسة تتداخل في حياة الناس اليومية.",
]
QUESTION = "What did the Leeds council decide about parking fees?"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mixed")
    records = [
        {"id": "en-answer", "title": "Leeds parking", "text": ANSWER},
        {"id": "en-wordy", "title": "Parking brief", "text": WORDY},
        *({"id": f"ar-{i}", "title": "رأي", "text": t} for i, t in enumerate(ARABIC)),
    ]
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "mixed.json").write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    settings = make_settings(root / "data")
    store = ChunkStore(settings, StoreProfile.of(settings, EMBEDDER.dimension))
    report = Ingestor(settings, EMBEDDER, store, index_listeners(settings, store, False)).run(
        [corpus]
    )
    assert report.ingested == 5 and not report.failures
    return root / "data"


def retriever(data: Path, **overrides: object) -> Retriever:
    return Parts(make_settings(data, **overrides), embedder=EMBEDDER).assistant.retriever


def test_calibrated_fusion_keeps_the_same_language_answer_first(data: Path) -> None:
    found = [p.doc_id for p in retriever(data).retrieve(QUESTION, k=5)]
    assert found.index("en-answer") < min(found.index(f"ar-{i}") for i in range(3)), found
    assert {found[0], found[1]} == {"en-answer", "en-wordy"}, found


def test_language_ranks_promote_an_unrelated_other_language_passage(data: Path) -> None:
    """The earlier fusion, kept as RAG_FUSION=language-rank: the case above bites there."""
    found = [p.doc_id for p in retriever(data, fusion="language-rank").retrieve(QUESTION, k=5)]
    assert found[0].startswith("ar-"), found


def test_an_other_language_passage_naming_the_question_gets_the_lexical_share(
    data: Path,
) -> None:
    r = retriever(data)
    hits = r.store.query(EMBEDDER.embed_query(QUESTION), 10, full=False)
    arabic = [h for h in hits if h.metadata.get("language") == "ar"]
    assert len(arabic) == 3
    assert r._stated(QUESTION, arabic) == []  # none names Leeds or a number of the question
    assert states_across(QUESTION, "قرر مجلس مدينة ليدز مضاعفة رسوم المواقف.")
    assert states_across("How many fees were doubled in 2024?", "في عام ٢٠٢٤ تضاعفت الرسوم.")
    assert not states_across(QUESTION, ARABIC[0])


def test_offsets_put_both_languages_on_one_scale() -> None:
    same = Hit("en", "", {"language": "en"}, 0.80)
    other = Hit("ar", "", {"language": "ar"}, 0.74)
    assert [h.chunk_id for h in calibrated_order([same, other], "en", {})] == ["en", "ar"]
    lifted = calibrated_order([same, other], "en", {"en-ar": 0.08})
    assert [h.chunk_id for h in lifted] == ["ar", "en"]
    # The offset is for the question's language pair only.
    assert [h.chunk_id for h in calibrated_order([same, other], "ar", {"en-ar": 0.08})] == [
        "en",
        "ar",
    ]


def test_candidates_carry_chromas_metadata_read_from_the_index_in_memory(data: Path) -> None:
    """The wide dense query reads no metadata from Chroma: language, source and date come
    from the BM25 index, the same values Chroma holds; a chunk the index does not hold
    (ingested since it was loaded) makes the query read them from Chroma after all."""
    r = retriever(data)
    qvec = EMBEDDER.embed_query(QUESTION)
    fast = r._candidates(qvec, 40)
    stored = r.store.query(qvec, 40, full=False)
    assert [h.chunk_id for h in fast] == [h.chunk_id for h in stored]
    keys = ("language", "source", "date")
    assert [{k: h.metadata[k] for k in keys} for h in fast] == [
        {k: str(h.metadata.get(k, "")) for k in keys} for h in stored
    ]
    assert {h.metadata["language"] for h in fast} == {"en", "ar"}
    missing = fast[0].chunk_id
    row = r.bm25.rows.pop(missing)
    try:
        again = r._candidates(qvec, 40)
    finally:
        r.bm25.rows[missing] = row
    assert again[0].chunk_id == missing and again[0].metadata == stored[0].metadata
    assert r.bm25.has_language("ar") and not r.bm25.has_language("fr")
