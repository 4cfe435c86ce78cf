"""One writer at a time per data dir: an ingest from the CLI and a web upload take turns.

Readers never wait: asking questions during an ingest stays as it is. A reader that would
save something (a BM25 index it rebuilt) takes the lock only when it is free
(`try_writer_lock`), and otherwise keeps what it built in memory.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import StoreError

if TYPE_CHECKING:
    from rag.settings import Settings

POLL_SECONDS = 0.5


@contextmanager
def writer_lock(settings: Settings, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the data dir's write lock; wait up to RAG_LOCK_TIMEOUT seconds for it."""
    path = settings.state_dir / "write.lock"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until the end
    except OSError as exc:
        raise StoreError(
            f"cannot create the write lock {path} ({exc}); check that RAG_DATA_DIR "
            f"({settings.data_dir}) is writable"
        ) from None
    try:
        if not _try_lock(handle):
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            if on_wait is not None:
                on_wait(
                    f"another ingest (pid {holder}) is writing to {settings.data_dir}; this one "
                    f"waits for it (up to RAG_LOCK_TIMEOUT = {settings.lock_timeout:g} s)"
                )
            deadline = time.monotonic() + settings.lock_timeout
            while not _try_lock(handle):
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"another ingest (pid {holder}) has been writing to {settings.data_dir} "
                        f"for over {settings.lock_timeout:g} s; run this one when it is done, "
                        "or raise RAG_LOCK_TIMEOUT"
                    )
                time.sleep(POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()  # closing the file releases the lock


@contextmanager
def try_writer_lock(state_dir: Path) -> Iterator[bool]:
    """The write lock of the data dir whose state dir is `state_dir`, only if no writer holds
    it now: yields True while it is held, False (at once) when another writer has it or the
    lock file cannot be opened (a read-only data dir)."""
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        handle = open(state_dir / "write.lock", "a+", encoding="utf-8")  # noqa: SIM115
    except OSError:
        yield False
        return
    try:
        held = _try_lock(handle)
        if held:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
        yield held
    finally:
        handle.close()


def _try_lock(handle: object) -> bool:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[attr-defined]
    except BlockingIOError:
        return False
    return True
