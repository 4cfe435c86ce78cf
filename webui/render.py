"""HTML for the web chat: chat messages, the sources under an answer, ingest reports, stats.

Pure functions from the library's data to HTML strings. Every piece of text that comes from
an article, a question, an answer or a file name goes through `html.escape` here, so an
article holding `<script>` or `<img onerror=...>` shows as text and runs nothing.

The HTML has no blank lines: the chat renders messages as Markdown, and a blank line would
end the HTML block and let Markdown reinterpret the rest.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from rag.answer.result import Answer, Citation
from rag.retrieve.retriever import Passage

LABELS = {
    "en": {
        "sources": "Sources",
        "more": "Other retrieved passages ({n})",
        "related": "Related passages, which do not answer the question ({n})",
        "open": "open article",
        "note": "Note",
        "no date": "no date",
    },
    "ar": {
        "sources": "المصادر",
        "more": "مقاطع أخرى مسترجعة ({n})",
        "related": "مقاطع ذات صلة لا تجيب عن السؤال ({n})",
        "open": "فتح المقال",
        "note": "ملاحظة",
        "no date": "بلا تاريخ",
    },
}
# "[1]", "[1, 2]", "[1،2]": the citation markers of extractive and LLM answers.
_MARKERS = re.compile(r"\[(\d{1,3}(?:\s*[,،]\s*\d{1,3})*)\]")
_SAFE_URL = re.compile(r"^https?://", re.IGNORECASE)
_AFTER_MARKER = re.compile(r"(?<=\])\s+")


# Everything that ends a line for someone: a raw line break inside the page ends Gradio's
# HTML block, and what follows ("## heading", "![](tracker)") would render as Markdown.
_LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Bidi overrides and isolates (they reorder what follows them), and other invisible controls.
_CONTROLS = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]"
)


def field_html(value: object, *, lines: bool = False) -> str:
    """The one way text reaches the page: controls and bidi overrides removed, line breaks
    made <br> (`lines`) or spaces, then HTML-escaped (quotes too, so it is safe in an
    attribute). Article text, titles, sources, dates, urls, doc ids, notices, LLM text."""
    text = _CONTROLS.sub("", str(value))
    if lines:
        return "<br>".join(escape(part, quote=True) for part in _LINE_BREAKS.split(text))
    return escape(_LINE_BREAKS.sub(" ", text), quote=True)


def text_html(text: str) -> str:
    """Escaped text with its line breaks kept (as <br>)."""
    return field_html(text, lines=True)


def user_message(question: str) -> str:
    """A question as the chat shows it: escaped, its direction taken from its own text."""
    return f'<div class="rag-msg rag-user" dir="auto">{text_html(question)}</div>'


def streaming_message(partial: str, status: str = "") -> str:
    """An answer still arriving: the text so far and a cursor; before the first word, what
    the model is doing ("reading 5 passages with ...")."""
    waiting = (
        f'<span class="rag-status">{text_html(status)}</span> ' if status and not partial else ""
    )
    return (
        f'<div class="rag-msg rag-answer" dir="auto"><div class="rag-text" dir="auto">'
        f'{waiting}{text_html(partial)}<span class="rag-cursor">▍</span></div></div>'
    )


def answer_message(answer: Answer, turn: str) -> str:
    """The finished answer: text with linked [n] markers, notices, sources, other passages.

    `turn` makes the anchors unique in the page (one id per answer in the conversation).
    """
    labels = LABELS.get(answer.language, LABELS["en"])
    cited = {c.n for c in answer.citations}
    # Containers get an explicit direction: dir="auto" skips children that have their own
    # dir, so a container of dir="auto" leaves would fall back to left-to-right.
    side = "rtl" if answer.language == "ar" else "ltr"
    parts = [
        f'<div class="rag-msg rag-answer" dir="{side}">',
        f'<div class="rag-text" dir="auto">{_answer_text(answer.text, cited, turn)}</div>',
    ]
    parts.extend(notice_html(n) for n in answer.notices)
    if answer.citations:
        parts.append(
            f'<div class="rag-sources"><div class="rag-sources-h">{labels["sources"]}</div>'
        )
        parts.extend(citation_html(c, turn, labels) for c in answer.citations)
        parts.append("</div>")
    others = [(i, p) for i, p in enumerate(answer.passages, start=1) if i not in cited]
    if answer.mode == "not_found":  # shown open, as related: nothing is cited
        others = others[: len(answer.related)]
    if others:
        label, opened = ("related", " open") if answer.mode == "not_found" else ("more", "")
        parts.append(
            f'<details class="rag-more"{opened}>'
            f"<summary>{labels[label].format(n=len(others))}</summary>"
        )
        parts.extend(passage_html(n, p, turn, labels) for n, p in others)
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


def notice_html(notice: str) -> str:
    """A notice ("kind: message") as one plain line; the kind stays for those who grep."""
    kind, _, message = notice.partition(": ")
    if not message:
        kind, message = "", notice
    label = LABELS["ar" if _direction(message) == "rtl" else "en"]["note"]
    tag = f' <span class="rag-kind">({field_html(kind)})</span>' if kind else ""
    return (
        f'<div class="rag-notice" dir="auto"><b>{field_html(label)}:</b> '
        f"{field_html(message)}{tag}</div>"
    )


def citation_html(c: Citation, turn: str, labels: Mapping[str, str]) -> str:
    """One cited source: number, title, source, date, link, passage with the sentence marked."""
    return _card(
        n=c.n,
        turn=turn,
        title=c.title,
        meta=_meta(c.source, c.date, c.url, c.doc_id, labels),
        body=highlighted(c.text, c.span, c.supporting),
        cls="rag-src",
    )


def passage_html(n: int, p: Passage, turn: str, labels: Mapping[str, str]) -> str:
    """A retrieved passage the answer did not cite."""
    return _card(
        n=n,
        turn=turn,
        title=p.title,
        meta=_meta(p.source, p.date, p.url, p.doc_id, labels),
        body=text_html(p.text),
        cls="rag-src rag-uncited",
    )


def highlighted(text: str, span: tuple[int, int] | list[int], supporting: str = "") -> str:
    """The passage, escaped, with the supporting sentence inside <mark>."""
    start, end = (int(span[0]), int(span[1])) if span else (0, 0)
    if not (0 <= start < end <= len(text)) or (supporting and text[start:end] != supporting):
        start = text.find(supporting) if supporting else -1
        end = start + len(supporting)
    if start < 0 or end <= start:
        return text_html(text)
    return (
        f"{text_html(text[:start])}<mark>{text_html(text[start:end])}</mark>{text_html(text[end:])}"
    )


def report_html(report: Mapping[str, Any]) -> str:
    """An ingest report (`IngestReport.to_json()`): counts, then a line per failure and
    per warning (an upload whose record id belongs to another article says so)."""
    keys = ("ingested", "updated", "unchanged", "duplicates", "failed", "chunks")
    cells = "".join(
        f'<div class="rag-stat"><div class="rag-num">{int(report.get(k, 0))}</div>'
        f'<div class="rag-lbl">{k}</div></div>'
        for k in keys
    )
    seconds = float(report.get("seconds", 0.0))
    lines = [f'<div class="rag-stats">{cells}</div>', f'<div class="rag-dim">{seconds:.1f} s</div>']
    for dup in report.get("duplicate_docs", [])[:20]:
        lines.append(
            f'<div class="rag-line" dir="auto">duplicate: {field_html(str(dup.get("doc_id", "")))}'
            f" = {field_html(str(dup.get('duplicate_of', '')))}</div>"
        )
    for fail in report.get("failures", []):
        lines.append(
            f'<div class="rag-line rag-fail" dir="auto">failed: '
            f"{field_html(fail.get('where', ''))}: {field_html(fail.get('reason', ''))}</div>"
        )
    lines.extend(
        f'<div class="rag-line rag-warn" dir="auto">warning: {field_html(w)}</div>'
        for w in report.get("warnings", [])
    )
    return f'<div class="rag-report">{"".join(lines)}</div>'


def stats_html(stats: Mapping[str, Any], llm: str) -> str:
    """Corpus statistics (`rag.store.stats.corpus_stats`), the embed model and the answer mode."""
    cells = "".join(
        f'<div class="rag-stat"><div class="rag-num" data-stat="{k}">{int(stats.get(k, 0))}</div>'
        f'<div class="rag-lbl">{k}</div></div>'
        for k in ("documents", "chunks")
    )
    rows = [
        ("languages", _counts(stats.get("languages", {}))),
        ("sources", _counts(stats.get("sources", {}), limit=8)),
        ("dates", " .. ".join(stats.get("date_range") or []) or "-"),
        ("last ingest", _last_ingest(stats.get("last_ingest"))),
        ("embed model", _embed_model(stats)),
        ("answers", llm),
        ("store", str(stats.get("store", ""))),
    ]
    table = "".join(
        f'<tr><th>{field_html(k)}</th><td dir="auto">{field_html(v)}</td></tr>' for k, v in rows
    )
    return f'<div class="rag-stats">{cells}</div><table class="rag-table">{table}</table>'


# --- internals -------------------------------------------------------------------------
def _embed_model(stats: Mapping[str, Any]) -> str:
    backend = stats.get("embed_backend")
    model = str(stats.get("embed_model", ""))
    return f"{model} ({backend})" if backend else model


def _answer_text(text: str, cited: set[int], turn: str) -> str:
    """Answer text with linked markers; quotes in the other script get their own line.

    An answer quoting an Arabic and an English sentence is unreadable as one bidi paragraph
    (the English wraps right-to-left): where the direction changes after a [n] marker, a
    new paragraph starts, each with its own direction.
    """
    groups: list[list[str]] = []
    last = None
    for segment in _AFTER_MARKER.split(text):
        direction = _direction(segment) or last
        if groups and direction == last:
            groups[-1].append(segment)
        else:
            groups.append([segment])
        last = direction
    if len(groups) == 1:
        return _linked_markers(text, cited, turn)
    return "".join(
        f'<div class="rag-para" dir="auto">{_linked_markers(" ".join(g), cited, turn)}</div>'
        for g in groups
    )


def _direction(text: str) -> str | None:
    """Direction of the first strong character: "rtl", "ltr" or None (digits, marks)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return None


def _linked_markers(text: str, cited: set[int], turn: str) -> str:
    def link(match: re.Match[str]) -> str:
        numbers = [int(x) for x in re.split(r"\s*[,،]\s*", match.group(1))]
        if not any(n in cited for n in numbers):
            return match.group(0)
        return "".join(
            f'<a class="rag-cite" href="#rag-{turn}-{n}">[{n}]</a>' if n in cited else f"[{n}]"
            for n in numbers
        )

    return _MARKERS.sub(link, text_html(text))


def _card(*, n: int, turn: str, title: str, meta: str, body: str, cls: str) -> str:
    side = _direction(title) or _direction(body) or "ltr"
    return (
        f'<div class="{cls}" id="rag-{turn}-{n}" dir="{side}">'
        f'<div class="rag-src-h"><span class="rag-n">[{n}]</span> '
        f'<span class="rag-title">{field_html(title)}</span></div>'
        f"{meta}"
        f'<div class="rag-passage" dir="auto">{body}</div></div>'
    )


def _meta(source: str, date: str, url: str, doc_id: str, labels: Mapping[str, str]) -> str:
    # Every card shows a date: a time question's reader weighs each source by it.
    bits = [field_html(x) for x in (source, date[:10] or labels["no date"]) if x]
    if url and _SAFE_URL.match(url):
        bits.append(
            f'<a href="{field_html(url)}" target="_blank" rel="noopener noreferrer" '
            f'dir="ltr">{field_html(labels["open"])}: {field_html(_short_url(url))}</a>'
        )
    elif doc_id:
        bits.append(f'<code dir="ltr">{field_html(doc_id)}</code>')
    # No dir of its own: the line follows its card (an Arabic card's meta sits on the right).
    return f'<div class="rag-meta">{" · ".join(bits)}</div>' if bits else ""


def _short_url(url: str) -> str:
    bare = re.sub(r"^https?://(www\.)?", "", url, flags=re.IGNORECASE)
    return bare if len(bare) <= 60 else bare[:57] + "..."


def _counts(counts: Mapping[str, Any], limit: int = 20) -> str:
    items: Iterable[tuple[str, Any]] = list(counts.items())[:limit]
    text = ", ".join(f"{k} {v}" for k, v in items)
    return text + (" ..." if len(counts) > limit else "") if text else "-"


def _last_ingest(summary: Mapping[str, Any] | None) -> str:
    if not summary:
        return "-"
    when = str(summary.get("finished_at", ""))
    counts = ", ".join(
        f"{k} {summary[k]}" for k in ("ingested", "updated", "failed", "chunks") if k in summary
    )
    return f"{when} ({counts})" if when else counts
