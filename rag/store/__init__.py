"""Where articles live: the Chroma chunks and document registry, the BM25 index beside them,
the write lock, the archive (list and delete) and the store's statistics."""
