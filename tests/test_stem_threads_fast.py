"""Stemming from many threads at once (the web chat answers on several): each thread's
words get the stems they get alone. A Snowball stemmer shared by the threads stemmed
another thread's word half-way and raised IndexError (the concurrency test's failure)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from rag.text.analysis import stem

WORDS = ["والمطالبات", "المفاوضات", "بالانسحاب", "demanded", "negotiations", "withdrawal"]


def test_threads_stem_as_one_thread_does() -> None:
    def words(n: int) -> list[str]:  # distinct words, so the stem cache does not answer
        return [
            f"{w}{chr(0x0628 + n % 20) if i < 3 else 'x' * (n % 7)}" for i, w in enumerate(WORDS)
        ]

    batches = [words(n) * 40 for n in range(400)]
    stem.cache_clear()
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda ws: [stem(w) for w in ws], batches))
    stem.cache_clear()
    alone = [[stem(w) for w in ws] for ws in batches]
    assert together == alone
