"""rag: retrieval-augmented answers over Arabic and English news, with citations."""

__version__ = "0.1.0"
