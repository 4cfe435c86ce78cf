"""Talking to Chroma: opening the client (embedded or a server), the recorded dimension,
batching under Chroma's limit, and turning Chroma's own errors into a StoreError."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

from rag.errors import StoreError

if TYPE_CHECKING:
    from rag.settings import Settings

# Chroma refuses batches above ~5461 records.
MAX_BATCH = 4000
# HNSW candidates looked at per query. At Chroma's default (100) a query for 40 candidates
# missed passages ranked ~30th by exact cosine, and which ones varied from one process to the
# next: an English question's Arabic answer in the dev suite was found in half the runs. At
# 200 the same queries return the exact top 40 every time.
SEARCH_EF = 200
log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def store_op(what: str) -> Callable[[F], F]:
    """Chroma's own errors (disk full, locked, corrupt) become a StoreError naming the setting."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, *args, **kwargs)
            except StoreError:
                raise
            except Exception as exc:
                raise StoreError(
                    f"{what} at {self.location} failed ({exc.__class__.__name__}: "
                    f"{first_line(exc)}). {self.where_hint()}"
                ) from None

        return inner  # type: ignore[return-value]

    return wrap


def first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:300]


def open_client(settings: Settings) -> Any:
    """A Chroma client: embedded under data_dir, or a server when RAG_CHROMA_URL is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        try:
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:  # chromadb raises several transport errors
            raise StoreError(
                f"RAG_CHROMA_URL={settings.chroma_url}: cannot reach the Chroma server "
                f"({exc.__class__.__name__}). Start it with `chroma run --path DIR --port "
                f"{url.port or 8000}` or unset RAG_CHROMA_URL to use the embedded store."
            ) from None
        return client
    path = settings.chroma_path
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(
            f"RAG_DATA_DIR={settings.data_dir}: the store at {path} is read-only, and Chroma "
            "needs write access even to answer questions. Make it writable, or copy it to a "
            "writable place and point RAG_DATA_DIR there."
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        raise StoreError(
            f"RAG_DATA_DIR={settings.data_dir}: cannot open the Chroma store at {path} "
            f"({exc.__class__.__name__}: {exc}). Check that the directory is writable."
        ) from None


def recorded_dimension(settings: Settings, client: Any) -> int | None:
    """The vector dimension recorded on the configured collection, None if it does not exist."""
    try:
        collection = client.get_collection(settings.collection)
    except Exception:  # absent collection (Chroma raises NotFoundError or ValueError)
        return None
    dimension = (collection.metadata or {}).get("dimension")
    return int(dimension) if dimension else None


def batches(items: list[str], size: int) -> Iterator[list[str]]:
    for lo in range(0, len(items), size):
        yield items[lo : lo + size]


def wide_search(collection: Any) -> Any:
    """`collection` with HNSW's ef_search at least SEARCH_EF (older collections are raised
    when opened; the setting is kept by the collection)."""
    try:
        hnsw = (collection.configuration or {}).get("hnsw") or {}
        if int(hnsw.get("ef_search") or 0) < SEARCH_EF:
            collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
    except Exception as exc:  # a read-only store, or a server without the setting
        log.warning("ef_search of %s stays as it is (%s)", collection.name, first_line(exc))
    return collection
