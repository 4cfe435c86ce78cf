"""The BM25 side of retrieval, kept in step with the Chroma store and saved as plain files.

Files under `<data_dir>/state/<collection>/bm25/`:
- `tokens.jsonl`: one `[chunk_id, [tokens...], language, source, date]` per chunk, the source
  the scoring matrix is built from it on load and after each ingest (bm25s has no
  incremental update, and building is fast next to embedding);
- `manifest.json`: chunk count and a hash of the chunk ids, to notice a stale index;
- `DIRTY`: present while an ingest is changing the store (set before its first write); a
  killed ingest leaves it behind, and the next open rebuilds the index from Chroma.

Only a holder of the data dir's write lock saves: a reader that has to rebuild (a dirty or
stale index) saves its rebuild when the lock is free, and otherwise keeps it in memory, so
that it never replaces the files, or the DIRTY marker, of an ingest that is running.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.errors import StoreError
from rag.store.documents import Chunk, is_iso_date
from rag.store.write_lock import try_writer_lock
from rag.text.analysis import analyze

if TYPE_CHECKING:
    from rag.settings import Settings
    from rag.store.chunks import ChunkStore

log = logging.getLogger(__name__)
FORMAT_VERSION = 1


@dataclass(frozen=True)
class LexicalHit:
    chunk_id: str
    score: float
    language: str


def ids_digest(ids: Iterable[str]) -> str:
    """Order-independent digest of a set of chunk ids."""
    acc = 0
    for cid in ids:
        acc ^= int.from_bytes(hashlib.blake2b(cid.encode(), digest_size=8).digest(), "little")
    return f"{acc:016x}"


class Bm25Index:
    """BM25 over analysed chunk text, with per-chunk language/source/date for filtering."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.rows: dict[str, tuple[list[str], str, str, str]] = {}
        self.ids: list[str] = []
        self.model: Any = None
        self.meta: dict[str, np.ndarray] = {}
        self._languages: tuple[Any, frozenset[str]] = (None, frozenset())
        self._changed = False
        self._marked = False  # this writer has set DIRTY and not saved since
        self._lock = threading.Lock()
        self._manifest: dict[str, Any] = {}
        self.loaded_mtime = 0.0
        # Rebuilt from Chroma in memory only (a writer held the lock): not what is saved.
        self.provisional = False

    # --- opening ---------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        settings: Settings,
        store: ChunkStore,
        progress: Callable[[int, int], None] | None = None,
        verify_ids: bool = False,
        locked: bool = False,
    ) -> Bm25Index:
        """Load the saved index; rebuild it from Chroma when missing, dirty or stale (saved
        only under the write lock: `locked` says the caller holds it)."""
        return cls.open_at(settings.state_dir / "bm25", store, progress, verify_ids, locked)

    @classmethod
    def open_at(
        cls,
        directory: Path,
        store: ChunkStore,
        progress: Callable[[int, int], None] | None = None,
        verify_ids: bool = False,
        locked: bool = False,
    ) -> Bm25Index:
        """`open` for an index directory (`<state dir>/bm25`)."""
        index = cls(directory)
        if index._load() and not index._stale(store, verify_ids):
            return index
        log.info("BM25 index missing or stale; rebuilding from Chroma")
        if progress is not None:
            index._recover(store, progress, locked)
            return index
        with _terminal_bar("rebuilding BM25 index from Chroma") as bar:
            index._recover(store, bar, locked)
        return index

    def _recover(
        self, store: ChunkStore, progress: Callable[[int, int], None], locked: bool
    ) -> None:
        """Rebuild from Chroma; save only with the write lock held (by the caller, or taken
        here when free). While an ingest holds it, the rebuild stays in memory until that
        ingest saves a newer index (`is_outdated`)."""
        if locked:
            self.rebuild_from(store, progress)
            return
        with try_writer_lock(self.dir.parent) as held:
            if held:
                self.rebuild_from(store, progress)
                return
            self.loaded_mtime = self._manifest_mtime()  # before reading: a save meanwhile shows
            self._fill_from(store, progress)
            self._build()
            self.provisional = True

    def _load(self) -> bool:
        manifest = self.dir / "manifest.json"
        if (self.dir / "DIRTY").exists() or not manifest.exists():
            return False
        try:
            info = json.loads(manifest.read_text())
            if info.get("version") != FORMAT_VERSION:
                return False
            with open(self.dir / "tokens.jsonl", encoding="utf-8") as fh:
                for line in fh:
                    cid, tokens, lang, source, date = json.loads(line)
                    self.rows[cid] = ([sys.intern(t) for t in tokens], lang, source, date)
        except (OSError, ValueError) as exc:
            log.warning("BM25 index at %s unreadable (%s); rebuilding", self.dir, exc)
            self.rows.clear()
            return False
        self._manifest = info
        self._build()
        self.loaded_mtime = manifest.stat().st_mtime
        return True

    def _stale(self, store: ChunkStore, verify_ids: bool) -> bool:
        if self._manifest.get("count") != store.count():
            return True
        if verify_ids:
            ids = (cid for cid, _, _ in store.iter_chunks(include_text=False))
            return bool(self._manifest.get("digest") != ids_digest(ids))
        return False

    def rebuild_from(
        self, store: ChunkStore, progress: Callable[[int, int], None] | None = None
    ) -> None:
        """Re-analyse every chunk in the store and save (with the write lock held)."""
        self._fill_from(store, progress)
        self._changed = True
        self.flush()

    def _fill_from(
        self, store: ChunkStore, progress: Callable[[int, int], None] | None = None
    ) -> None:
        self.rows.clear()
        total = store.count()
        for done, (cid, text, meta) in enumerate(store.iter_chunks(), start=1):
            self.rows[cid] = _row(text, meta)
            if progress is not None and (done % 500 == 0 or done == total):
                progress(done, total)

    def _manifest_mtime(self) -> float:
        try:
            return (self.dir / "manifest.json").stat().st_mtime
        except OSError:
            return 0.0

    def is_outdated(self) -> bool:
        """True when an ingest has saved a newer index than the one in memory."""
        return self._manifest_mtime() > self.loaded_mtime

    def catch_up(self, store: ChunkStore) -> None:
        """Called with the data dir's write lock held, before this writer changes anything:
        reload what another writer saved since this index was loaded (saving this one must
        not drop the other's rows), or rebuild and save it when a killed writer left it
        dirty or it was only rebuilt in memory."""
        with self._lock:
            dirty = (self.dir / "DIRTY").exists()
            if self._changed or not (self.provisional or dirty or self.is_outdated()):
                return
            fresh = Bm25Index.open_at(self.dir, store, lambda done, total: None, locked=True)
            self.rows, self.ids, self.model, self.meta = (
                fresh.rows,
                fresh.ids,
                fresh.model,
                fresh.meta,
            )
            self._manifest, self.loaded_mtime = fresh._manifest, fresh.loaded_mtime
            self.provisional = False

    # --- ingest listener ---------------------------------------------------------------
    def begin_write(self) -> None:
        """Mark the saved index dirty before the store changes (called under the write lock,
        before each write; a kill from here on leaves the index to be rebuilt)."""
        with self._lock:
            self._mark_once()

    def on_document(self, chunks: Sequence[Chunk], removed_chunk_ids: Sequence[str]) -> None:
        """Record a stored document's chunks (called after Chroma has them)."""
        with self._lock:
            self._mark_once()
            for cid in removed_chunk_ids:
                self.rows.pop(cid, None)
            for chunk in chunks:
                self.rows[chunk.chunk_id] = _row(chunk.text, chunk.metadata)
            self._changed = True

    def clear(self) -> None:
        self.rows.clear()
        self._changed = True
        self.flush()

    def flush(self) -> None:
        """Rebuild the scoring matrix and save everything atomically (write lock held); a
        writer that marked the index dirty and changed nothing takes its marker away."""
        with self._lock:
            if not self._changed:
                if self._marked:
                    (self.dir / "DIRTY").unlink(missing_ok=True)
                    self._marked = False
                return
            self._build()
            self._save()
            self._changed = self._marked = False

    # --- internals ---------------------------------------------------------------------
    def _mark_once(self) -> None:
        if self._marked:
            return
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            (self.dir / "DIRTY").touch()
        except OSError as exc:
            raise StoreError(f"cannot write the BM25 index under {self.dir}: {exc}") from None
        self._marked = True

    def _build(self) -> None:
        import bm25s

        # bm25s sets its own logger to DEBUG on import; its progress lines are noise here.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.ids = list(self.rows)
        corpus = [self.rows[cid][0] for cid in self.ids]
        self.meta = {
            "language": np.array([self.rows[c][1] for c in self.ids], dtype=object),
            "source": np.array([self.rows[c][2] for c in self.ids], dtype=object),
            "date": np.array([self.rows[c][3] for c in self.ids], dtype=object),
        }
        if not any(corpus):  # no chunk has a word (e.g. only punctuation): nothing to score
            self.model = None
            return
        model = bm25s.BM25(k1=1.2, b=0.75)
        model.index(_to_bm25s_tokens(corpus), show_progress=False)
        self.model = model

    def _save(self) -> None:
        tmp: Path | None = None
        try:
            # Unique names: two processes saving at once never delete each other's work.
            self.dir.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=self.dir.name + ".tmp-", dir=self.dir.parent))
            with open(tmp / "tokens.jsonl", "w", encoding="utf-8") as fh:
                for cid in self.ids:
                    tokens, lang, source, date = self.rows[cid]
                    fh.write(json.dumps([cid, tokens, lang, source, date], ensure_ascii=False))
                    fh.write("\n")
            manifest = {
                "version": FORMAT_VERSION,
                "count": len(self.ids),
                "digest": ids_digest(self.ids),
            }
            (tmp / "manifest.json").write_text(json.dumps(manifest))
            old = self.dir.with_name(f"{self.dir.name}.old-{os.getpid()}-{tmp.name[-8:]}")
            if self.dir.exists():
                os.replace(self.dir, old)
            os.replace(tmp, self.dir)
            shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            raise StoreError(
                f"cannot save the BM25 index under {self.dir} ({exc}). Check free space and "
                "permissions on RAG_DATA_DIR; the index is rebuilt from Chroma on next use."
            ) from None
        self._manifest = manifest
        self.loaded_mtime = (self.dir / "manifest.json").stat().st_mtime
        self.provisional = False

    # --- search ------------------------------------------------------------------------
    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[LexicalHit]:
        """Top-k chunks for `query` (analysed like the chunks); `mask` limits the rows."""
        if self.model is None or not self.ids:
            return []
        tokens = analyze(query)
        vocab = self.model.vocab_dict
        ids = [vocab[t] for t in tokens if t in vocab]
        if not ids:
            return []
        scores = self.model.get_scores(ids)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [
            LexicalHit(self.ids[i], float(scores[i]), str(self.meta["language"][i]))
            for i in top
            if scores[i] > 0
        ]

    def rarity(self, stems: Sequence[str]) -> dict[str, float]:
        """Each analysed term's IDF over the indexed chunks, scaled to 0..1 (1: in no chunk).

        Answerability weighs a question's focus terms by it: a missing rare name counts,
        a missing common word barely does."""
        if self.model is None or not self.ids:
            return {s: 1.0 for s in stems}
        n = len(self.ids)
        top = math.log(1.0 + (n + 0.5) / 0.5)
        vocab, indptr = self.model.vocab_dict, self.model.scores["indptr"]
        out = {}
        for term in stems:
            tid = vocab.get(term)
            df = int(indptr[tid + 1] - indptr[tid]) if tid is not None else 0
            out[term] = math.log(1.0 + (n - df + 0.5) / (df + 0.5)) / top
        return out

    def mask(
        self,
        language: str | None = None,
        source: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> np.ndarray | None:
        """Boolean row mask for metadata filters (None when no filter is set)."""
        if not any((language, source, date_from, date_to)):
            return None
        keep = np.ones(len(self.ids), dtype=bool)
        if language:
            keep &= self.meta["language"] == language
        if source:
            keep &= self.meta["source"] == source
        if date_from:
            keep &= np.array([is_iso_date(d) and d[:10] >= date_from for d in self.meta["date"]])
        if date_to:
            keep &= np.array([is_iso_date(d) and d[:10] <= date_to for d in self.meta["date"]])
        return keep

    def has_language(self, language: str) -> bool:
        """Does the archive hold any passage in `language`? (The set of languages is worked
        out once per index build, not per question: it is asked twice per question.)"""
        values = self.meta.get("language")
        if values is None:
            return False
        if self._languages[0] is not values:
            self._languages = (values, frozenset(values.tolist()))
        return language in self._languages[1]

    def metadata(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        """Language, source and date of the indexed chunks among `chunk_ids` (what
        retrieval filters and fuses by), from memory."""
        rows = self.rows
        return {
            cid: {"language": row[1], "source": row[2], "date": row[3]}
            for cid in chunk_ids
            if (row := rows.get(cid)) is not None
        }

    def __len__(self) -> int:
        return len(self.ids)


@contextlib.contextmanager
def _terminal_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr when it is a terminal; silent otherwise (logs, tests)."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _row(text: str, meta: dict[str, Any]) -> tuple[list[str], str, str, str]:
    # Interned: a 100k-chunk corpus repeats the same few hundred thousand words.
    return (
        [sys.intern(t) for t in analyze(text)],
        str(meta.get("language", "")),
        str(meta.get("source", "")),
        str(meta.get("date", "")),
    )


def _to_bm25s_tokens(corpus: list[list[str]]) -> Any:
    """bm25s wants token ids and a vocabulary; build them from our own analysed tokens."""
    import bm25s

    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in corpus]
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)
