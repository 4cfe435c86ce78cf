"""Domain errors. Raised deep, converted at the edges (CLI exit codes, gr.Error in the app).

Every message says what went wrong and how to fix it.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class for every error a user can cause or fix."""

    exit_code = 1


class ConfigError(RagError):
    """A setting is wrong or cannot be honoured (names the RAG_ variable)."""

    exit_code = 2


class ModelError(RagError):
    """The embedder cannot be built or loaded."""


class StoreError(RagError):
    """The vector store cannot be opened, read or written."""


class RecordError(StoreError):
    """The store refused what the records of a write hold (a value it cannot take), not
    the disk or the server: the records can be written again without the bad one."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class EmbedderMismatch(StoreError):
    """The collection was built with another embedder or chunking."""


class InputError(RagError):
    """A file or record given by the user cannot be used."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason
