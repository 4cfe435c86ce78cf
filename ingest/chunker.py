"""Arabic-aware chunking at sentence boundaries, sized in the embedder's own tokens."""

from __future__ import annotations

from typing import Protocol

from rag.store.documents import Chunk, Document, chunk_id_for, chunk_metadata

# Coarse to fine: paragraphs, lines, then sentence ends in Latin and Arabic script
# (. ! ? and ؟ ؛ ، ۔), clause commas, words, and characters as the last resort.
SEPARATORS = ["\n\n", "\n", ". ", "۔", "؟", "? ", "! ", "؛", "; ", "،", ", ", " ", ""]


class TokenCount(Protocol):
    """What chunking needs of the embedder (an `Embedder`, or a tokenizer-only counter)."""

    passage_prompt: str

    def count_tokens(self, text: str) -> int: ...


class Chunker:
    """Splits documents into chunks that fit the embedder window, prompt included."""

    def __init__(self, embedder: TokenCount, chunk_tokens: int, chunk_overlap: int) -> None:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.embedder = embedder
        # The budget is for the chunk text alone: the prompt and <s> </s> take the rest.
        overhead = embedder.count_tokens(embedder.passage_prompt) + 2
        self.budget = max(8, min(chunk_tokens, 512) - overhead)
        self.overlap = min(chunk_overlap, self.budget // 2)
        self.splitter = RecursiveCharacterTextSplitter(
            separators=SEPARATORS,
            keep_separator="end",
            chunk_size=self.budget,
            chunk_overlap=self.overlap,
            length_function=embedder.count_tokens,
            strip_whitespace=True,
        )

    def split(self, doc: Document) -> list[Chunk]:
        """Chunks of `doc` with their char offsets in `doc.text`, in reading order."""
        chunks: list[Chunk] = []
        content_hash = doc.content_hash
        cursor = 0
        for piece in self._pieces(doc.text):
            # Overlap means a piece may start before the end of the previous one.
            start = doc.text.find(piece, max(0, cursor - len(piece)))
            if start < 0:
                start = doc.text.find(piece)
            end = start + len(piece)
            cursor = end
            position = len(chunks)
            chunks.append(
                Chunk(
                    chunk_id=chunk_id_for(doc.doc_id, content_hash, position),
                    doc_id=doc.doc_id,
                    position=position,
                    start=start,
                    end=end,
                    text=piece,
                    metadata=chunk_metadata(doc, position, start, end, content_hash),
                )
            )
        return chunks

    def _pieces(self, text: str) -> list[str]:
        pieces = []
        for piece in self.splitter.split_text(text):
            if self.embedder.count_tokens(piece) <= self.budget + self.overlap // 4:
                pieces.append(piece)
            else:
                # Token counts are not additive across merges; cut the rare overshoot hard.
                pieces.extend(self._hard_split(piece))
        return [p for p in pieces if p.strip()]

    def _hard_split(self, text: str) -> list[str]:
        words = text.split(" ")
        out: list[str] = []
        current: list[str] = []
        for word in words:
            trial = " ".join([*current, word])
            if current and self.embedder.count_tokens(trial) > self.budget:
                out.append(" ".join(current))
                current = [word]
            else:
                current.append(word)
        if current:
            out.append(" ".join(current))
        return out
