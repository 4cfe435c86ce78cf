"""The int8 ONNX embedder: a quantised copy of a sentence-transformers model run with onnxruntime.

Built once, offline, by ``rag model build --onnx-int8`` (``ensure_onnx_int8``):
the model's BertModel is exported with ``torch.onnx.export`` and its weights dynamically
quantised to int8 with onnxruntime. Not through optimum: it downgrades transformers and
huggingface_hub and breaks gradio (see shared/design/stack-notes.md).

At run time only onnxruntime and ``tokenizers`` are needed, not torch: the same
``tokenizer.json`` sentence-transformers uses, mean pooling over the attention mask and L2
normalisation, as the model's own ``1_Pooling`` and ``2_Normalize`` modules do.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.embedder import MAX_WINDOW, Embedder
from rag.errors import ModelError
from rag.models.build import file_lock, sha256_file, staged_dir

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from rag.settings import Settings

log = logging.getLogger(__name__)

# Bump when the exported graph or the quantisation changes, so stale copies are rebuilt.
FORMAT_VERSION = 1
ONNX_NAME = "model_int8.onnx"
MARKER_NAME = "onnx-int8-build.json"  # written last: its presence means "complete"
OPSET = 17
BUILD_HINT = "Build it with `rag model build --onnx-int8`, or set RAG_EMBED_BACKEND=torch."
# Files of the transformer whose change makes an int8 copy stale. The tokenizer is not among
# them: it is read from the model directory at load time, never copied.
_SOURCE_SUFFIXES = (".safetensors", ".bin")


# --- where things are ------------------------------------------------------------------


def onnx_int8_dir(settings: Settings, model_path: str) -> Path:
    """Directory of the int8 copy of the model at ``model_path`` under the cache dir."""
    return Path(settings.cache_dir) / "onnx" / f"{Path(model_path).name}-int8"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path} cannot be read ({exc}); rebuild the model directory.") from None


def _model_dir(model_path: str) -> Path:
    path = Path(model_path).expanduser()
    if not path.is_dir():
        raise ModelError(
            f"RAG_EMBED_BACKEND=onnx-int8 needs a local sentence-transformers directory; "
            f"{model_path} is not one. Point RAG_EMBED_MODEL at a local copy, or unset it "
            "to use the bundled multilingual-e5-small."
        )
    return path


def _transformer_dir(model_dir: Path) -> Path:
    """The folder of the model's Transformer module (the root in the usual layout)."""
    modules = _read_json(model_dir / "modules.json") or []
    for module in modules:
        if str(module.get("type", "")).endswith(".Transformer"):
            return model_dir / module.get("path", "")
    return model_dir


def _check_pooling(model_dir: Path) -> None:
    """Refuse models whose pooling this engine would not reproduce (it only mean-pools)."""
    modules = _read_json(model_dir / "modules.json") or []
    for module in modules:
        if str(module.get("type", "")).endswith(".Pooling"):
            config = _read_json(model_dir / module.get("path", "") / "config.json") or {}
            modes = sorted(k for k, v in config.items() if k.startswith("pooling_mode") and v)
            if modes != ["pooling_mode_mean_tokens"] or not config.get("include_prompt", True):
                raise ModelError(
                    f"{model_dir}: the onnx-int8 engine only does mean pooling over all tokens "
                    f"(this model has {modes or 'no pooling mode'}, include_prompt="
                    f"{config.get('include_prompt', True)}). Use RAG_EMBED_BACKEND=torch."
                )


def _source_files(model_dir: Path) -> list[Path]:
    folder = _transformer_dir(model_dir)
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


def _is_fresh(out_dir: Path, model_dir: Path) -> bool:
    """True when ``out_dir`` holds a complete int8 copy built from today's ``model_dir``."""
    try:
        marker = json.loads((out_dir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent or half-written by a crashed tool: rebuild
        return False
    if not isinstance(marker, dict) or marker.get("format_version") != FORMAT_VERSION:
        return False
    if not (out_dir / ONNX_NAME).is_file():
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


def ensure_onnx_int8(settings: Settings, model_path: str) -> Path:
    """Return the int8 ONNX file of the model at ``model_path``, building it if needed.

    The copy lives in ``<cache_dir>/onnx/<model dir name>-int8/``. A copy whose marker matches
    the model's weights is returned untouched; concurrent callers serialise on a lock file,
    so only the first one builds (20 s to 2 min on two cores).
    """
    model_dir = _model_dir(model_path)
    target = onnx_int8_dir(settings, str(model_dir))
    if _is_fresh(target, model_dir):
        return target / ONNX_NAME
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_error(target, exc) from exc
    with file_lock(target.parent / f".{target.name}.lock"):
        if _is_fresh(target, model_dir):  # another process finished while we waited
            return target / ONNX_NAME
        log.info("building the int8 ONNX embedder from %s (one-off, 20 s to 2 min)", model_dir)
        return build_onnx_int8(model_dir, target) / ONNX_NAME


def build_onnx_int8(model_dir: Path, out_dir: Path) -> Path:
    """Export ``model_dir``'s transformer to ONNX, quantise it to int8 into ``out_dir``.

    The directory is built in a temporary sibling (the fp32 export lives only there) and
    moved into place with ``os.replace``; the marker is written last. Returns ``out_dir``.
    """
    _check_pooling(model_dir)
    sources = _source_files(model_dir)
    with staged_dir(out_dir, _write_error) as tmp:
        fp32 = tmp / "model_fp32.onnx"
        started = time.perf_counter()
        _export_fp32(_transformer_dir(model_dir), fp32)
        export_s = time.perf_counter() - started
        started = time.perf_counter()
        _quantize(fp32, tmp / ONNX_NAME)
        quantize_s = time.perf_counter() - started
        fp32_bytes = fp32.stat().st_size
        fp32.unlink()
        marker = {
            "format_version": FORMAT_VERSION,
            "source_dir": str(model_dir.resolve()),
            "source_files": {p.name: _fingerprint(p) for p in sources},
            "opset": OPSET,
            "weight_type": "QInt8 per-channel (onnxruntime quantize_dynamic)",
            "fp32_bytes": fp32_bytes,
            "int8_bytes": (tmp / ONNX_NAME).stat().st_size,
            "export_s": round(export_s, 1),
            "quantize_s": round(quantize_s, 1),
            "created_unix": int(time.time()),
        }
        (tmp / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    log.info("int8 ONNX embedder %s: export %.1f s, quantise %.1f s", out_dir, export_s, quantize_s)
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
        f"Cannot write the int8 ONNX embedder to {out_dir}: {exc}. The build needs about "
        "600 MB while it runs (120 MB after); free some space or point RAG_CACHE_DIR at a "
        "writable directory."
    )


# --- running ---------------------------------------------------------------------------


class OnnxInt8Embedder(Embedder):
    """The int8 ONNX copy of a sentence-transformers model, run with onnxruntime on CPU.

    ``model_id`` is the configured model, not the engine: the vectors are the same model's
    (cosine >= 0.99 to torch fp32), so a store built with either engine serves both.
    """

    def __init__(
        self,
        onnx_path: Path,
        model_dir: Path,
        model_id: str,
        batch_size: int = 32,
        threads: int = 0,
    ) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelError(
                f"RAG_EMBED_BACKEND=onnx-int8 needs onnxruntime and tokenizers ({exc}). "
                "Install the project's requirements, or set RAG_EMBED_BACKEND=torch."
            ) from None

        self.model_id = model_id
        self.batch_size = batch_size
        transformer = _transformer_dir(model_dir)
        try:
            self.tokenizer: Tokenizer = Tokenizer.from_file(str(transformer / "tokenizer.json"))
        except Exception as exc:  # tokenizers raises its own Exception subclass
            raise ModelError(
                f"{transformer}/tokenizer.json cannot be loaded ({exc}); the onnx-int8 engine "
                "needs a fast tokenizer file. Use RAG_EMBED_BACKEND=torch for this model."
            ) from None
        # Truncation and padding are done per batch below, so that count_tokens sees the
        # whole text and the one tokenizer is never reconfigured (it is shared by threads).
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self._specials = self.tokenizer.num_special_tokens_to_add(False)
        bert_config = _read_json(transformer / "sentence_bert_config.json") or {}
        self.max_length = min(int(bert_config.get("max_seq_length") or MAX_WINDOW), MAX_WINDOW)
        config = _read_json(transformer / "config.json") or {}
        self.pad_id = int(config.get("pad_token_id") or 0)
        st_config = _read_json(model_dir / "config_sentence_transformers.json") or {}
        # The same prompt lookup as SentenceTransformerEmbedder, so both engines agree.
        prompts = st_config.get("prompts") or {}
        self.query_prompt = prompts.get("query", "")
        self.passage_prompt = prompts.get("passage", prompts.get("document", ""))

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        # One graph at a time: a second pool would only fight the first for the cores.
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(
                str(onnx_path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own Exception subclasses
            raise ModelError(
                f"{onnx_path} cannot be loaded by onnxruntime ({exc}). Delete "
                f"{onnx_path.parent} and rebuild it: `rag model build --onnx-int8`."
            ) from None
        self.dimension = int(config.get("hidden_size") or self.session.get_outputs()[0].shape[-1])

    @classmethod
    def from_settings(cls, settings: Settings, path: str) -> OnnxInt8Embedder:
        """The int8 copy of the model at ``path`` (a local sentence-transformers directory).

        Raises ModelError with the command to run when the copy is missing or stale.
        """
        model_dir = _model_dir(path)
        _check_pooling(model_dir)
        out_dir = onnx_int8_dir(settings, str(model_dir))
        if not _is_fresh(out_dir, model_dir):
            state = "is out of date" if (out_dir / MARKER_NAME).exists() else "has not been built"
            raise ModelError(
                f"The int8 ONNX copy of {settings.embed_model} ({out_dir}) {state}. {BUILD_HINT}"
            )
        return cls(
            out_dir / ONNX_NAME,
            model_dir,
            model_id=settings.embed_model,
            batch_size=settings.batch_size,
            threads=settings.effective_threads,
        )

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids with special tokens, truncated to the window as sentence-transformers does."""
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        ids = []
        for enc in encodings:
            # The tokenizer's own truncate + post_process: what encode(truncation=...) does
            # internally, so long texts lose exactly the tokens sentence-transformers drops.
            enc.truncate(self.max_length - self._specials)
            ids.append(self.tokenizer.post_process(enc).ids)
        return ids

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        ids = self.token_ids(texts)
        # Similar lengths side by side: a batch is padded to its longest text.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = max(len(ids[i]) for i in rows)
            input_ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                input_ids[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            (hidden,) = self.session.run(
                ["last_hidden_state"], {"input_ids": input_ids, "attention_mask": mask}
            )
            out[rows] = _mean_pool_normalise(hidden, mask)
        return out

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)


def _mean_pool_normalise(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
