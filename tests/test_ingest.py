"""Bulk ingest against the real embedder and a real embedded Chroma."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES, make_settings

from ingest.pipeline import Ingestor
from ingest.report import IngestReport
from rag.embedder import Embedder
from rag.errors import EmbedderMismatch
from rag.settings import Settings
from rag.store.bm25_index import Bm25Index, ids_digest
from rag.store.chunks import ChunkStore, StoreProfile
from rag.wiring import index_listeners

pytestmark = pytest.mark.slow


class CountingEmbedder(Embedder):
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.query_prompt = inner.query_prompt
        self.passage_prompt = inner.passage_prompt
        self.embedded = 0

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += len(texts)
        return self.inner.embed_batch(texts)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


def open_store(settings: Settings, embedder: Embedder) -> ChunkStore:
    profile = StoreProfile.of(settings, embedder.dimension)
    return ChunkStore(settings, profile)


def ingest(settings: Settings, embedder: Embedder, *paths: Path) -> IngestReport:
    store = open_store(settings, embedder)
    return Ingestor(settings, embedder, store, index_listeners(settings, store, False)).run(
        list(paths)
    )


def all_chunks(settings: Settings, embedder: Embedder) -> dict[str, dict]:
    store = open_store(settings, embedder)
    return {cid: meta for cid, _, meta in store.iter_chunks()}


def test_samples_ingest_with_metadata_and_offsets(settings: Settings, embedder: Embedder):
    report = ingest(settings, embedder, SAMPLES)
    assert report.failures == []
    assert report.ingested == 5 and report.chunks >= 5
    store = open_store(settings, embedder)
    docs = {m["doc_id"]: m for m in store.iter_registry()}
    assert set(docs) == {
        "articles/karabakh-ceasefire-ar.txt",
        "articles/karabakh-ceasefire-en.md",
        "articles/solar-plant-en.html",
        "sample-ar-economy-1",
        "sample-ar-sport-1",
    }
    assert docs["articles/karabakh-ceasefire-ar.txt"]["language"] == "ar"
    assert docs["articles/solar-plant-en.html"]["language"] == "en"
    assert docs["sample-ar-economy-1"]["date"] == "2024-03-12"
    assert (
        docs["articles/solar-plant-en.html"]["url"] == "https://example.org/en/energy/solar-plant"
    )
    seed_text = ""
    for cid, text, meta in store.iter_chunks():
        assert meta["end"] - meta["start"] == len(text)
        assert cid.endswith(f"-{meta['position']}")
        # Boilerplate trailers of the seed article never reach the store.
        assert "زر الذهاب إلى الأعلى" not in text and "اظهر المزيد" not in text
        if meta["doc_id"] == "articles/karabakh-ceasefire-ar.txt":
            seed_text += text
    assert "أردوغان" in seed_text and "الناتو" in seed_text


def test_chunks_fit_the_window_and_end_at_sentence_boundaries(settings, embedder):
    settings = make_settings(settings.data_dir, chunk_tokens=64, chunk_overlap=16)
    report = ingest(settings, embedder, SAMPLES / "karabakh-ceasefire-ar.txt")
    assert report.chunks >= 6
    chunks = sorted(all_chunks(settings, embedder).items(), key=lambda kv: kv[1]["position"])
    store = open_store(settings, embedder)
    texts = {cid: text for cid, text, _ in store.iter_chunks()}
    for cid, _meta in chunks:
        text = texts[cid]
        total = embedder.count_tokens(embedder.passage_prompt + text) + 2
        assert total <= 64 + 4, (total, text)
        assert text[-1] in ".!?؟؛،\n" or text.endswith(("ا", "ه")) or len(text) > 20
    # Consecutive chunks overlap (the next starts before the previous ends) or touch.
    starts = [m["start"] for _, m in chunks]
    ends = [m["end"] for _, m in chunks]
    assert any(s < e for s, e in zip(starts[1:], ends[:-1], strict=False))


def test_reingest_unchanged_does_no_embedding_work(settings, embedder):
    counting = CountingEmbedder(embedder)
    first = ingest(settings, counting, SAMPLES)
    embedded = counting.embedded
    # Each chunk, and the document's distinct candidate answer sentences (stored per chunk).
    assert (
        first.chunks < embedded <= first.chunks + open_store(settings, embedder).sentences.count()
    )
    second = ingest(settings, counting, SAMPLES)
    assert counting.embedded == embedded
    assert (second.ingested, second.updated, second.unchanged) == (0, 0, 5)
    assert open_store(settings, embedder).count() == first.chunks


def test_changed_document_replaces_its_chunks(settings, embedder, write_files):
    long_text = "\n\n".join(
        f"Paragraph {i}. The council met on day {i} and approved budget item {i}."
        for i in range(40)
    )
    root = write_files({"news/a.txt": "Budget news\n\n" + long_text})
    first = ingest(settings, embedder, root)
    before = set(all_chunks(settings, embedder))
    assert first.ingested == 1 and len(before) == first.chunks >= 2
    (root / "news/a.txt").write_text("Budget news\n\nThe council rejected the budget.", "utf-8")
    second = ingest(settings, embedder, root)
    after = all_chunks(settings, embedder)
    assert second.updated == 1 and second.ingested == 0
    assert len(after) == 1 and not (set(after) & before)
    assert second.removed_chunks == len(before)
    # The BM25 index follows: the old words are gone, the new ones are there.
    s = settings
    index = Bm25Index.open(s, open_store(s, embedder))
    assert index.search("approved budget item", 5) == [] or all(
        h.chunk_id in after for h in index.search("approved budget item", 5)
    )
    assert [h.chunk_id for h in index.search("council rejected", 5)] == list(after)


def test_same_text_under_two_ids_is_stored_once(settings, embedder, write_files):
    body = "The central bank kept interest rates unchanged on Tuesday, citing inflation."
    root = write_files(
        {
            "a.jsonl": json.dumps({"id": "one", "title": "Rates", "text": body})
            + "\n"
            + json.dumps({"id": "two", "title": "Rates held", "text": body})
            + "\n"
        }
    )
    report = ingest(settings, embedder, root)
    assert report.ingested == 1
    assert report.duplicates == [
        {"doc_id": "two", "duplicate_of": "one", "where": report.duplicates[0]["where"]}
    ]
    docs = {m["doc_id"] for m in all_chunks(settings, embedder).values()}
    assert docs == {"one"}


def test_distinct_one_line_articles_are_not_duplicates(settings, embedder, write_files):
    # A one-line article without a title is all title; its body must still be compared.
    root = write_files(
        {
            "a.txt": "Rail link between Riyadh and Qassim opens.",
            "b.txt": "ميناء الدمام يستقبل أكبر سفينة حاويات",
            "c.txt": "Rail link between Riyadh and Qassim opens.",
        }
    )
    report = ingest(settings, embedder, root)
    assert report.ingested == 2
    assert [d["duplicate_of"] for d in report.duplicates] == [f"{root.name}/a.txt"]


def test_bad_input_is_reported_and_the_rest_ingested(settings, embedder, write_files):
    root = write_files(
        {
            "good.txt": "Good article\n\nThe port reopened after the storm passed on Friday.",
            "empty.txt": "",
            "binary.txt": bytes(range(256)) * 8,
            "broken.json": '{"title": "x", "text": ',
            "notext.json": json.dumps({"title": "only a title"}),
            "lines.jsonl": json.dumps({"id": "j1", "text": "The market rose two percent today."})
            + "\n{broken\n",
        }
    )
    report = ingest(settings, embedder, root)
    where = {f["where"].split("/")[-1]: f["reason"] for f in report.failures}
    assert report.ingested == 2, report.failures
    assert {"empty.txt", "binary.txt", "broken.json", "notext.json"} <= set(where)
    assert any(k.startswith("lines.jsonl") for k in where)
    assert all(f["reason"] for f in report.failures)


def test_other_embedder_on_same_collection_is_a_clear_error(settings, embedder):
    ingest(settings, embedder, SAMPLES / "karabakh-ceasefire-en.md")
    other = StoreProfile("some/other-model", 768, settings.chunk_tokens, settings.chunk_overlap)
    with pytest.raises(EmbedderMismatch, match=r"rag ingest --rebuild"):
        ChunkStore(settings, other)


def test_other_backend_on_same_collection_is_a_warning(settings, embedder):
    first = ingest(settings, embedder, SAMPLES / "karabakh-ceasefire-en.md")
    assert first.warnings == []
    fp32 = settings.model_copy(update={"embed_backend": "torch"})  # the same fp32 vectors
    assert ChunkStore(fp32, StoreProfile.of(fp32, embedder.dimension)).backend_warning() is None
    onnx = settings.model_copy(update={"embed_backend": "onnx-int8"})
    store = ChunkStore(onnx, StoreProfile.of(onnx, embedder.dimension))
    report = Ingestor(onnx, embedder, store).run([SAMPLES / "karabakh-ceasefire-ar.txt"])
    assert report.ingested == 1
    (warning,) = report.to_json()["warnings"]
    assert f"{settings.embed_backend} backend" in warning
    assert "RAG_EMBED_BACKEND is onnx-int8" in warning
    assert "--rebuild" in warning


def test_changed_chunking_needs_rebuild(settings, embedder):
    ingest(settings, embedder, SAMPLES / "karabakh-ceasefire-en.md")
    changed = make_settings(settings.data_dir, chunk_tokens=100, chunk_overlap=10)
    store = open_store(changed, embedder)
    with pytest.raises(EmbedderMismatch, match="RAG_CHUNK_TOKENS"):
        Ingestor(changed, embedder, store).run([SAMPLES])


def test_bm25_index_matches_chroma_after_ingest(settings, embedder):
    ingest(settings, embedder, SAMPLES)
    store = open_store(settings, embedder)
    index = Bm25Index.open(settings, store, verify_ids=True)
    ids = [cid for cid, _, _ in store.iter_chunks(include_text=False)]
    assert sorted(index.ids) == sorted(ids)
    manifest = json.loads((settings.state_dir / "bm25" / "manifest.json").read_text())
    assert manifest["digest"] == ids_digest(ids)
    assert not (settings.state_dir / "bm25" / "DIRTY").exists()


def test_saudinewsnet_zip_ingests(tmp_path, embedder):
    """A SaudiNewsNet-shaped daily zip (40 articles, 2 of them empty) end to end."""
    import zipfile

    from newsgen import saudi_records

    records = saudi_records(40, seed=723, day="2015-07-23", empty=2)
    small = tmp_path / "daily.zip"
    with zipfile.ZipFile(small, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("2015-07-23.json", json.dumps(records, ensure_ascii=False))
    s = make_settings(tmp_path / "data")
    report = ingest(s, embedder, small)
    empty = sum(1 for r in records if not r["content"].strip())
    assert report.ingested + len(report.duplicates) + len(report.failures) == len(records)
    assert len(report.failures) == empty == 2
    metas = all_chunks(s, embedder).values()
    assert {m["language"] for m in metas} == {"ar"}
    assert all(m["doc_id"].startswith("daily.zip!") for m in metas)
    assert {m["source"] for m in metas} <= {r["source"] for r in records}


@pytest.mark.slow
def test_worker_processes_store_the_same_chunks_and_vectors(tmp_path, embedder):
    one = make_settings(tmp_path / "one", batch_size=4)
    two = make_settings(tmp_path / "two", batch_size=4, ingest_workers=2)
    # batch_size 4: many small batches, so both workers get work and order matters.
    for s in (one, two):
        report = ingest(s, embedder, SAMPLES)
        assert report.failures == [] and report.ingested == 5
    a = open_store(one, embedder).get_chunks(sorted(all_chunks(one, embedder)))
    b = open_store(two, embedder).get_chunks(sorted(all_chunks(two, embedder)))
    assert [h.chunk_id for h in a] == [h.chunk_id for h in b]
    assert [h.text for h in a] == [h.text for h in b]
    for x, y in zip(a, b, strict=True):
        assert float(np.dot(x.vector, y.vector)) > 0.9999, x.chunk_id
