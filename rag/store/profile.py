"""What built a collection (embedder, dimension, chunking, engine): recorded on it when
it is created and checked whenever it is opened (rag/store/chunks.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.settings import Settings

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class StoreProfile:
    """What built a collection: recorded on it, checked whenever it is opened."""

    embed_model: str
    dimension: int
    chunk_tokens: int
    chunk_overlap: int
    embed_backend: str = "torch"

    @classmethod
    def of(cls, settings: Settings, dimension: int) -> StoreProfile:
        """The profile the configured embedder and chunking give a collection."""
        return cls(
            settings.embed_model,
            dimension,
            settings.chunk_tokens,
            settings.chunk_overlap,
            settings.embed_backend,
        )

    def as_metadata(self) -> dict[str, Any]:
        return {
            "embed_model": self.embed_model,
            "dimension": self.dimension,
            "chunk_tokens": self.chunk_tokens,
            "chunk_overlap": self.chunk_overlap,
            "embed_backend": self.embed_backend,
            "schema": SCHEMA_VERSION,
        }
