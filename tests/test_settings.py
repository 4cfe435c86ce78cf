"""The one Settings object: environment variables, validation messages, README table."""

from __future__ import annotations

import pytest
from conftest import REPO

from rag.errors import ConfigError
from rag.settings import Settings, load_settings, markdown_table


def test_every_setting_is_described_and_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert f"`RAG_{name.upper()}`" in readme, f"README lacks RAG_{name.upper()}"
    # The table is generated: `python -m rag.settings` prints what the README must hold.
    assert markdown_table() in readme, (
        "README settings table is stale: paste python -m rag.settings"
    )


def test_environment_variables_with_the_rag_prefix(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RAG_CHUNK_TOKENS", "300")
    monkeypatch.setenv("RAG_CHROMA_URL", "http://127.0.0.1:8000/")
    s = load_settings()
    assert s.data_dir == tmp_path and s.chunk_tokens == 300
    assert s.chroma_url == "http://127.0.0.1:8000"
    assert s.chroma_path == tmp_path / "chroma"


@pytest.mark.parametrize(
    ("var", "value", "named"),
    [
        ("RAG_CHUNK_OVERLAP", "500", "RAG_CHUNK_OVERLAP"),
        ("RAG_CHROMA_URL", "localhost:8000", "RAG_CHROMA_URL"),
        ("RAG_BATCH_SIZE", "zero", "RAG_BATCH_SIZE"),
        ("RAG_AUTH", "nopassword", "RAG_AUTH"),
        ("RAG_RETRIEVER", "magic", "RAG_RETRIEVER"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, var, value, named):
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_device_auto_is_cpu_without_a_gpu_and_cuda_without_one_is_refused(monkeypatch):
    import torch

    from rag.models.load import resolve_device

    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="RAG_DEVICE=cuda: torch sees no CUDA device"):
            resolve_device("cuda")
    monkeypatch.setenv("RAG_DEVICE", "tpu")
    with pytest.raises(ConfigError, match="RAG_DEVICE"):
        load_settings()
