"""LangChain fit: the embedder as `Embeddings`, the retriever as `BaseRetriever`.

So a user can drop them into their own chains:
    retriever = NewsRetriever.from_settings(load_settings())
    docs = retriever.invoke("ماذا طالب أردوغان؟")
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.embedder import Embedder
from rag.options import RetrieverMode
from rag.retrieve.retriever import Passage, Retriever
from rag.store.filters import Filters


class NewsEmbeddings(Embeddings):
    """The project's embedder (e5 prompts included) behind LangChain's interface."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_documents(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()


def passage_to_document(passage: Passage) -> LCDocument:
    return LCDocument(
        page_content=passage.text,
        metadata={
            "chunk_id": passage.chunk_id,
            "doc_id": passage.doc_id,
            "title": passage.title,
            "source": passage.source,
            "url": passage.url,
            "date": passage.date,
            "language": passage.language,
            "score": passage.score,
            "dense_score": passage.dense_score,
        },
        id=passage.chunk_id,
    )


class NewsRetriever(BaseRetriever):
    """Hybrid (or dense/bm25) retrieval over the news store as a LangChain retriever."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any
    k: int = 5
    mode: RetrieverMode = "hybrid"
    filters: Filters = Filters()

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> NewsRetriever:
        """Open the configured store, embedder and BM25 index."""
        from rag.wiring import Parts

        assistant = Parts(settings).assistant
        return cls(retriever=assistant.retriever, **kwargs)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        inner: Retriever = self.retriever
        passages = inner.retrieve(query, k=self.k, mode=self.mode, filters=self.filters)
        return [passage_to_document(p) for p in passages]
