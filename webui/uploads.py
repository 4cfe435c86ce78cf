"""Uploaded files: safe names, the web's own limits, a private copy per upload (removed
whatever happens, and by the next start when a kill left it), and the ingest's progress."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import InputError

if TYPE_CHECKING:
    from rag.settings import Settings

_MB = 1024 * 1024
_LOCK = ".in-use"
_UNLOCKED_GRACE_S = 60  # a copy dir without its lock yet may be one being made right now


def safe_filename(name: str) -> str:
    """A basename that cannot leave the upload dir: no path, no leading dots, plain chars."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^\w.\- ]+", "_", base).strip(" .") or "upload"
    stem, dot, ext = base.rpartition(".")
    return (stem[:100] + dot + ext[:10]) if dot and stem else base[:110]


def upload_problem(paths: Sequence[str], settings: Settings) -> InputError | None:
    """Why this upload is refused (too many files, a file or the whole over its limit), or
    None: the web page's own bounds (RAG_MAX_UPLOAD_FILES, _MB, _TOTAL_MB), not the CLI's."""
    if len(paths) > settings.max_upload_files:
        return InputError(
            "upload",
            f"{len(paths)} files; one upload takes at most {settings.max_upload_files} "
            "(RAG_MAX_UPLOAD_FILES)",
        )
    total = 0
    for path in paths:
        size = os.path.getsize(path)
        total += size
        if size > settings.max_upload_mb * _MB:
            return InputError(
                safe_filename(path),
                f"{size / _MB:.1f} MB; the limit is {settings.max_upload_mb:g} MB per file "
                "(RAG_MAX_UPLOAD_MB)",
            )
    if total > settings.max_upload_total_mb * _MB:
        return InputError(
            "upload",
            f"{total / _MB:.1f} MB in all; the limit is {settings.max_upload_total_mb:g} MB "
            "per upload (RAG_MAX_UPLOAD_TOTAL_MB)",
        )
    return None


def upload_settings(settings: Settings) -> Settings:
    """The settings a web upload is read with: a file (archive members too) is bounded by
    RAG_MAX_UPLOAD_MB and an archive's expansion by RAG_MAX_UPLOAD_TOTAL_MB, where those are
    the tighter bounds (the CLI's RAG_MAX_FILE_MB and RAG_MAX_ZIP_TOTAL_MB are for files the
    operator chose)."""
    return settings.model_copy(
        update={
            "max_file_mb": min(settings.max_file_mb, settings.max_upload_mb),
            "max_zip_total_mb": min(settings.max_zip_total_mb, settings.max_upload_total_mb),
        }
    )


def upload_reason(reason: str, settings: Settings) -> str:
    """A reader's failure line, naming the web setting where the web's bound was the one hit."""
    if settings.max_upload_mb <= settings.max_file_mb:
        reason = reason.replace("RAG_MAX_FILE_MB", "RAG_MAX_UPLOAD_MB")
    if settings.max_upload_total_mb <= settings.max_zip_total_mb:
        reason = reason.replace("RAG_MAX_ZIP_TOTAL_MB", "RAG_MAX_UPLOAD_TOTAL_MB")
    return reason


@contextlib.contextmanager
def upload_dir(uploads: Path) -> Iterator[Path]:
    """A fresh `<uploads>/web-*/` for one upload, locked while it is in use and removed on
    the way out whatever happens; a killed process drops its lock, so `clean_leftovers`
    (at the next start) removes what it left."""
    uploads.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="web-", dir=uploads))
    try:
        with open(work / _LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def clean_leftovers(uploads: Path) -> int:
    """Remove the upload copies a killed ingest left under `uploads` (those whose lock no
    process holds); returns how many. Copies in use by another server are kept."""
    removed = 0
    for work in uploads.glob("web-*") if uploads.is_dir() else ():
        try:
            with open(work / _LOCK, "r+") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(work, ignore_errors=True)
                removed += 1
        except BlockingIOError:
            continue  # in use
        except FileNotFoundError:
            if work.is_dir() and time.time() - work.stat().st_mtime > _UNLOCKED_GRACE_S:
                shutil.rmtree(work, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def copy_uploads(paths: Sequence[str], work: Path) -> Path:
    """Copy uploaded files under sanitised names into `<work>/upload/`, each in a folder
    named by its content: two different files called `news.json` become two articles
    (`upload/1f0c.../news.json`), the same file uploaded twice stays one."""
    root = work / "upload"
    root.mkdir(parents=True, exist_ok=True)
    for path in paths:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
        (root / digest).mkdir(exist_ok=True)
        shutil.copyfile(path, root / digest / safe_filename(Path(path).name))
    return root


class _Counts:
    """The ingest's progress, written by its threads and read by the event's thread."""

    files = documents = chunks = 0

    def update(self, *, files: int, documents: int, chunks: int) -> None:
        self.files, self.documents, self.chunks = files, documents, chunks


def run_with_progress(ingestor: Any, root: Path, total: int, progress: Any) -> Any:
    """Run the ingest (recording its summary) in a worker and report its counts to the
    Gradio progress bar.

    The pipeline ticks from its own threads, where Gradio's progress (bound to the event's
    context) cannot be called: this thread polls the counts instead.
    """
    counts = _Counts()
    progress((0, total), desc="reading", unit="files")
    with ThreadPoolExecutor(1) as pool:
        job = pool.submit(ingestor.run, [root], counts, True)
        while True:
            try:
                return job.result(timeout=0.3)
            except TimeoutError:
                desc = f"{counts.documents} documents · {counts.chunks} chunks"
                progress((min(counts.files, total), total), desc=desc, unit="files")
