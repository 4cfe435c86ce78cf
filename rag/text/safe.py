"""Text that is safe to store and to show: valid Unicode, and no characters that act on a
terminal or reorder what a reader sees.

- `invalid_unicode(s)`: the first lone surrogate (a JSON "\\ud800" decodes to one), which no
  store or encoder accepts.
- `repaired(s)`: lone surrogates replaced by U+FFFD, control characters other than line
  breaks and tabs removed: for article text.
- `plain_field(s)`: a one-line field (id, title, source, url, date) with every control
  character (ESC sequences included) and every bidi override, embedding and isolate
  removed: "‮txt.exe" cannot pose as "exe.txt".
- `plain_line(s)`: the same for a line printed from article text (`rag list`, `rag ask`,
  the delete confirmation).
"""

from __future__ import annotations

import re
import unicodedata

_SURROGATE = re.compile("[\ud800-\udfff]")
# Bidi embeddings, overrides and isolates, and the marks that flip neutral characters.
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_CONTROL_KEEP_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ESC_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


def invalid_unicode(text: str) -> str | None:
    """The first lone surrogate in `text`, written as an escape ("\\ud800"), or None."""
    found = _SURROGATE.search(text)
    return None if found is None else f"\\u{ord(found.group()):04x}"


def repaired(text: str) -> str:
    """Valid Unicode (lone surrogates -> U+FFFD) without control characters other than
    line breaks and tabs."""
    text = _SURROGATE.sub("\ufffd", text)
    return _CONTROL_KEEP_BREAKS.sub("", _ESC_SEQUENCE.sub("", text))


def plain_field(text: str) -> str:
    """One line of visible text: no control characters, no bidi controls."""
    text = _ESC_SEQUENCE.sub("", _SURROGATE.sub("\ufffd", text))
    return "".join(
        " " if ch in "\t\n\r" else ch
        for ch in text
        if ch not in _BIDI and (ch in "\t\n\r" or unicodedata.category(ch) != "Cc")
    )


def plain_line(text: str) -> str:
    """A line printed from article text: `plain_field`, spaces collapsed."""
    return " ".join(plain_field(text).split())
