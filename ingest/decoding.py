"""Bytes -> text: encoding detection for article files (UTF-8, UTF-16 without a BOM,
stray Windows-1252 bytes) and refusing binary files, with messages that say what to do."""

from __future__ import annotations

import re

__all__ = ["DecodeError", "decode_bytes"]


class DecodeError(ValueError):
    """The bytes are not text we can read; the message says why and what to do."""


_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_SNIFF_BYTES = 1 << 16
_BINARY = "binary file, not text"


def _looks_binary(text: str) -> bool:
    sample = text[:_SNIFF_BYTES]
    controls = len(_CONTROL_RE.findall(sample))
    return controls > max(2, len(sample) // 100)


def _sniff_utf16(data: bytes) -> str | None:
    """Name the UTF-16 byte order when the NUL bytes sit on one side of each pair.

    ASCII characters (spaces, digits, newlines) in UTF-16 have a NUL high byte, so even
    Arabic text shows NULs on the high-byte side; binary data has them on both sides.
    """
    sample = data[:_SNIFF_BYTES]
    half = len(sample) // 2
    if half == 0:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= half * 0.05 and even <= half * 0.01:
        return "utf-16-le"
    if even >= half * 0.05 and odd <= half * 0.01:
        return "utf-16-be"
    return None


def _decode_utf8_lenient(data: bytes) -> str:
    """UTF-8 that tolerates a truncated last character and a few stray single-byte chars."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first = exc
    if first.reason == "unexpected end of data" and (
        first.end - first.start > 1 or not data[: first.start].isascii()
    ):
        # The file was cut inside its last character: drop that partial character. (A lone
        # high byte after pure ASCII is more likely a cp1252 "é" than a truncation.)
        return data[: first.start].decode("utf-8")
    text = data.decode("utf-8", errors="surrogateescape")
    stray = len(_STRAY_RE.findall(text))
    if _looks_binary(text):
        raise DecodeError(_BINARY)
    if stray > max(4, len(data) // 100):
        share = 100 * stray / len(data)
        raise DecodeError(
            f"not UTF-8 text ({share:.0f}% of the bytes are invalid UTF-8); re-save it as "
            "UTF-8, e.g. `iconv -f cp1256 -t utf-8` for Arabic Windows files or "
            "`iconv -f latin1 -t utf-8` for Western ones"
        )
    # Mostly UTF-8 with a few stray bytes: typically a "£" or "é" pasted from a
    # Windows-1252 source (the BBC corpus has such files). Decode just those bytes.
    return _STRAY_RE.sub(_cp1252, text)


_STRAY_RE = re.compile("[\udc80-\udcff]")  # bytes that surrogateescape could not decode


def _cp1252(match: re.Match[str]) -> str:
    byte = bytes([ord(match.group()) - 0xDC00])
    try:
        return byte.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return byte.decode("latin-1")


def decode_bytes(data: bytes) -> str:
    """Decode file bytes to text; raise DecodeError (with what to do) when it is not text.

    Order: UTF-32/UTF-16 byte-order marks; UTF-8 (BOM stripped); UTF-16 without BOM,
    recognised by its NUL-byte pattern; UTF-8 with a few stray Windows-1252 bytes. NUL
    bytes in anything else, or many control characters, mean a binary file.
    """
    try:
        if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
            text = data.decode("utf-32")
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            text = ""
    except UnicodeDecodeError:
        raise DecodeError(
            "the file starts with a UTF-16/UTF-32 byte-order mark but is not valid in that "
            "encoding; re-save it as UTF-8"
        ) from None
    if not text:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        if b"\x00" in data:
            encoding = _sniff_utf16(data)
            if encoding is None:
                raise DecodeError(_BINARY)
            try:
                text = data[: len(data) // 2 * 2].decode(encoding)
            except UnicodeDecodeError:
                raise DecodeError(_BINARY) from None
        else:
            text = _decode_utf8_lenient(data)
    if _looks_binary(text):
        raise DecodeError(_BINARY)
    return text.removeprefix("\ufeff")
