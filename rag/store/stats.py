"""Corpus statistics: what is in the store, for `rag stats` and the app."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rag.store.chunks import ChunkStore


def corpus_stats(store: ChunkStore) -> dict[str, Any]:
    """Documents, chunks, sentence vectors, languages, sources, date range, embed model,
    location, last ingest."""
    languages: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    dates: list[str] = []
    documents = 0
    for meta in store.iter_registry():
        documents += 1
        languages[meta.get("language") or "other"] += 1
        sources[meta.get("source") or "(none)"] += 1
        if meta.get("date"):
            dates.append(str(meta["date"])[:10])
    recorded = store.recorded_profile()
    return {
        "documents": documents,
        "chunks": store.count(),
        # Stored candidate-sentence vectors (rag/store/sentences.py); 0: a store ingested
        # before them or with RAG_SENTENCE_VECTORS=false, whose answers embed sentences.
        "sentence_vectors": store.sentences.count(),
        "languages": dict(languages.most_common()),
        "sources": dict(sources.most_common()),
        "date_range": [min(dates), max(dates)] if dates else None,
        "embed_model": recorded.get("embed_model") or store.profile.embed_model,
        "dimension": recorded.get("dimension") or store.profile.dimension,
        "embed_backend": recorded.get("embed_backend"),
        "chunking": {
            "chunk_tokens": recorded.get("chunk_tokens"),
            "chunk_overlap": recorded.get("chunk_overlap"),
        },
        "store": store.location,
        "collection": store.name,
        "last_ingest": store.last_ingest(),
    }
