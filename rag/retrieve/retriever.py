"""Hybrid retrieval: dense (Chroma) + BM25, fused by language-aware RRF, diversified by MMR.

Why language-aware: BM25 only matches words, so when the question and a passage are in
different languages its hits are noise (shared names, digits), and plain fusion lets that
noise bury the right cross-lingual passages the dense side found. BM25 hits therefore count
only when they are in the question's language and score near the best BM25 hit. The
dense side searches twice in a two-language archive: with the question's vector, for its
own language, and with that vector moved across the language gap, for the other language
(`rag.retrieve.language_shift`).

Filters (language, source, dates) are applied after an over-fetch of unfiltered candidates:
unfiltered queries stay on Chroma's fast path; a Chroma `where` query (60-120x slower at
100k chunks) runs only when the over-fetch leaves too few passages.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from rag.options import RetrieverMode
from rag.retrieve.language_shift import LanguageShift
from rag.store.bm25_index import Bm25Index
from rag.store.chunks import ChunkStore
from rag.store.documents import DOC_FIELDS, Hit
from rag.store.filters import Filters
from rag.text.analysis import other_language, script_language
from rag.text.focus import Term, checkable, focus_terms, index_text, matches

if TYPE_CHECKING:
    from rag.embedder import Embedder
    from rag.settings import Settings

# MMR picks k passages from the best MMR_POOL_FACTOR * k fused candidates.
MMR_POOL_FACTOR = 4
# Cosine above which two passages count as copies of one story.
NEAR_COPY = 0.95


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with where it comes from and how it scored."""

    chunk_id: str
    doc_id: str
    text: str
    title: str
    source: str
    url: str
    date: str
    language: str
    start: int
    end: int
    score: float  # fused score used for ranking
    dense_score: float  # cosine similarity to the question (calibrated evidence strength)
    bm25_score: float = 0.0
    vector: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_hit(cls, hit: Hit, score: float, dense: float, bm25: float) -> Passage:
        m = hit.metadata
        return cls(
            chunk_id=hit.chunk_id,
            doc_id=str(m.get("doc_id", "")),
            text=hit.text,
            **{name: str(m.get(name, "")) for name in DOC_FIELDS},
            start=int(m.get("start", 0)),
            end=int(m.get("end", 0)),
            score=score,
            dense_score=dense,
            bm25_score=bm25,
            vector=hit.vector,
        )


class Retriever:
    """Finds the passages for a question. Keeps the BM25 index in memory between queries."""

    def __init__(
        self, settings: Settings, embedder: Embedder, store: ChunkStore, bm25: Bm25Index
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.bm25 = bm25
        self.shift = LanguageShift(embedder, settings.cache_dir)

    def refresh(self) -> None:
        """Pick up an index saved by an ingest since this one was loaded (a stat, no read)."""
        if self.bm25.is_outdated():
            self.bm25 = Bm25Index.open(self.settings, self.store)

    def retrieve(
        self,
        query: str,
        k: int | None = None,
        mode: RetrieverMode | None = None,
        filters: Filters | None = None,
        query_vector: np.ndarray | None = None,
        language: str | None = None,
        translation: str | None = None,
    ) -> list[Passage]:
        """The k best passages for `query`, best first. `language` is the question's, when
        the caller decided it (the assistant does, once per question). `translation`, the
        question in the other language (Arabic <-> English), searches that language's
        passages by their words too."""
        s = self.settings
        k = k or s.top_k
        mode = mode or s.retriever
        filters = filters or Filters()
        pool = max(s.candidates, 4 * k)
        qvec = query_vector if query_vector is not None else self.embedder.embed_query(query)
        qlang = language or script_language(query)

        dense = self._dense(qvec, pool, filters) if mode != "bm25" else []
        if dense and filters.language in (None, "", other_language(qlang)):
            dense = self._across(dense, qvec, qlang, pool, filters)
        lexical = (
            self._lexical(query, qlang, pool, filters, gate=mode == "hybrid")
            if mode != "dense"
            else []
        )

        translated = (
            self._lexical(translation, other_language(qlang), pool, filters, gate=True)
            if translation and mode == "hybrid"
            else []
        )

        fused: dict[str, float] = {}
        # BM25 cannot see a passage in another language: it may take BM25's share when it
        # states a name or number of the question, or when the translation's words rank
        # it (a share, never two: a small model's translation misspells names, and a
        # same-language question must not be crowded out by the other language).
        other_share: dict[str, float] = {}
        if s.fusion == "language-rank":
            ranks = language_ranks(dense)
            others = [h for h in dense if _other(h, qlang)]
        else:
            dense = calibrated_order(dense, qlang, self.offsets)
            ranks = list(range(len(dense)))
            others = self._supported(query, qlang, dense)
        for rank, hit in zip(ranks, dense, strict=True):
            fused[hit.chunk_id] = s.dense_weight / (s.rrf_k + rank + 1)
        if mode == "hybrid":
            # language-rank: each other-language hit keeps its rank in its language;
            # calibrated: the supported hits are ranked among themselves.
            other_ranks = (
                [r for r, h in zip(ranks, dense, strict=True) if _other(h, qlang)]
                if s.fusion == "language-rank"
                else list(range(len(others)))
            )
            for rank, hit in zip(other_ranks, others, strict=True):
                other_share[hit.chunk_id] = s.bm25_weight / (s.rrf_k + rank + 1)
        for rank, (cid, _) in enumerate(lexical):
            fused[cid] = fused.get(cid, 0.0) + s.bm25_weight / (s.rrf_k + rank + 1)
        for rank, (cid, _) in enumerate(translated):
            share = s.bm25_weight / (s.rrf_k + rank + 1)
            other_share[cid] = max(other_share.get(cid, 0.0), share)
        for cid, share in other_share.items():
            fused[cid] = fused.get(cid, 0.0) + share
        if not fused:
            return []
        # Only the best fused candidates go on to MMR: fetch texts and vectors for just those.
        shortlist = sorted(fused, key=fused.__getitem__, reverse=True)[: MMR_POOL_FACTOR * k]
        hits = {h.chunk_id: h for h in self.store.get_chunks(shortlist)}
        bm25_scores = dict(translated) | dict(lexical)
        passages = []
        for cid in shortlist:
            if cid not in hits:  # deleted by an ingest since the candidates were found
                continue
            hit = hits[cid]
            assert hit.vector is not None  # get_chunks always brings the vector
            cos = float(np.dot(hit.vector, qvec))
            passages.append(Passage.from_hit(hit, fused[cid], cos, bm25_scores.get(cid, 0.0)))
        passages.sort(key=lambda p: p.score, reverse=True)
        return mmr(passages, k, s.mmr_lambda)

    def _across(
        self, dense: list[Hit], qvec: np.ndarray, qlang: str, pool: int, filters: Filters
    ) -> list[Hit]:
        """The dense hits with the other language's taken from a second search by the
        question's vector moved towards that language (`LanguageShift`), scored by their
        cosine with the moved vector: the question's own language keeps its hits."""
        if not (self.bm25.has_language(other_language(qlang)) and self.bm25.has_language(qlang)):
            # One language in the archive: nothing to find in the other, or nothing of the
            # question's own to compete with (moving the question would only add a bias:
            # near-topic suite, English questions over Arabic paragraphs, hit@5 0.77 moved,
            # 0.79 not).
            return dense
        moved = self.shift.moved(qvec, qlang, self.settings.language_shift)
        if moved is None:
            return dense
        theirs = [h for h in self._dense(moved, pool, filters) if _other(h, qlang)]
        ours = [h for h in dense if not _other(h, qlang)]
        return sorted(ours + theirs, key=lambda h: h.score, reverse=True)

    @property
    def offsets(self) -> dict[str, float]:
        """Per question-passage language pair, what is added to the cosine before ranking."""
        s = self.settings
        return {"en-ar": s.fusion_offset_en_ar, "ar-en": s.fusion_offset_ar_en}

    def _supported(self, query: str, qlang: str, dense: list[Hit]) -> list[Hit]:
        """The other-language hits (in calibrated order) that may take BM25's share: those
        scoring near the best question-language hit on the calibrated scale, and those that
        state a name or number of the question."""
        offsets = self.offsets
        shifted = {h.chunk_id: adjusted(h, qlang, offsets) for h in dense}
        own = [shifted[h.chunk_id] for h in dense if not _other(h, qlang)]
        floor = (max(own) if own else float("-inf")) - self.settings.fusion_margin
        others = [h for h in dense if _other(h, qlang)]
        near = {h.chunk_id for h in others if shifted[h.chunk_id] >= floor}
        stated = {
            h.chunk_id for h in self._stated(query, [h for h in others if h.chunk_id not in near])
        }
        return [h for h in others if h.chunk_id in near or h.chunk_id in stated]

    def _stated(self, query: str, hits: list[Hit]) -> list[Hit]:
        """The other-language hits that state a name or number of the question (matched
        across scripts): only those stand in for the BM25 match their language cannot get."""
        terms = checkable(focus_terms(query), cross_script=True)
        if not hits or not terms:
            return []
        texts = {h.chunk_id: h.text for h in self.store.get_chunks([h.chunk_id for h in hits])}
        return [h for h in hits if _states(terms, texts.get(h.chunk_id, ""))]

    def _dense(self, qvec: np.ndarray, pool: int, filters: Filters) -> list[Hit]:
        if not filters:
            return self._candidates(qvec, pool)
        wide = pool * self.settings.filter_overfetch
        over = self._candidates(qvec, wide)
        kept = [h for h in over if filters.accepts(h.metadata)]
        if len(kept) >= min(pool, 10):
            return kept[:pool]
        # Too few survivors: ask Chroma to filter (slow path), then apply the date range.
        slow = self.store.query(qvec, wide, filters.where(), full=False)
        return [h for h in slow if filters.accepts(h.metadata)][:pool]

    def _candidates(self, qvec: np.ndarray, n: int) -> list[Hit]:
        """The n nearest chunks, with their language, source and date from the BM25 index
        in memory (Chroma's metadata read was most of a wide query's time); a chunk the
        index does not hold yet (an ingest since it was loaded) is read from Chroma."""
        hits = self.store.query(qvec, n, full=False, metadata=False)
        known = self.bm25.metadata([h.chunk_id for h in hits])
        if len(known) < len(hits):
            return self.store.query(qvec, n, full=False)
        return [replace(h, metadata=known[h.chunk_id]) for h in hits]

    def _lexical(
        self, query: str, lang: str, pool: int, filters: Filters, gate: bool
    ) -> list[tuple[str, float]]:
        mask = self.bm25.mask(filters.language, filters.source, filters.date_from, filters.date_to)
        found = self.bm25.search(query, pool, mask)
        if not found or not gate:
            return [(h.chunk_id, h.score) for h in found]
        floor = found[0].score * self.settings.bm25_min_ratio
        return [
            (h.chunk_id, h.score)
            for h in found
            if h.score >= floor and (lang == "other" or h.language in (lang, "other", ""))
        ]


def states_across(query: str, text: str) -> bool:
    """Does `text`, in the other script, state a name or number of `query` (Leeds / ليدز)?"""
    return _states(checkable(focus_terms(query), True), text)


def _states(terms: list[Term], text: str) -> bool:
    index = index_text(text)
    return any(matches(t, index, True) for t in terms)


def _other(hit: Hit, qlang: str) -> bool:
    """Is the hit in the other answer language than the question's?"""
    return hit.metadata.get("language") not in (qlang, "other", "")


def calibrated_order(hits: list[Hit], qlang: str, offsets: dict[str, float]) -> list[Hit]:
    """The dense hits in one ranking across languages: each cosine plus its language pair's
    offset (multilingual-e5 scores a passage in the other language lower than an equally
    relevant one in the question's language; the offsets are fitted on data)."""

    return sorted(hits, key=lambda h: adjusted(h, qlang, offsets), reverse=True)


def adjusted(hit: Hit, qlang: str, offsets: dict[str, float]) -> float:
    """A dense hit's cosine on the calibrated scale (its language pair's offset added)."""
    return hit.score + offsets.get(f"{qlang}-{hit.metadata.get('language', '')}", 0.0)


def language_ranks(hits: list[Hit]) -> list[int]:
    """Each dense hit's rank among the hits of its own language.

    multilingual-e5 scores a passage in the question's language above an equally relevant
    one in the other language, so by plain rank an English question's Arabic answer sits
    under every English passage on the subject. Ranked within its language, the best
    passage of each language enters fusion on equal terms; BM25 (question language only)
    still favours the question's language when it matches words.
    """
    seen: dict[str, int] = {}
    ranks = []
    for hit in hits:
        lang = str(hit.metadata.get("language", ""))
        ranks.append(seen.get(lang, 0))
        seen[lang] = seen.get(lang, 0) + 1
    return ranks


def mmr(passages: list[Passage], k: int, lam: float) -> list[Passage]:
    """Maximal marginal relevance: relevant passages that are not near-copies of each other.

    Passages closer than NEAR_COPY to one already chosen (the same wire story in two papers)
    are taken only when nothing else is left.
    """
    if len(passages) <= 1 or lam >= 1.0:
        return passages[:k]
    top = passages[0].score
    low = min(p.score for p in passages)
    span = (top - low) or 1.0
    rel = np.array([(p.score - low) / span for p in passages])
    dim = next((p.vector.shape[0] for p in passages if p.vector is not None), 1)
    vecs = np.stack([p.vector if p.vector is not None else np.zeros(dim) for p in passages])
    sims = vecs @ vecs.T
    chosen: list[int] = [0]
    rest = list(range(1, len(passages)))
    while rest and len(chosen) < k:

        def gain(i: int) -> tuple[bool, float]:
            closest = float(sims[i, chosen].max())
            return (closest < NEAR_COPY, lam * rel[i] - (1 - lam) * closest)

        best = max(rest, key=gain)
        chosen.append(best)
        rest.remove(best)
    return [passages[i] for i in chosen]
