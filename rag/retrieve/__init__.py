"""From a question to passages: follow-up rewriting, then hybrid retrieval (dense + BM25,
language-fair fusion, filters, MMR)."""
