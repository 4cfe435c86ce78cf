"""The ONNX embedders: an fp32 copy of a sentence-transformers model (the same vectors as
torch, a start in ~2 s instead of ~9) and an int8 quantised copy, run with onnxruntime.

Built once, offline: ``rag model build`` exports the fp32 copy (``ensure_onnx``), ``rag model
build --onnx-int8`` the int8 one: the model's BertModel is exported with
``torch.onnx.export``, and for int8 its weights dynamically quantised with onnxruntime. Not
through optimum: it downgrades transformers and huggingface_hub and breaks gradio.

At run time only onnxruntime and ``tokenizers`` are needed, not torch: the same
``tokenizer.json`` sentence-transformers uses, mean pooling over the attention mask and L2
normalisation, as the model's own ``1_Pooling`` and ``2_Normalize`` modules do.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.embedder import MAX_WINDOW, Embedder
from rag.errors import ModelError
from rag.models.onnx_build import (
    BUILD_HINT,
    FP32_HINT,
    backend_name,
    check_pooling,
    is_fresh,
    local_model_dir,
    marker_name,
    onnx_dir,
    onnx_name,
    read_json,
    transformer_folder,
)

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from rag.settings import Settings


# --- running ---------------------------------------------------------------------------


class OnnxEmbedder(Embedder):
    """An ONNX copy (fp32 or int8) of a sentence-transformers model, run with onnxruntime on
    CPU.

    ``model_id`` is the configured model, not the engine: the vectors are the same model's
    (fp32: cosine 1.0000 to torch; int8: >= 0.99), so a store built with either serves both.
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
                f"The ONNX embedder needs onnxruntime and tokenizers ({exc}). "
                "Install the project's requirements, or set RAG_EMBED_BACKEND=torch."
            ) from None

        self.model_id = model_id
        self.batch_size = batch_size
        transformer = transformer_folder(model_dir)
        try:
            self.tokenizer: Tokenizer = Tokenizer.from_file(str(transformer / "tokenizer.json"))
        except Exception as exc:  # tokenizers raises its own Exception subclass
            raise ModelError(
                f"{transformer}/tokenizer.json cannot be loaded ({exc}); the ONNX engine "
                "needs a fast tokenizer file. Use RAG_EMBED_BACKEND=torch for this model."
            ) from None
        # Truncation and padding are done per batch below, so that count_tokens sees the
        # whole text and the one tokenizer is never reconfigured (it is shared by threads).
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self._specials = self.tokenizer.num_special_tokens_to_add(False)
        bert_config = read_json(transformer / "sentence_bert_config.json") or {}
        self.max_length = min(int(bert_config.get("max_seq_length") or MAX_WINDOW), MAX_WINDOW)
        config = read_json(transformer / "config.json") or {}
        self.pad_id = int(config.get("pad_token_id") or 0)
        st_config = read_json(model_dir / "config_sentence_transformers.json") or {}
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
                f"{onnx_path.parent} and rebuild it: `rag model build` (add --onnx-int8 for "
                "the int8 copy)."
            ) from None
        self.dimension = int(config.get("hidden_size") or self.session.get_outputs()[0].shape[-1])

    @classmethod
    def from_settings(cls, settings: Settings, path: str, precision: str = "int8") -> OnnxEmbedder:
        """The ONNX copy of the model at ``path`` (a local sentence-transformers directory).

        Raises ModelError with the command to run when the copy is missing or stale.
        """
        model_dir = local_model_dir(path, backend_name(precision))
        check_pooling(model_dir)
        out_dir = onnx_dir(settings, str(model_dir), precision)
        if not is_fresh(out_dir, model_dir, precision):
            built = (out_dir / marker_name(precision)).exists()
            state = "is out of date" if built else "has not been built"
            hint = BUILD_HINT if precision == "int8" else FP32_HINT
            raise ModelError(
                f"The {precision} ONNX copy of {settings.embed_model} ({out_dir}) {state}. {hint}"
            )
        return cls(
            out_dir / onnx_name(precision),
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


OnnxInt8Embedder = OnnxEmbedder  # the name the int8 engine had
