"""Text cleaning, HTML-to-text and language detection for Arabic and English news.

Everything here is a pure function of its input: no I/O, no settings.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

__all__ = ["clean_text", "detect_language", "html_to_text"]

# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------

# Elements whose content is never article text. `header`/`footer` are page chrome far
# more often than article parts, and dropping a byline is cheaper than keeping menus.
_SKIP_TAGS = frozenset(
    {
        "script", "style", "nav", "header", "footer", "aside", "form", "noscript",
        "template", "svg", "iframe", "object", "button", "select", "textarea",
    }
)  # fmt: skip
# Block elements end a line; the "paragraph" ones also leave a blank line, so paragraphs
# stay visible to the chunker.
_LINE_TAGS = frozenset(
    {"br", "div", "li", "tr", "dt", "dd", "figcaption", "caption", "main", "address", "hr"}
)
_PARA_TAGS = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "article", "section",
        "table", "ul", "ol", "dl", "figure",
    }
)  # fmt: skip
_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_WS_RE = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    """Collects visible body text plus a little metadata, tolerating broken markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.meta: dict[str, str] = {}
        self._skip: list[list[str | int]] = []  # [tag, nesting depth of that tag]
        self._pre = 0
        self._trail = 0  # newlines emitted since the last visible text
        self._in_title = False
        self._title: list[str] = []
        self._h1_depth = 0
        self._h1: list[str] = []
        self._h1_done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            self._meta_tag(attr)
        elif tag == "link" and "canonical" in attr.get("rel", "").lower().split():
            self.meta.setdefault("canonical", attr.get("href", "").strip())
        elif tag == "title":
            self._in_title = True
        elif tag == "h1" and not self._h1_done:
            self._h1_depth += 1
        if self._skip:
            top = self._skip[-1]
            if tag == top[0]:
                top[1] = int(top[1]) + 1
            return
        if tag in _VOID_TAGS:
            if tag in ("br", "hr"):
                self._newline()
            return
        if tag in _SKIP_TAGS or "hidden" in attr or attr.get("aria-hidden") == "true":
            self._skip.append([tag, 1])
            return
        if tag == "pre":
            self._pre += 1
        self._break(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # `<br/>`, `<meta .../>`: never opens an element, so never touches the skip stack.
        attr = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            self._meta_tag(attr)
        elif tag == "link" and "canonical" in attr.get("rel", "").lower().split():
            self.meta.setdefault("canonical", attr.get("href", "").strip())
        elif tag in ("br", "hr") and not self._skip:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "h1" and self._h1_depth:
            self._h1_depth -= 1
            self._h1_done = self._h1_depth == 0 and bool("".join(self._h1).strip())
        if self._skip:
            top = self._skip[-1]
            if tag == top[0]:
                top[1] = int(top[1]) - 1
                if top[1] == 0:
                    self._skip.pop()
            return
        if tag == "pre" and self._pre:
            self._pre -= 1
        self._break(tag)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
            return
        if self._h1_depth and not self._h1_done:
            self._h1.append(data)
        if self._skip:
            return
        text = data if self._pre else _WS_RE.sub(" ", data)
        self.parts.append(text)
        if text.strip():
            self._trail = len(text) - len(text.rstrip("\n"))

    def _newline(self) -> None:
        self.parts.append("\n")
        self._trail += 1

    def _break(self, tag: str) -> None:
        # Adjacent block boundaries (`</li><li>`, `</p><p>`) share one break, not two.
        wanted = 2 if tag in _PARA_TAGS else 1 if tag in _LINE_TAGS else 0
        if wanted > self._trail:
            self.parts.append("\n" * (wanted - self._trail))
            self._trail = wanted

    def _meta_tag(self, attr: dict[str, str]) -> None:
        key = (attr.get("property") or attr.get("name") or attr.get("itemprop") or "").lower()
        content = attr.get("content", "").strip()
        if not content:
            return
        wanted = {
            "og:url": "og_url",
            "og:title": "og_title",
            "og:site_name": "source",
            "article:published_time": "date",
            "datepublished": "date",
            "author": "author",
        }
        if key in wanted:
            self.meta.setdefault(wanted[key], content)

    def result(self) -> tuple[str, dict[str, str]]:
        meta: dict[str, str] = {}
        title = _WS_RE.sub(" ", "".join(self._title)).strip()
        h1 = _WS_RE.sub(" ", "".join(self._h1)).strip()
        meta_title = title or self.meta.get("og_title", "") or h1
        if meta_title:
            meta["title"] = meta_title
        url = self.meta.get("og_url") or self.meta.get("canonical")
        if url:
            meta["url"] = url
        for key in ("date", "source", "author"):
            if self.meta.get(key):
                meta[key] = self.meta[key]
        text = "\n".join(line.strip() for line in "".join(self.parts).split("\n"))
        return clean_text(text), meta


def html_to_text(html: str) -> tuple[str, dict[str, str]]:
    """Return the visible article text of an HTML page and the metadata found in it.

    Scripts, styles, navigation, headers, footers, asides, forms and hidden elements are
    dropped; block elements become line breaks. Metadata keys (present only when found):
    title (<title>, else og:title, else the first <h1>), url (og:url, else the canonical
    link), date (article:published_time), source (og:site_name), author.
    """
    parser = _TextExtractor()
    parser.feed(defuse_markup(html))
    parser.close()
    return parser.result()


MAX_TAG_CHARS = 4096  # a "<" whose ">" is further than this is text, not a tag


def defuse_markup(html: str) -> str:
    """The page with every "<" that cannot start a complete tag escaped, in one pass.

    The standard library's parser rescans the rest of the page at each "<" it cannot finish
    ("<a<a<a...", "<!--<!--...", "<![ "), which is quadratic (a 1 MB page: hours) or an
    AssertionError. Here: an unclosed comment ends the page (as browsers read it), "<!"
    other than a comment or doctype is text, and a "<" with another "<" or the end of the
    page before its ">" is text. Each search starts where the last one ended: linear.
    """
    out: list[str] = []
    pos = 0
    gt = -2  # position of the next ">" at or after the scan, -1 when there is none
    n = len(html)
    while True:
        lt = html.find("<", pos)
        if lt < 0:
            out.append(html[pos:])
            break
        out.append(html[pos:lt])
        if html.startswith("<!--", lt):
            end = html.find("-->", lt + 4)
            if end < 0:
                break  # the rest of the page is a comment
            out.append(html[lt : end + 3])
            pos = end + 3
            continue
        if html.startswith("<!", lt) and not html[lt + 2 : lt + 9].lower().startswith("doctype"):
            out.append("&lt;")
            pos = lt + 1
            continue
        if gt != -1 and gt < lt:
            gt = html.find(">", lt)
        nxt = html.find("<", lt + 1, gt if gt >= 0 else n)
        if gt < 0 or nxt >= 0 or gt - lt > MAX_TAG_CHARS:
            out.append("&lt;")
            pos = lt + 1
            continue
        out.append(html[lt : gt + 1])
        pos = gt + 1
    return "".join(out)


# --------------------------------------------------------------------------------------
# Cleaning
# --------------------------------------------------------------------------------------

# Zero-width and bidi-control characters: invisible, but they split words for the tokenizer
# and the BM25 index. ZWNJ (U+200C) is kept: Persian/Urdu spelling depends on it.
_INVISIBLE_RE = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200d\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_ODD_SPACE_RE = re.compile("[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_NEWLINE_RE = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_BLANK_RUN_RE = re.compile(r"\n{3,}")

# Web-page chrome that scrapers leave in article text. A line is dropped when, after
# `_normalise_line`, it equals one of these; keep the list short and unambiguous.
_BOILERPLATE = (
    "اظهر المزيد",
    "أظهر المزيد",
    "عرض المزيد",
    "زر الذهاب إلى الأعلى",
    "اقرأ أيضا",
    "اقرأ المزيد",
    "شارك",
    "شارك الخبر",
    "شارك المقال",
    "إعلان",
    "Share this",
    "Share this article",
    "Share",
    "Read more",
    "Read also",
    "Advertisement",
    "Skip to content",
    "Back to top",
    "Show more",
)
# Phrases so specific to page chrome that they are also cut when glued to the end of a
# text line (the scraper lost the line break). Latin ones only after sentence punctuation,
# so prose like "...went back to top form" is never cut.
_GLUED_AR = ("زر الذهاب إلى الأعلى", "اظهر المزيد")
_GLUED_LATIN = ("Back to top", "Skip to content")

_AR_MARKS_RE = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640]")  # harakat, tatweel
_AR_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
_NON_WORD_RE = re.compile(r"[\W_]+")


def _normalise_line(line: str) -> str:
    """Fold case, Arabic letter variants and punctuation so near-identical lines compare equal."""
    folded = _AR_MARKS_RE.sub("", line.casefold()).translate(_AR_FOLD)
    return _NON_WORD_RE.sub(" ", folded).strip()


_BOILERPLATE_NORM = frozenset(_normalise_line(p) for p in _BOILERPLATE)


def _phrase_pattern(phrase: str) -> str:
    """Regex for a phrase that tolerates alef/ya variants, harakat and spacing."""
    classes = {"ا": "[اأإآ]", "أ": "[اأإآ]", "إ": "[اأإآ]", "ى": "[ىي]", "ي": "[ىي]"}
    out = []
    for ch in phrase:
        if ch == " ":
            out.append(r"\s+")
        else:
            out.append(classes.get(ch, re.escape(ch)) + "[\u064b-\u065f\u0640]*")
    return "".join(out)


_GLUED_RE = re.compile(
    "(?:"
    + "|".join(r"\s*" + _phrase_pattern(p) for p in _GLUED_AR)
    + "|"
    + "|".join(r"(?<=[.!?؟\"'”»)\]])\s*" + re.escape(p) for p in _GLUED_LATIN)
    + r")[\W_]*$",
    re.IGNORECASE,
)


_BOILERPLATE_MAX = 2 * max(map(len, _BOILERPLATE))
_GLUED_TAIL = 2 * max(map(len, _GLUED_AR + _GLUED_LATIN))


def _cut_glued_trailers(line: str) -> str:
    # Only the end of the line can hold a glued trailer: search just its tail, which keeps
    # the cost independent of paragraph length. Loop for two trailers glued in a row.
    while True:
        tail_start = max(0, len(line) - _GLUED_TAIL)
        match = _GLUED_RE.search(line, tail_start)
        if not match:
            return line
        line = line[: match.start()]


def clean_text(text: str) -> str:
    """Normalise whitespace and drop invisible characters and web boilerplate lines.

    - newlines become "\\n"; trailing spaces go; two or more blank lines become one;
    - zero-width/bidi-control characters are removed (ZWNJ is kept), odd spaces become " ";
    - lines that are only page chrome ("اظهر المزيد", "زر الذهاب إلى الأعلى", "Read more",
      ...; see `_BOILERPLATE`) are dropped, and the most specific of them are also cut
      from the end of a line they were glued to.
    The result is stripped, and cleaning it again changes nothing.
    """
    if not text:
        return ""
    # NFC after removing invisibles: a dropped ZWJ can leave a composable pair behind.
    text = unicodedata.normalize("NFC", _INVISIBLE_RE.sub("", _NEWLINE_RE.sub("\n", text)))
    text = _CONTROL_RE.sub("", _ODD_SPACE_RE.sub(" ", text))
    kept: list[str] = []
    for line in text.split("\n"):
        line = _cut_glued_trailers(line)
        # Boilerplate lines are short: don't normalise every paragraph just to compare it.
        if len(line) <= _BOILERPLATE_MAX and _normalise_line(line) in _BOILERPLATE_NORM:
            continue
        kept.append(line)
    # Line by line: the regex `[ \t]+$` rescans a long run of blanks at each start (quadratic).
    text = "\n".join(line.rstrip(" \t") for line in kept)
    return _BLANK_RUN_RE.sub("\n\n", text).strip()


# --------------------------------------------------------------------------------------
# Language
# --------------------------------------------------------------------------------------

# Runs (`+`) rather than single letters: counting run lengths is several times faster
# than one regex match per letter.
_ARABIC_LETTER_RE = re.compile(
    "[\u0620-\u064a\u066e-\u06d3\u06d5\u06ee-\u06ff\u0750-\u077f\u08a0-\u08ff"
    "\ufb50-\ufdff\ufe70-\ufefc]+"
)
# Letters used in Persian/Urdu but not in Arabic: enough of them means "not Arabic".
_PERSIAN_RE = re.compile("[\u067e\u0686\u0698\u06a9\u06af\u06ba\u06be\u06c1\u06d2]+")
_LATIN_LETTER_RE = re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]+")
_ANY_LETTER_RE = re.compile(r"[^\W\d_]+")
_LATIN_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")
# Frequent English function words that are rare as words in French, German, Spanish,
# Italian, Portuguese or Dutch ("a", "in", "an", "was", "as", "is" are left out for that).
_EN_STOPWORDS = frozenset(
    {
        "the", "of", "and", "to", "that", "for", "with", "by", "from", "his", "her", "has",
        "have", "had", "are", "were", "been", "said", "not", "this", "but", "they", "their",
        "which", "who", "would", "about", "after", "it", "its", "he", "she", "we", "you", "be",
        "at", "or", "more", "than", "also", "there", "when", "what", "could", "into", "over",
        "our", "your", "them", "these", "those", "while",
    }
)  # fmt: skip
_SAMPLE_CHARS = 100_000  # language is clear long before this; bounds the cost


def _count(pattern: re.Pattern[str], text: str) -> int:
    # Deleting the matches and comparing lengths beats building a list of every match.
    return len(text) - len(pattern.sub("", text))


def detect_language(text: str) -> str:
    """Guess the language of a text: "ar", "en" or "other".

    The script of the letters decides first: mostly Arabic-script letters -> "ar" (unless
    Persian/Urdu-only letters are common); mostly Latin letters -> "en" when English
    function words make up a good share of the words, else "ar" when at least a quarter of
    the letters are Arabic (code or names inside an Arabic article), else "other". Text
    that is mostly in other scripts, or has no letters, -> "other".
    """
    sample = text[:_SAMPLE_CHARS]
    arabic = _count(_ARABIC_LETTER_RE, sample)
    latin = _count(_LATIN_LETTER_RE, sample)
    if arabic == 0 and latin == 0:
        return "other"
    dominant = max(arabic, latin)
    # Letters never outnumber the visible characters, so a script filling half of those
    # holds half the letters too; only otherwise pay for counting letters of all scripts.
    visible = len(sample) - sum(sample.count(ch) for ch in " \n\t\r")
    if 2 * dominant < visible and 2 * dominant < _count(_ANY_LETTER_RE, sample):
        return "other"
    if arabic < latin:
        words = _LATIN_WORD_RE.findall(sample.lower())
        hits = sum(1 for w in words if w in _EN_STOPWORDS)
        if words and hits / len(words) >= 0.08:
            return "en"
        # Latin letters that are not English prose next to a fair share of Arabic: scraped
        # Arabic articles polluted with page scripts/CSS, or Arabic film lists with titles.
        if arabic < 0.25 * (arabic + latin):
            return "other"
    persian = _count(_PERSIAN_RE, sample)
    return "other" if persian > 0.02 * arabic else "ar"
