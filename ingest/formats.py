"""Text -> article fields, one parser per format (bytes -> text is `ingest.decoding`).

The parsers know nothing of files or archives: they yield `Parsed` items that
`ingest.readers` turns into records or failures named after the file they came from.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ingest.clean import html_to_text

__all__ = [
    "FIELD_ALIASES",
    "Parsed",
    "parse_csv",
    "parse_html",
    "parse_json",
    "parse_jsonl",
    "parse_markdown",
    "parse_txt",
]


@dataclass(frozen=True)
class Parsed:
    """One outcome of a parser: fields of a record, or the reason there is none."""

    suffix: str  # appended to the file's name: "" (whole file), "#3", "#line 4"
    index: int
    fields: dict[str, str] | None
    reason: str = ""


# --------------------------------------------------------------------------------------
# Field mapping
# --------------------------------------------------------------------------------------

# Record field -> accepted source keys, in order of preference. Keys are compared after
# lower-casing and dropping "_"/"-", so "publishedAt" matches "published_at".
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "doc_id"),
    "text": ("text", "content", "body", "article"),
    "title": ("title", "headline"),
    "url": ("url", "link"),
    "date": ("date", "date_extracted", "published", "published_at"),
    "source": ("source", "site", "publisher"),
    "author": ("author", "authors", "byline"),
}
TEXT_FIELDS = "/".join(FIELD_ALIASES["text"])


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


# Arrays or objects inside each other that a field's value may hold (news has two or three).
MAX_FIELD_DEPTH = 100


class FieldTooDeep(ValueError):
    """A field's value nests arrays or objects deeper than MAX_FIELD_DEPTH: its record fails
    (alone: reading one value must not exhaust the stack and cost the rest of the file)."""

    def __init__(self, field: str) -> None:
        super().__init__(
            f"field `{field}` nests arrays or objects more than {MAX_FIELD_DEPTH} levels "
            "deep; is it really article text?"
        )


class _Deep(Exception):
    pass


def _as_text(value: object, joiner: str, depth: int = 0) -> str:
    """Field value as a stripped string; "" when it has no usable text."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | dict) and depth >= MAX_FIELD_DEPTH:
        raise _Deep
    if isinstance(value, list):
        texts = []
        for item in value:  # a loop, not a generator: one stack frame per level
            text = _as_text(item, joiner, depth + 1)
            if text:
                texts.append(text)
        return joiner.join(texts)
    if isinstance(value, dict):  # e.g. NewsAPI's "source": {"id": ..., "name": "BBC"}
        return _as_text(value.get("name"), joiner, depth + 1)
    return ""


def map_fields(obj: Mapping[str, object]) -> dict[str, str]:
    """Pick the record fields out of a JSON object / CSV row using FIELD_ALIASES; raises
    FieldTooDeep for a value nested deeper than MAX_FIELD_DEPTH."""
    by_key: dict[str, object] = {}
    for name, value in obj.items():
        by_key.setdefault(_key(str(name)), value)
    fields: dict[str, str] = {}
    for field, aliases in FIELD_ALIASES.items():
        joiner = "\n\n" if field == "text" else ", "
        for alias in aliases:
            try:
                value = _as_text(by_key.get(_key(alias)), joiner)
            except _Deep:
                raise FieldTooDeep(alias) from None
            if value:
                fields[field] = value
                break
    return fields


def _record(
    suffix: str, index: int, fields: dict[str, str], no_text: str = "", line: int = 0
) -> Parsed:
    if fields.get("text"):
        return Parsed(suffix, index, fields)
    what, where = _failed_at(suffix, index, line)
    reason = no_text or f"{what} has no text (expected one of the fields {TEXT_FIELDS})"
    return Parsed(where, index, None, reason)


def _failed_at(suffix: str, index: int, line: int) -> tuple[str, str]:
    """How a failed record is named: by its line in line-based files (the number an editor
    shows), else by its record index. Good records keep `suffix`, part of their doc id."""
    return (f"line {line}", f"#line {line}") if line else (f"record {index}", suffix)


# --------------------------------------------------------------------------------------
# Single-article formats
# --------------------------------------------------------------------------------------

_TITLE_MAX = 300  # a first "line" longer than this is a paragraph, not a headline


def _split_title(text: str) -> tuple[str, str]:
    """`Title\\n\\nBody` (the BBC layout) -> (title, body); anything else -> ("", text)."""
    first, sep, rest = text.strip().partition("\n")
    if sep and rest.startswith("\n") and rest.strip() and len(first.strip()) <= _TITLE_MAX:
        return first.strip(), rest.strip()
    return "", text.strip()


def parse_txt(text: str) -> Iterator[Parsed]:
    """A plain-text article; a first line followed by a blank line is its title."""
    title, body = _split_title(text.replace("\r\n", "\n").replace("\r", "\n"))
    fields = {"text": body, **({"title": title} if title else {})}
    yield _record("", 0, fields, "no text in the file")


_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)


def _first_line(text: str) -> tuple[str, int]:
    """The first line and where the text after it starts."""
    end = text.find("\n")
    return (text, len(text)) if end < 0 else (text[:end], end + 1)


def _atx_title(text: str) -> tuple[str, int] | None:
    """ "# Title" (closing #s dropped) and where the body starts; string methods, not a
    regex: `#[ \t]+(.+?)[ \t#]*$` is quadratic on a line of thousands of #s or blanks."""
    line, end = _first_line(text)
    if not line.startswith("#") or line[1:2] not in (" ", "\t"):
        return None
    title = line[1:].strip(" \t").rstrip(" \t#").strip()
    return (title, end) if title else None


def _setext_title(text: str) -> tuple[str, int] | None:
    """ "Title" over a line of "=" and where the body starts."""
    line, end = _first_line(text)
    under, after = _first_line(text[end:])
    if not line.strip() or not under.startswith("=") or under.rstrip(" \t").strip("=") != "":
        return None
    return line.strip(), end + after


def parse_markdown(text: str) -> Iterator[Parsed]:
    """A Markdown article: YAML-ish front matter (key: value), then an optional # title."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\n")
    meta: dict[str, str] = {}
    front = _FRONT_MATTER_RE.match(text)
    if front:
        for line in front.group(1).split("\n"):
            key, sep, value = line.partition(":")
            if sep and value.strip():
                meta[key.strip()] = value.strip().strip("\"'")
        text = text[front.end() :].lstrip("\n")
    fields = map_fields(meta)
    heading = _atx_title(text) or _setext_title(text)
    if heading:
        fields.setdefault("title", heading[0])
        body = text[heading[1] :].strip()
    else:
        title, body = _split_title(text)
        if title and "title" not in fields:
            fields["title"] = title
        elif title:
            body = text.strip()
    fields["text"] = body
    yield _record("", 0, fields, "no text in the file (only a title or front matter)")


def parse_html(text: str) -> Iterator[Parsed]:
    """An HTML page: the visible body text plus title/url/date from the head."""
    body, meta = html_to_text(text)
    fields = {**meta, "text": body}
    yield _record(
        "", 0, fields, "no article text in the HTML (after removing scripts, styles, navigation)"
    )


# --------------------------------------------------------------------------------------
# Multi-record formats
# --------------------------------------------------------------------------------------

_WS_RE = re.compile(r"[ \t\n\r]*")


def _skip_ws(text: str, pos: int) -> int:
    return _WS_RE.match(text, pos).end()  # type: ignore[union-attr]  # `*` always matches


_DECODER = json.JSONDecoder()
_TOO_DEEP = "JSON nested too deeply to read (over ~1000 levels); is it really an article?"


def _json_error(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
    return f"invalid JSON: {str(exc).split(';')[0]}"  # drop Python-internal advice


_JSON_KINDS = {"list": "array", "str": "string", "int": "number", "float": "number"}
_JSON_KINDS |= {"bool": "boolean", "NoneType": "null"}


def _object_record(value: object, suffix: str, index: int, line: int = 0) -> Parsed:
    what, where = _failed_at(suffix, index, line)
    if not isinstance(value, dict):
        kind = _JSON_KINDS.get(type(value).__name__, "value")
        return Parsed(where, index, None, f"{what} is a JSON {kind}, not an object")
    try:
        fields = map_fields(value)
    except FieldTooDeep as exc:
        return Parsed(where, index, None, f"{what}: {exc}")
    return _record(suffix, index, fields, line=line)


def parse_json(text: str) -> Iterator[Parsed]:
    """An object (one article), an array of objects, or concatenated objects.

    Arrays are decoded one element at a time with `raw_decode` at an offset into the
    text: a 12 MB SaudiNewsNet day never exists twice in memory, as a whole parsed list.
    """
    pos = _skip_ws(text, 0)
    if text.startswith("[", pos):
        yield from _json_array(text, pos + 1)
        return
    values = 0
    while pos < len(text):
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except RecursionError:
            yield Parsed("" if values == 0 else f"#{values}", values, None, _TOO_DEEP)
            return
        except ValueError as exc:
            yield Parsed("" if values == 0 else f"#{values}", values, None, _json_error(exc))
            return
        pos = _skip_ws(text, end)
        if values == 0 and pos >= len(text):
            # The common case: one article per file.
            no_text = f"the JSON object has no text (expected one of the fields {TEXT_FIELDS})"
            if isinstance(value, dict):
                try:
                    fields = map_fields(value)
                except FieldTooDeep as exc:
                    yield Parsed("", 0, None, f"the JSON object: {exc}")
                    return
                yield _record("", 0, fields, no_text)
            else:
                kind = _JSON_KINDS.get(type(value).__name__, "value")
                yield Parsed("", 0, None, f"the file holds a JSON {kind}, not an article object")
            return
        # Several top-level values: JSON Lines saved as .json. Read each one.
        yield _object_record(value, f"#{values}", values)
        values += 1


def _json_array(text: str, pos: int) -> Iterator[Parsed]:
    index = 0
    while True:
        pos = _skip_ws(text, pos)
        if text.startswith("]", pos) and index == 0:
            break
        try:
            value, pos = _DECODER.raw_decode(text, pos)
        except RecursionError:
            yield Parsed(f"#{index}", index, None, _TOO_DEEP)
            return
        except ValueError as exc:
            reason = _json_error(exc) + (f"; the {index} records before it were read" * bool(index))
            yield Parsed(f"#{index}", index, None, reason)
            return
        yield _object_record(value, f"#{index}", index)
        index += 1
        pos = _skip_ws(text, pos)
        if text.startswith(",", pos):
            pos += 1
        elif text.startswith("]", pos):
            break
        else:
            line = text.count("\n", 0, pos) + 1
            yield Parsed("", index, None, f"invalid JSON at line {line}: expected ',' or ']'")
            return
    rest = _skip_ws(text, pos + 1)
    if rest < len(text):
        line = text.count("\n", 0, rest) + 1
        yield Parsed("", index, None, f"unexpected data after the JSON array at line {line}")
    elif index == 0:
        yield Parsed("", 0, None, "empty JSON array: no articles")


def parse_jsonl(text: str) -> Iterator[Parsed]:
    """JSON Lines: one object per line. A broken line is reported and skipped."""
    index = 0
    pos = 0
    line_no = 0
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end].strip()
        pos = end + 1
        line_no += 1
        if not line:
            continue
        try:
            value = json.loads(line)
        except RecursionError:
            yield Parsed(f"#line {line_no}", index, None, f"line {line_no}: {_TOO_DEEP}")
        except ValueError as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc).split(";")[0]
            yield Parsed(
                f"#line {line_no}", index, None, f"line {line_no} is not valid JSON: {msg}"
            )
        else:
            yield _object_record(value, f"#{index}", index, line_no)
        index += 1


def parse_csv(text: str, columns: Mapping[str, str], field_limit: int) -> Iterator[Parsed]:
    """CSV with a header row. `columns` maps record fields to column names (RAG_CSV_*).

    Column names match case-insensitively; `id` and `author` columns are used if present.
    """
    csv.field_size_limit(max(csv.field_size_limit(), field_limit))
    header_line = text[: text.find("\n")] if "\n" in text else text
    # The header decides the delimiter: whichever of , ; tab | it uses most (default ",").
    delimiter = max(",;\t|", key=lambda d: (header_line.count(d), d == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (csv.Error, StopIteration) as exc:
        yield Parsed("", 0, None, f"unreadable CSV header: {exc}")
        return
    positions = {name.strip().lower(): i for i, name in reversed(list(enumerate(header)))}
    wanted = {"id": "id", "author": "author", **columns}
    where = {
        f: positions[c.strip().lower()] for f, c in wanted.items() if c.strip().lower() in positions
    }
    if "text" not in where:
        shown = ", ".join(repr(h) for h in header[:20])
        yield Parsed(
            "",
            0,
            None,
            f"no column {columns['text']!r} in the CSV header (columns: {shown}); set "
            "RAG_CSV_TEXT (and RAG_CSV_TITLE, ...) to the column names of this file",
        )
        return
    index = 0
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            fields = {
                f: row[i].strip() for f, i in where.items() if i < len(row) and row[i].strip()
            }
            no_text = f"record {index} has no text (column {columns['text']!r} is empty)"
            yield _record(f"#{index}", index, fields, no_text)
            index += 1
    except csv.Error as exc:
        yield Parsed(f"#{index}", index, None, f"CSV error at line {reader.line_num}: {exc}")
