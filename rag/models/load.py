"""The embedding engines and the one place that picks one from Settings: sentence-transformers
on torch (CPU or CUDA) or an ONNX copy, fp32 or int8 (`rag.models.onnx_engine`); `auto`, the
default, takes the fp32 ONNX copy on a CPU when it is built."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.embedder import MAX_WINDOW, WORD, Embedder, WordStates
from rag.errors import ConfigError, ModelError

if TYPE_CHECKING:
    from rag.settings import Settings

log = logging.getLogger(__name__)
# The encoder layer whose token states align words (of 12 in e5-small): middle layers align
# translations and paraphrases best; `bench/alignment.py` measures every layer.
ALIGN_LAYER = 6
CUDA_DRIVER = "/proc/driver/nvidia/version"  # present where an NVIDIA driver is loaded


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model run with torch."""

    def __init__(
        self,
        path_or_id: str,
        model_id: str,
        batch_size: int = 32,
        threads: int = 0,
        device: str = "cpu",
    ) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.model_id = model_id
        self.batch_size = batch_size
        self.device = resolve_device(device)
        self.model = SentenceTransformer(path_or_id, device=self.device)
        if self.device == "cuda":
            self.model.half()  # fp16: twice the throughput; e5 vectors agree to ~1e-3
        self.model.max_seq_length = min(self.model.max_seq_length or MAX_WINDOW, MAX_WINDOW)
        self.tokenizer = self.model.tokenizer
        dimension = self.model.get_embedding_dimension()
        if dimension is None:
            raise ModelError(f"{model_id}: the model does not report its vector dimension")
        self.dimension = int(dimension)
        # Models without e5-style prompts get none: their own convention is unknown.
        prompts = getattr(self.model, "prompts", {}) or {}
        self.query_prompt = prompts.get("query", "")
        self.passage_prompt = prompts.get("passage", prompts.get("document", ""))

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def word_states(self, texts: Sequence[str], prompt: str = "") -> list[WordStates]:
        """Contextual word vectors: the encoder's token states at `ALIGN_LAYER`, averaged
        over each word's tokens. A middle layer aligns translated and paraphrased words
        without training (SimAlign); `bench/alignment.py` measures the layers."""
        import torch

        out: list[WordStates] = []
        encoder: torch.nn.Module = self.model[0].auto_model  # type: ignore[assignment]
        for start in range(0, len(texts), self.batch_size):
            batch = [prompt + t for t in texts[start : start + self.batch_size]]
            enc = self.tokenizer(
                batch,
                return_offsets_mapping=True,
                padding=True,
                truncation=True,
                max_length=MAX_WINDOW,
                return_tensors="pt",
            )
            offsets = enc.pop("offset_mapping").numpy()
            with torch.inference_mode():
                hidden = encoder(**enc.to(self.device), output_hidden_states=True)
            states = hidden.hidden_states[ALIGN_LAYER].float().cpu().numpy()
            for text, offs, vecs in zip(batch, offsets, states, strict=True):
                out.append(pool_words(text, len(prompt), offs, vecs))
        return out

    def count_tokens(self, text: str) -> int:
        counter = self._counter
        if counter is not None:
            return len(counter.encode(text, add_special_tokens=False).ids)
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    @functools.cached_property
    def _counter(self) -> Any:
        """A private copy of the Rust tokenizer for counting (None without one): the chunker
        calls count_tokens for every piece it weighs, and the Python wrapper costs ~40% more
        per call. A copy, because encode() leaves truncation at 512 set on the shared one.
        Built on first use: copying costs ~1.5 s, which a question never needs to pay."""
        backend = getattr(self.tokenizer, "backend_tokenizer", None)
        if backend is None:
            return None
        from tokenizers import Tokenizer

        counter = Tokenizer.from_str(backend.to_str())
        counter.no_truncation()
        counter.no_padding()
        return counter


def pool_words(text: str, skip: int, offsets: np.ndarray, states: np.ndarray) -> WordStates:
    """Average each word's token states (words: `WORD` matches after the first `skip`
    characters; a token belongs to the word its characters overlap); L2-normalised."""
    spans = [m.span() for m in WORD.finditer(text, skip)]
    words = tuple(text[a:b] for a, b in spans)
    sums = np.zeros((len(spans), states.shape[1]), dtype=np.float32)
    if spans:
        starts = np.array([a for a, _ in spans])
        ends = np.array([b for _, b in spans])
        for (a, b), vec in zip(offsets, states, strict=True):
            if b <= a:
                continue  # special and padding tokens
            i = int(np.searchsorted(ends, a, side="right"))
            while i < len(spans) and starts[i] < b:
                sums[i] += vec
                i += 1
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return WordStates(words, sums / np.maximum(norms, 1e-9))


def resolve_model_path(settings: Settings) -> str:
    """Where the configured model's files are: the converted default, a local dir, or a hub id."""
    from rag.settings import DEFAULT_EMBED_MODEL

    name = settings.embed_model
    if name == DEFAULT_EMBED_MODEL:
        from rag.models.build import ensure_default_model

        return str(ensure_default_model(settings.cache_dir))
    if Path(name).expanduser().exists():
        return str(Path(name).expanduser())
    return name


def resolve_device(device: str) -> str:
    """auto -> cuda when torch sees a GPU, else cpu; cuda without one is a clear error."""
    import torch

    available = torch.cuda.is_available()
    if device == "auto":
        return "cuda" if available else "cpu"
    if device == "cuda" and not available:
        raise ConfigError(
            "RAG_DEVICE=cuda: torch sees no CUDA device (this torch build or machine has "
            "none); use RAG_DEVICE=auto or cpu"
        )
    return device


def resolved_backend(settings: Settings, path: str) -> str:
    """RAG_EMBED_BACKEND=auto: the fp32 ONNX copy when it is built (`rag model build`) and no
    CUDA GPU is asked for or present (the driver's file, so torch is not imported), else
    torch. The two give the same vectors; ONNX starts in ~2 s, torch in ~9."""
    if settings.embed_backend != "auto":
        return settings.embed_backend
    if settings.device == "cuda" or (settings.device == "auto" and Path(CUDA_DRIVER).exists()):
        return "torch"
    from rag.models.onnx_build import is_built

    return "onnx" if is_built(settings, path, "fp32") else "torch"


def load_embedder(settings: Settings) -> Embedder:
    """Build the embedder the settings ask for. The one place engines are chosen."""
    # Without this a hub id retries five times with back-off before failing offline.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    # "Loading weights" bars on every start are noise in a CLI and in logs.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    path = resolve_model_path(settings)
    backend = resolved_backend(settings, path)
    if backend in ("onnx", "onnx-int8"):
        from rag.models.onnx_engine import OnnxEmbedder

        return OnnxEmbedder.from_settings(settings, path, "int8" if "int8" in backend else "fp32")
    try:
        return SentenceTransformerEmbedder(
            path,
            model_id=settings.embed_model,
            batch_size=settings.batch_size,
            threads=settings.effective_threads,
            device=settings.device,
        )
    except (OSError, ValueError) as exc:
        if Path(path).exists():
            raise ModelError(
                f"RAG_EMBED_MODEL={settings.embed_model}: the directory {path} is not a "
                f"sentence-transformers model ({exc.__class__.__name__}: {exc})"
            ) from None
        raise ConfigError(
            f"RAG_EMBED_MODEL={settings.embed_model}: no local copy of this model and the model "
            "hub cannot be reached. Set RAG_EMBED_MODEL to a local sentence-transformers "
            "directory, or unset it to use the bundled multilingual-e5-small."
        ) from None


class TokenCounter:
    """The embedder's token count from its tokenizer file alone, without the weights: what
    chunking needs (the ray engine's read actors stay light). Counts as the embedder does."""

    def __init__(self, model_dir: Path) -> None:
        import json

        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        config = model_dir / "config_sentence_transformers.json"
        prompts = json.loads(config.read_text()).get("prompts", {}) if config.is_file() else {}
        self.passage_prompt = prompts.get("passage", prompts.get("document", ""))

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)


def load_token_counter(settings: Settings) -> TokenCounter | Embedder:
    """A `TokenCounter` for the configured model when it has a tokenizer file, else the
    embedder itself."""
    path = Path(resolve_model_path(settings))
    if (path / "tokenizer.json").is_file():
        return TokenCounter(path)
    return load_embedder(settings)
