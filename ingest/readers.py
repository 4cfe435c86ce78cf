"""Turn the paths a user gives into raw article records, never stopping at a bad input.

`iter_records` walks files, directories and zip archives, and yields one `RawRecord` per
article or one `Failure` per thing it could not read (with what to fix). Bad input never
raises; only programming errors do.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.decoding import DecodeError, decode_bytes
from ingest.formats import (
    Parsed,
    parse_csv,
    parse_html,
    parse_json,
    parse_jsonl,
    parse_markdown,
    parse_txt,
)
from rag.settings import Settings

__all__ = ["SUPPORTED_EXTENSIONS", "Failure", "RawRecord", "iter_records"]

SUPPORTED_EXTENSIONS = (".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".csv", ".zip")
_MB = 1_000_000


@dataclass(frozen=True)
class RawRecord:
    """One article as found in a file, before cleaning."""

    fields: dict[str, str]  # keys among: id, text, title, url, date, source, author
    origin: str  # "path", "path#<record index>" or "archive.zip!member.json#3"
    index: int  # record index within its file (0 for single-article files)


@dataclass(frozen=True)
class Failure:
    """Something that could not be read, and why, in words meant for the user."""

    where: str  # file (and record / zip member)
    reason: str  # what went wrong and, when possible, what to do


def iter_records(paths: Sequence[Path], settings: Settings) -> Iterator[RawRecord | Failure]:
    """Yield the records of every file under `paths`, and a Failure for each bad input.

    Directories are walked recursively in sorted order, skipping hidden entries and files
    of unknown type; symlinks are followed, and a link leading back into its own
    ancestors is reported once instead of walked. Files over RAG_MAX_FILE_MB and zip
    members over RAG_MAX_ZIP_RATIO are refused before they are read.
    """
    for item in iter_files(paths):
        if isinstance(item, Failure):
            yield item
        else:
            yield from _read_file(item.path, item.info, settings)


@dataclass(frozen=True)
class FileUnit:
    """One input file to read, as the walk found it."""

    path: Path
    info: os.stat_result


def iter_files(paths: Sequence[Path]) -> Iterator[FileUnit | Failure]:
    """The files `iter_records` reads, in its order, and the failures of the walk itself
    (a distributed ingest reads each file on whichever node, with `read_file`)."""
    for given in paths:
        path = Path(given)  # tolerate str paths from callers
        where = str(path)
        try:
            info = path.stat()
        except OSError as exc:
            yield Failure(where, _stat_error(path, exc))
            continue
        if stat.S_ISDIR(info.st_mode):
            yield from _walk(path, info)
        elif _extension(path) not in SUPPORTED_EXTENSIONS:
            ext = _extension(path) or "no extension"
            yield Failure(
                where,
                f"unsupported file type ({ext}); supported: {', '.join(SUPPORTED_EXTENSIONS)}",
            )
        else:
            yield FileUnit(path, info)


def read_file(path: Path, settings: Settings) -> Iterator[RawRecord | Failure]:
    """The records of one file `iter_files` listed (stat again: it may have changed)."""
    try:
        info = path.stat()
    except OSError as exc:
        yield Failure(str(path), _stat_error(path, exc))
        return
    yield from _read_file(path, info, settings)


# --------------------------------------------------------------------------------------
# Walking
# --------------------------------------------------------------------------------------


def _extension(path: Path | str) -> str:
    return os.path.splitext(str(path))[1].lower()


def _stat_error(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop (the link points, directly or not, to itself); remove or fix it"
    if path.is_symlink():
        return "broken symlink: its target does not exist"
    if exc.errno == errno.ENOENT:
        return "no such file or directory"
    if exc.errno == errno.EACCES:
        return "permission denied; check the file's permissions"
    return f"cannot open: {exc.strerror or exc}"


def _walk(root: Path, root_info: os.stat_result) -> Iterator[FileUnit | Failure]:
    """Depth-first, sorted walk with an explicit stack (no recursion limit on deep trees)."""
    root_key = (root_info.st_dev, root_info.st_ino)
    seen = {root_key}  # every directory entered, so a directory reached twice is read once
    ancestors: dict[tuple[int, int], Path] = {root_key: root}
    stack: list[tuple[tuple[int, int], Iterator[os.DirEntry[str]]]] = []
    listing = _list_dir(root)
    if isinstance(listing, Failure):
        yield listing
        return
    stack.append((root_key, listing))
    while stack:
        key, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            ancestors.pop(key, None)
            continue
        if entry.name.startswith("."):
            continue
        child = Path(entry.path)
        try:
            info = child.stat()
        except OSError as exc:
            if exc.errno == errno.ELOOP or _extension(child) in SUPPORTED_EXTENSIONS:
                yield Failure(str(child), _stat_error(child, exc))
            continue
        if stat.S_ISDIR(info.st_mode):
            child_key = (info.st_dev, info.st_ino)
            if child_key in ancestors:
                yield Failure(
                    str(child),
                    f"directory cycle: this symlink leads back to {ancestors[child_key]}; "
                    "it was not followed",
                )
                continue
            if child_key in seen:  # reached through another symlink: already read
                continue
            listing = _list_dir(child)
            if isinstance(listing, Failure):
                yield listing
                continue
            seen.add(child_key)
            ancestors[child_key] = child
            stack.append((child_key, listing))
        elif _extension(child) in SUPPORTED_EXTENSIONS:
            yield FileUnit(child, info)


def _list_dir(path: Path) -> Iterator[os.DirEntry[str]] | Failure:
    try:
        with os.scandir(path) as it:
            return iter(sorted(it, key=lambda e: e.name))
    except OSError as exc:
        return Failure(str(path), f"cannot list directory: {exc.strerror or exc}")


# --------------------------------------------------------------------------------------
# Files and archives
# --------------------------------------------------------------------------------------


def _size(n: int | float) -> str:
    return f"{n / _MB:,.1f} MB" if n >= _MB else f"{int(n):,} bytes"


def _too_big(what: str, size: int, settings: Settings) -> str:
    limit = settings.max_file_mb * _MB
    return (
        f"{what} is {_size(size)}, over the limit of {_size(limit)}; raise "
        f"RAG_MAX_FILE_MB (now {settings.max_file_mb:g}) to read it, or split it"
    )


def _read_file(
    path: Path, info: os.stat_result, settings: Settings
) -> Iterator[RawRecord | Failure]:
    where = str(path)
    limit = int(settings.max_file_mb * _MB)
    if not stat.S_ISREG(info.st_mode):
        # A FIFO or device would block or never end: refuse it before opening.
        yield Failure(where, "not a regular file (device, pipe or socket)")
        return
    if info.st_size > limit:
        yield Failure(where, _too_big("file", info.st_size, settings))
        return
    ext = _extension(path)
    if ext == ".zip":
        yield from _read_zip(path, where, settings, nested=False)
        return
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)  # bounded: the file may have grown since stat
    except OSError as exc:
        yield Failure(where, _stat_error(path, exc))
        return
    if len(data) > limit:
        yield Failure(where, _too_big("file", len(data), settings))
        return
    yield from _parse(data, ext, where, settings)


def _read_zip(
    source: Path | io.BytesIO,
    where: str,
    settings: Settings,
    *,
    nested: bool,
    budget: list[int] | None = None,
) -> Iterator[RawRecord | Failure]:
    limit = int(settings.max_file_mb * _MB)
    # Bytes this archive (nested ones included) may still expand to: many members each
    # under the per-member limits must not add up to terabytes.
    budget = budget if budget is not None else [int(settings.max_zip_total_mb * _MB)]
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        yield Failure(where, f"not a valid zip archive (corrupt or truncated): {exc}")
        return
    with archive:
        members = sorted(archive.infolist(), key=lambda i: i.filename)
        for info in members:
            name = info.filename
            parts = name.replace("\\", "/").split("/")
            if info.is_dir() or any(p.startswith(".") or p == "__MACOSX" for p in parts if p):
                continue
            ext = _extension(name)
            if ext not in SUPPORTED_EXTENSIONS:
                continue
            member_where = f"{where}!{name}"
            problem = _member_problem(info, settings, nested=nested)
            if problem:
                yield Failure(member_where, problem)
                continue
            # Never trust the declared size: read at most what the limits allow, plus one
            # byte to notice a member that inflates past them.
            if info.file_size > budget[0]:
                yield Failure(
                    where,
                    f"the archive expands past RAG_MAX_ZIP_TOTAL_MB "
                    f"({settings.max_zip_total_mb:g} MB); members from {name} on are not read "
                    "— split the archive or raise the setting",
                )
                return
            cap = min(limit, budget[0], int(settings.max_zip_ratio * max(info.compress_size, 1)))
            try:
                with archive.open(info) as fh:
                    data = fh.read(cap + 1)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
                yield Failure(member_where, f"cannot extract this member (corrupt archive?): {exc}")
                continue
            if len(data) > cap:
                yield Failure(
                    member_where,
                    "member inflates past its declared size and the limits (possible zip "
                    "bomb); check RAG_MAX_FILE_MB and RAG_MAX_ZIP_RATIO",
                )
                continue
            budget[0] -= len(data)
            if ext == ".zip":
                yield from _read_zip(
                    io.BytesIO(data), member_where, settings, nested=True, budget=budget
                )
            else:
                yield from _parse(data, ext, member_where, settings)


def _member_problem(info: zipfile.ZipInfo, settings: Settings, *, nested: bool) -> str:
    if info.flag_bits & 0x1:
        return "member is encrypted; extract it with its password first"
    if nested and _extension(info.filename) == ".zip":
        return "zip inside a zip inside a zip is not read; extract the outer archives first"
    if info.file_size > settings.max_file_mb * _MB:
        return _too_big("member", info.file_size, settings)
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > settings.max_zip_ratio:
        return (
            f"member compresses {ratio:,.0f}:1, over RAG_MAX_ZIP_RATIO "
            f"({settings.max_zip_ratio:g}); refused as a possible zip bomb — raise the "
            "setting if you trust this archive"
        )
    return ""


def _csv(text: str, settings: Settings) -> Iterator[Parsed]:
    columns = {
        "text": settings.csv_text,
        "title": settings.csv_title,
        "url": settings.csv_url,
        "date": settings.csv_date,
        "source": settings.csv_source,
    }
    return parse_csv(text, columns, int(settings.max_file_mb * _MB) + 1)


# The parser of each file suffix (.zip is opened by the readers and its members parsed here).
PARSERS: dict[str, Callable[[str, Settings], Iterator[Parsed]]] = {
    ".txt": lambda text, _: parse_txt(text),
    ".md": lambda text, _: parse_markdown(text),
    ".html": lambda text, _: parse_html(text),
    ".htm": lambda text, _: parse_html(text),
    ".json": lambda text, _: parse_json(text),
    ".jsonl": lambda text, _: parse_jsonl(text),
    ".csv": _csv,
}


def _parse(data: bytes, ext: str, where: str, settings: Settings) -> Iterator[RawRecord | Failure]:
    """Decode and parse one file's bytes; `data` is dropped as soon as it is text."""
    if not data or data.isspace():  # isspace: no copy of a large buffer
        yield Failure(where, "empty file")
        return
    try:
        text = decode_bytes(data)
    except DecodeError as exc:
        yield Failure(where, str(exc))
        return
    del data  # the text is all we need; don't hold both copies while records stream out
    if not text.strip():
        yield Failure(where, "empty file")
        return
    items = PARSERS[ext](text, settings)
    del text
    try:
        for item in items:
            if item.fields is None:
                yield Failure(where + item.suffix, item.reason)
            else:
                yield RawRecord(item.fields, where + item.suffix, item.index)
    except Exception as exc:  # a parser bug or a pathological file: this file only
        yield Failure(where, unexpected("could not be parsed", exc))


def unexpected(what: str, exc: BaseException) -> str:
    """A failure line for an error no reader anticipated (RecursionError, a parser's
    AssertionError): the exception named, and what to do; the run goes on."""
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return (
        f"{what} ({type(exc).__name__}{': ' + detail if detail else ''}); the rest of the "
        "run went on — fix or remove this item and ingest again"
    )
