"""Building the ONNX copies of a sentence-transformers model: fp32 (`rag model build`) and
int8 (`rag model build --onnx-int8`), each in its own cache directory with a marker written
last, rebuilt when the model's weights change. `rag.models.onnx_engine` runs them.

The model's BertModel is exported with ``torch.onnx.export`` and, for int8, its weights
dynamically quantised with onnxruntime. Not through optimum: it downgrades transformers and
huggingface_hub and breaks gradio.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import ModelError
from rag.models.build import file_lock, sha256_file, staged_dir

if TYPE_CHECKING:
    from rag.settings import Settings

log = logging.getLogger(__name__)

# Bump when the exported graph or the quantisation changes, so stale copies are rebuilt.
FORMAT_VERSION = 1
PRECISIONS = ("fp32", "int8")
OPSET = 17
BUILD_HINT = "Build it with `rag model build --onnx-int8`, or set RAG_EMBED_BACKEND=torch."
FP32_HINT = "Build it with `rag model build`, or set RAG_EMBED_BACKEND=torch."


def onnx_name(precision: str) -> str:
    return f"model_{precision}.onnx"


def marker_name(precision: str) -> str:
    return f"onnx-{precision}-build.json"


ONNX_NAME = onnx_name("int8")
MARKER_NAME = marker_name("int8")  # written last: its presence means "complete"


def backend_name(precision: str) -> str:
    """The RAG_EMBED_BACKEND value of an ONNX copy."""
    return "onnx-int8" if precision == "int8" else "onnx"


# Files of the transformer whose change makes an int8 copy stale. The tokenizer is not among
# them: it is read from the model directory at load time, never copied.
_SOURCE_SUFFIXES = (".safetensors", ".bin")


# --- where things are ------------------------------------------------------------------


def onnx_dir(settings: Settings, model_path: str, precision: str = "int8") -> Path:
    """Directory of the ONNX copy (fp32 or int8) of the model at ``model_path``."""
    return Path(settings.cache_dir) / "onnx" / f"{Path(model_path).name}-{precision}"


def onnx_int8_dir(settings: Settings, model_path: str) -> Path:
    """Directory of the int8 copy of the model at ``model_path`` under the cache dir."""
    return onnx_dir(settings, model_path, "int8")


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path} cannot be read ({exc}); rebuild the model directory.") from None


def local_model_dir(model_path: str, backend: str = "onnx-int8") -> Path:
    path = Path(model_path).expanduser()
    if not path.is_dir():
        raise ModelError(
            f"RAG_EMBED_BACKEND={backend} needs a local sentence-transformers directory; "
            f"{model_path} is not one. Point RAG_EMBED_MODEL at a local copy, or unset it "
            "to use the bundled multilingual-e5-small."
        )
    return path


def transformer_folder(model_dir: Path) -> Path:
    """The folder of the model's Transformer module (the root in the usual layout)."""
    modules = read_json(model_dir / "modules.json") or []
    for module in modules:
        if str(module.get("type", "")).endswith(".Transformer"):
            return model_dir / module.get("path", "")
    return model_dir


def check_pooling(model_dir: Path) -> None:
    """Refuse models whose pooling this engine would not reproduce (it only mean-pools)."""
    modules = read_json(model_dir / "modules.json") or []
    for module in modules:
        if str(module.get("type", "")).endswith(".Pooling"):
            config = read_json(model_dir / module.get("path", "") / "config.json") or {}
            modes = sorted(k for k, v in config.items() if k.startswith("pooling_mode") and v)
            if modes != ["pooling_mode_mean_tokens"] or not config.get("include_prompt", True):
                raise ModelError(
                    f"{model_dir}: the ONNX engine only does mean pooling over all tokens "
                    f"(this model has {modes or 'no pooling mode'}, include_prompt="
                    f"{config.get('include_prompt', True)}). Use RAG_EMBED_BACKEND=torch."
                )


def _source_files(model_dir: Path) -> list[Path]:
    folder = transformer_folder(model_dir)
    weights = sorted(p for p in folder.iterdir() if p.suffix in _SOURCE_SUFFIXES)
    if not weights or not (folder / "config.json").is_file():
        raise ModelError(
            f"{folder} has no transformer weights and config.json: it is not a "
            "sentence-transformers model directory."
        )
    return [folder / "config.json", *weights]


def _fingerprint(path: Path, sha: bool = True) -> dict[str, Any]:
    stat = path.stat()
    out: dict[str, Any] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if sha:
        out["sha256"] = sha256_file(path)
    return out


def is_fresh(out_dir: Path, model_dir: Path, precision: str = "int8") -> bool:
    """True when ``out_dir`` holds a complete copy built from today's ``model_dir``."""
    try:
        marker = json.loads((out_dir / marker_name(precision)).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent or half-written by a crashed tool: rebuild
        return False
    if not isinstance(marker, dict) or marker.get("format_version") != FORMAT_VERSION:
        return False
    if not (out_dir / onnx_name(precision)).is_file():
        return False
    recorded = marker.get("source_files")
    files = _source_files(model_dir)
    if not isinstance(recorded, dict) or sorted(recorded) != sorted(p.name for p in files):
        return False
    for path in files:
        want = recorded[path.name] if isinstance(recorded[path.name], dict) else {}
        quick = _fingerprint(path, sha=False)
        # Size and mtime are enough when they match; a rebuilt but identical model (new
        # mtime) costs one hash instead of a needless re-export.
        if quick["size"] != want.get("size"):
            return False
        if quick["mtime_ns"] != want.get("mtime_ns") and sha256_file(path) != want.get("sha256"):
            return False
    return True


# --- building --------------------------------------------------------------------------


def ensure_onnx(settings: Settings, model_path: str, precision: str = "fp32") -> Path:
    """Return the ONNX file (fp32 or int8) of the model at ``model_path``, building it if
    needed.

    The copy lives in ``<cache_dir>/onnx/<model dir name>-<precision>/``. A copy whose marker
    matches the model's weights is returned untouched; concurrent callers serialise on a lock
    file, so only the first one builds (20 s to 2 min on two cores).
    """
    model_dir = local_model_dir(model_path, backend_name(precision))
    target = onnx_dir(settings, str(model_dir), precision)
    if is_fresh(target, model_dir, precision):
        return target / onnx_name(precision)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_error(target, exc) from exc
    with file_lock(target.parent / f".{target.name}.lock"):
        if is_fresh(target, model_dir, precision):  # another process finished meanwhile
            return target / onnx_name(precision)
        log.info("building the %s ONNX embedder from %s (one-off, 20 s to 2 min)", precision,
                 model_dir)  # fmt: skip
        return build_onnx(model_dir, target, precision) / onnx_name(precision)


def ensure_onnx_int8(settings: Settings, model_path: str) -> Path:
    """`ensure_onnx` for the int8 copy."""
    return ensure_onnx(settings, model_path, "int8")


def is_built(settings: Settings, model_path: str, precision: str = "fp32") -> bool:
    """Is there a fresh ONNX copy of the model at ``model_path`` (a local directory)?"""
    path = Path(model_path).expanduser()
    try:
        return path.is_dir() and is_fresh(onnx_dir(settings, str(path), precision), path,
                                           precision)  # fmt: skip
    except (ModelError, OSError):
        return False


def build_onnx(model_dir: Path, out_dir: Path, precision: str = "int8") -> Path:
    """Export ``model_dir``'s transformer to ONNX into ``out_dir``, quantised for int8.

    The directory is built in a temporary sibling (for int8 the fp32 export lives only there)
    and moved into place with ``os.replace``; the marker is written last. Returns ``out_dir``.
    """
    check_pooling(model_dir)
    sources = _source_files(model_dir)
    with staged_dir(out_dir, _write_error) as tmp:
        fp32 = tmp / onnx_name("fp32")
        started = time.perf_counter()
        _export_fp32(transformer_folder(model_dir), fp32)
        export_s = time.perf_counter() - started
        started = time.perf_counter()
        marker: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "source_dir": str(model_dir.resolve()),
            "source_files": {p.name: _fingerprint(p) for p in sources},
            "opset": OPSET,
            "fp32_bytes": fp32.stat().st_size,
            "export_s": round(export_s, 1),
        }
        if precision == "int8":
            _quantize(fp32, tmp / ONNX_NAME)
            fp32.unlink()
            marker |= {
                "weight_type": "QInt8 per-channel (onnxruntime quantize_dynamic)",
                "int8_bytes": (tmp / ONNX_NAME).stat().st_size,
                "quantize_s": round(time.perf_counter() - started, 1),
            }
        marker["created_unix"] = int(time.time())
        text = json.dumps(marker, indent=2) + "\n"
        (tmp / marker_name(precision)).write_text(text, encoding="utf-8")
    log.info("%s ONNX embedder %s: export %.1f s", precision, out_dir, export_s)
    return out_dir


def _export_fp32(transformer_dir: Path, out: Path) -> None:
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise ModelError(
            f"Building the int8 ONNX embedder needs torch and transformers ({exc}). "
            "Install the project's requirements (pip install -e .)."
        ) from None

    # Eager attention traces to plain MatMul/Softmax; SDPA would not export cleanly.
    model = AutoModel.from_pretrained(
        str(transformer_dir), attn_implementation="eager", dtype=torch.float32
    )
    model.eval()

    class Encoder(torch.nn.Module):
        """BertModel with keyword inputs and a plain tensor out, so the graph's inputs do not
        hang on forward()'s parameter order, which moves between transformers releases."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    # The example batch must contain padding: with an all-ones mask transformers may skip
    # building the attention mask, and the trace would bake that shortcut in.
    input_ids = torch.tensor([[0, 100, 200, 300, 2], [0, 400, 2, 1, 1]], dtype=torch.long)
    attention_mask = (input_ids != 1).long()
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            Encoder(model),
            (input_ids, attention_mask),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=OPSET,
            do_constant_folding=True,
            # The dynamo exporter needs onnxscript, which the stack does not carry.
            dynamo=False,
        )


def _quantize(fp32: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel int8 weights keep cosine to fp32 >= 0.99; activations are quantised on
    # the fly, so no calibration data is needed.
    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True)


def _write_error(out_dir: Path, exc: OSError) -> ModelError:
    return ModelError(
        f"Cannot write the ONNX embedder to {out_dir}: {exc}. The build needs about "
        "600 MB while it runs (470 MB after for fp32, 120 MB for int8); free some space or "
        "point RAG_CACHE_DIR at a writable directory."
    )
