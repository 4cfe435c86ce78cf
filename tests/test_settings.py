"""The one Settings object: environment variables, validation messages, groups, README
tables, `rag config`."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import REPO

from rag.errors import ConfigError
from rag.settings import GROUPS, SECRETS, Settings, load_settings
from rag.settings_table import markdown_table


def test_every_setting_is_described_and_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert f"`RAG_{name.upper()}`" in readme, f"README lacks RAG_{name.upper()}"
    # The table is generated: `python -m rag.settings_table` prints what the README must hold.
    assert markdown_table() in readme, (
        "README settings table is stale: paste python -m rag.settings_table"
    )
    for heading in GROUPS:
        assert f"#### {heading}\n" in markdown_table()


def test_every_setting_is_in_exactly_one_of_the_six_groups():
    assert list(GROUPS) == ["Storage", "Ingest", "Retrieval", "Answering", "LLM", "Web"]
    owners = Counter(name for group in GROUPS.values() for name in group.model_fields)
    assert [name for name, n in owners.items() if n > 1] == []
    assert set(owners) == set(Settings.model_fields)
    # Flat access stays: Settings is every group at once, fields in the groups' order.
    assert all(issubclass(Settings, group) for group in GROUPS.values())
    assert list(Settings.model_fields) == list(owners)
    assert SECRETS.issubset(Settings.model_fields)
    for group in GROUPS.values():
        assert group.__doc__, group


def test_grouped_fields_read_dotenv_and_env_and_copy_flat(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "RAG_TOP_K=7\nRAG_LLM_MODEL=from-dotenv\nRAG_CHUNK_TOKENS=100\n", encoding="utf-8"
    )
    monkeypatch.setenv("RAG_LLM_MODEL", "from-env")  # the environment wins over .env
    monkeypatch.setenv("RAG_AUTH", "user:pw")
    s = load_settings()
    assert (s.top_k, s.llm_model, s.chunk_tokens, s.auth) == (7, "from-env", 100, "user:pw")
    copy = s.model_copy(update={"host": "0.0.0.0", "top_k": 3})
    assert (copy.host, copy.top_k, copy.llm_model) == ("0.0.0.0", 3, "from-env")
    assert type(copy) is Settings
    # A group's validator still runs on the combined object.
    monkeypatch.setenv("RAG_CHUNK_OVERLAP", "100")
    with pytest.raises(ConfigError, match="RAG_CHUNK_OVERLAP must be smaller"):
        load_settings()


def test_rag_config_prints_the_groups_with_secrets_masked(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from rag.cli.app import app
    from rag.cli.config import config  # noqa: F401  (registers the command)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAG_LLM_API_KEY", "sk-secret")
    monkeypatch.setenv("RAG_AUTH", "admin:hunter2")
    monkeypatch.setenv("RAG_TOP_K", "9")
    text = CliRunner().invoke(app, ["config"])
    assert text.exit_code == 0, text.output
    assert "sk-secret" not in text.output and "hunter2" not in text.output
    assert [line for line in text.output.splitlines() if line[:1].isalpha()] == list(GROUPS)
    shown = json.loads(CliRunner().invoke(app, ["config", "retrieval", "--json"]).output)
    assert shown == {"Retrieval": shown["Retrieval"]} and shown["Retrieval"]["RAG_TOP_K"] == "9"
    masked = json.loads(CliRunner().invoke(app, ["config", "--json"]).output)
    assert masked["LLM"]["RAG_LLM_API_KEY"] == masked["Web"]["RAG_AUTH"] == "********"
    bad = CliRunner().invoke(app, ["config", "nowhere"])
    assert bad.exit_code != 0 and "storage, ingest" in bad.output


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
