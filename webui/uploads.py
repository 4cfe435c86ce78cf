"""Uploaded files: safe names, a private copy per upload, and the ingest's progress."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any


def safe_filename(name: str) -> str:
    """A basename that cannot leave the upload dir: no path, no leading dots, plain chars."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^\w.\- ]+", "_", base).strip(" .") or "upload"
    stem, dot, ext = base.rpartition(".")
    return (stem[:100] + dot + ext[:10]) if dot and stem else base[:110]


def copy_uploads(paths: list[str], uploads: Path) -> Path:
    """Copy uploaded files under sanitised names into a fresh `<uploads>/web-*/upload/`,
    each in a folder named by its content: two different files called `news.json` become
    two articles (`upload/1f0c.../news.json`), the same file uploaded twice stays one."""
    uploads.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="web-", dir=uploads)) / "upload"
    root.mkdir()
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
