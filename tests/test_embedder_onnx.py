"""Tests for the ONNX engines (rag.models.onnx_build, onnx_engine) against torch fp32.

The int8 model is built into the default cache dir (the same one `make test` converts the
default model into), so it is built once and reused by later runs, as `rag model build
--onnx-int8` would.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES, make_settings

from rag.embedder import Embedder
from rag.errors import ModelError
from rag.models.load import load_embedder, resolve_model_path, resolved_backend
from rag.models.onnx_build import (
    MARKER_NAME,
    ONNX_NAME,
    ensure_onnx,
    ensure_onnx_int8,
    onnx_int8_dir,
)
from rag.models.onnx_engine import OnnxEmbedder, OnnxInt8Embedder
from rag.settings import DEFAULT_EMBED_MODEL, Settings

pytestmark = pytest.mark.slow


def sample_sentences(per_language: int = 15) -> list[str]:
    """Sentences of the Arabic and English sample articles, `per_language` of each."""
    arabic = (SAMPLES / "karabakh-ceasefire-ar.txt").read_text(encoding="utf-8")
    for record in json.loads((SAMPLES / "gulf-economy-ar.json").read_text(encoding="utf-8")):
        arabic += "\n" + record["text"]
    english = (SAMPLES / "karabakh-ceasefire-en.md").read_text(encoding="utf-8")
    html = (SAMPLES / "solar-plant-en.html").read_text(encoding="utf-8")
    english += "\n" + re.sub(r"<[^>]+>", "\n", html)
    out: list[str] = []
    for text in (arabic, english):
        parts = re.split(r"(?<=[.!?؟])\s+|\n+", text)
        # dict.fromkeys: the HTML repeats its title in <title> and <h1>.
        sentences = dict.fromkeys(p.strip(" #*") for p in parts if len(p.split()) >= 5)
        out.extend(list(sentences)[:per_language])
    return out


@pytest.fixture(scope="module")
def reference(torch_embedder: Embedder) -> Embedder:
    """The torch engine: what the ONNX copies are measured against."""
    return torch_embedder


@pytest.fixture(scope="module")
def onnx_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("onnx") / "data", embed_backend="onnx-int8")


@pytest.fixture(scope="module")
def onnx_path(onnx_settings: Settings) -> Path:
    return ensure_onnx_int8(onnx_settings, resolve_model_path(onnx_settings))


@pytest.fixture(scope="module")
def onnx_embedder(onnx_settings: Settings, onnx_path: Path) -> Embedder:
    return load_embedder(onnx_settings)


def test_build_is_idempotent(onnx_settings: Settings, onnx_path: Path) -> None:
    model_path = resolve_model_path(onnx_settings)
    assert onnx_path == onnx_int8_dir(onnx_settings, model_path) / ONNX_NAME
    assert onnx_path.parent.parent == onnx_settings.cache_dir / "onnx"
    marker = onnx_path.parent / MARKER_NAME
    before = (marker.stat().st_mtime_ns, onnx_path.stat().st_mtime_ns)
    assert ensure_onnx_int8(onnx_settings, model_path) == onnx_path
    assert (marker.stat().st_mtime_ns, onnx_path.stat().st_mtime_ns) == before
    # Only the int8 file and the marker are kept: the fp32 export stays in the temp dir.
    assert sorted(p.name for p in onnx_path.parent.iterdir()) == sorted([MARKER_NAME, ONNX_NAME])
    assert not list(onnx_path.parent.parent.glob(".*.tmp-*"))
    assert onnx_path.stat().st_size < 150 * 2**20  # int8: about a quarter of fp32


def test_load_embedder_picks_onnx(onnx_embedder: Embedder, reference: Embedder) -> None:
    assert isinstance(onnx_embedder, OnnxInt8Embedder)
    assert onnx_embedder.dimension == 384
    # The same model id as torch: stores built with either engine share one profile.
    assert onnx_embedder.model_id == reference.model_id == DEFAULT_EMBED_MODEL
    assert onnx_embedder.query_prompt == reference.query_prompt == "query: "
    assert onnx_embedder.passage_prompt == reference.passage_prompt == "passage: "
    prompt = reference.passage_prompt
    assert onnx_embedder.count_tokens(prompt) == reference.count_tokens(prompt)


def test_tokenisation_matches_sentence_transformers(
    onnx_embedder: OnnxInt8Embedder, reference: Embedder
) -> None:
    long_text = " ".join(sample_sentences()) * 3  # far past the 512-token window
    texts = [
        *sample_sentences(),
        long_text,
        "  spaces  and\ttabs ",
        "مُحَمَّد ١٢٣ ﻻ",
        "x",
        "",
    ]
    expected = reference.tokenizer(texts, truncation=True, max_length=512)["input_ids"]  # type: ignore[attr-defined]
    ids = onnx_embedder.token_ids(texts)
    assert ids == [list(r) for r in expected]
    assert len(ids[texts.index(long_text)]) == 512
    for text in texts:
        assert onnx_embedder.count_tokens(text) == reference.count_tokens(text)
    assert onnx_embedder.count_tokens(long_text) > 512  # counting is never truncated


def test_vectors_match_torch(onnx_embedder: Embedder, reference: Embedder) -> None:
    texts = sample_sentences()
    assert len(texts) >= 25
    ours = onnx_embedder.embed_documents(texts)
    torch_vectors = reference.embed_documents(texts)
    assert ours.shape == (len(texts), 384)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(ours * torch_vectors, axis=1)
    assert cosine.min() >= 0.98, cosine
    assert cosine.mean() >= 0.99, cosine
    query = "what did Erdogan demand?"
    assert float(onnx_embedder.embed_query(query) @ reference.embed_query(query)) >= 0.98


def test_batching_keeps_order(onnx_embedder: OnnxInt8Embedder) -> None:
    # Lengths deliberately unsorted and more texts than a batch, so the length sort and
    # the order restore both matter.
    texts = sample_sentences()[::-1]
    onnx_embedder.batch_size = 4
    try:
        batched = onnx_embedder.embed_documents(texts)
    finally:
        onnx_embedder.batch_size = 32
    alone = np.stack([onnx_embedder.embed_documents([t])[0] for t in texts])
    similarity = batched @ alone.T
    assert list(similarity.argmax(axis=1)) == list(range(len(texts)))
    # Activations are quantised per batch, so a text's neighbours nudge its vector a little.
    assert np.diag(similarity).min() >= 0.99
    assert onnx_embedder.embed_documents([]).shape == (0, 384)


def test_langchain_adapter(onnx_embedder: Embedder) -> None:
    from rag.langchain_adapters import NewsEmbeddings

    adapter = NewsEmbeddings(onnx_embedder)
    vector = adapter.embed_query("ماذا طالب أردوغان؟")
    assert len(vector) == 384 and all(isinstance(x, float) for x in vector)
    assert np.array(adapter.embed_documents(["one", "two"])).shape == (2, 384)


def test_torch_store_queried_with_onnx(sample_data_dir: Path, onnx_embedder: Embedder) -> None:
    from rag.wiring import Parts

    settings = make_settings(sample_data_dir, embed_backend="onnx-int8")
    assistant = Parts(settings, embedder=onnx_embedder).assistant
    answer = assistant.ask("what did Erdogan demand?")
    assert answer.citations, answer.to_json()
    assert any("Erdogan" in c.text or "أردوغان" in c.text for c in answer.citations)


def test_missing_or_stale_copy_says_the_fix(
    tmp_path: Path, onnx_settings: Settings, onnx_path: Path
) -> None:
    # The model dir from the default cache, the int8 copy looked for under tmp_path.
    model_path = resolve_model_path(onnx_settings)
    settings = make_settings(tmp_path / "data", embed_backend="onnx-int8", cache_dir=tmp_path)
    with pytest.raises(ModelError, match=r"has not been built.*rag model build --onnx-int8"):
        OnnxInt8Embedder.from_settings(settings, model_path)

    copy = onnx_int8_dir(settings, model_path)
    copy.mkdir(parents=True)
    (copy / ONNX_NAME).symlink_to(onnx_path)  # no 110 MB copy
    marker = json.loads((onnx_path.parent / MARKER_NAME).read_text(encoding="utf-8"))

    def write_marker() -> None:
        (copy / MARKER_NAME).write_text(json.dumps(marker), encoding="utf-8")

    write_marker()
    assert isinstance(OnnxInt8Embedder.from_settings(settings, model_path), OnnxInt8Embedder)
    # Same bytes with a new mtime (the model dir was rebuilt identically): still fresh.
    marker["source_files"]["model.safetensors"]["mtime_ns"] = 1
    write_marker()
    assert isinstance(OnnxInt8Embedder.from_settings(settings, model_path), OnnxInt8Embedder)
    # Other weights than the copy was built from: stale.
    marker["source_files"]["model.safetensors"]["sha256"] = "0" * 64
    write_marker()
    with pytest.raises(ModelError, match=r"out of date.*rag model build --onnx-int8"):
        OnnxInt8Embedder.from_settings(settings, model_path)


def test_hub_id_is_refused(onnx_settings: Settings) -> None:
    with pytest.raises(ModelError, match="local sentence-transformers directory"):
        OnnxInt8Embedder.from_settings(onnx_settings, "someone/not-downloaded-model")


def test_the_fp32_copy_gives_torchs_vectors_and_auto_runs_it(
    reference: Embedder, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path / "data")  # RAG_EMBED_BACKEND=auto, the shared cache
    model_path = resolve_model_path(settings)
    path = ensure_onnx(settings, model_path, "fp32")  # what `rag model build` makes
    assert path.name == "model_fp32.onnx" and path.parent.name.endswith("-fp32")
    fp32 = load_embedder(settings)
    assert isinstance(fp32, OnnxEmbedder) and resolved_backend(settings, model_path) == "onnx"
    texts = sample_sentences()
    cosine = np.sum(fp32.embed_documents(texts) * reference.embed_documents(texts), axis=1)
    assert cosine.min() >= 0.9999, cosine  # the same vectors, not an approximation
    assert [fp32.count_tokens(t) for t in texts] == [reference.count_tokens(t) for t in texts]
    # auto takes torch without a built copy, on a CUDA GPU, and when told to.
    bare = make_settings(tmp_path / "data", cache_dir=tmp_path / "cache")
    assert resolved_backend(bare, model_path) == "torch"
    cuda = make_settings(tmp_path / "data", device="cuda")
    assert resolved_backend(cuda, model_path) == "torch"
    told = make_settings(tmp_path / "data", embed_backend="torch")
    assert resolved_backend(told, model_path) == "torch"
    with pytest.raises(ModelError, match=r"fp32 ONNX copy .* has not been built.*rag model build"):
        OnnxEmbedder.from_settings(bare, model_path, "fp32")
