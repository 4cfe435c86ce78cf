"""Text analysis for lexical search: Arabic normalisation, tokens, stop words, stems.

Documents and queries go through the same `analyze`, so the forms they are matched on agree.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

# Harakat, Quranic marks, superscript alef: diacritics that split words when left in.
_DIACRITICS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]"
)
_TATWEEL = "\u0640"
_ALEF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_TOKEN = re.compile(r"\w+", re.UNICODE)
_ARABIC_CHAR = re.compile("[\u0600-\u06ff]")
# Conjunction + preposition + article glued to a word; only stripped when 2+ letters remain.
_ARTICLE = re.compile("^(?:[وف]?(?:[بك]?ال|لل))(?=..)")

ARABIC_STOPWORDS = frozenset(
    [
        "في",
        "من",
        "على",
        "الى",
        "إلى",
        "عن",
        "مع",
        "هذا",
        "هذه",
        "ذلك",
        "تلك",
        "التي",
        "الذي",
        "الذين",
        "ان",
        "أن",
        "إن",
        "او",
        "أو",
        "ثم",
        "كما",
        "قد",
        "لقد",
        "لا",
        "لم",
        "لن",
        "ما",
        "ماذا",
        "متى",
        "اين",
        "أين",
        "كيف",
        "هل",
        "هو",
        "هي",
        "هم",
        "هن",
        "انا",
        "أنا",
        "نحن",
        "كان",
        "كانت",
        "يكون",
        "بين",
        "بعد",
        "قبل",
        "حتى",
        "عند",
        "كل",
        "اي",
        "أي",
        "غير",
        "بعض",
        "منذ",
        "خلال",
        "حول",
        "ضد",
        "لدى",
        "وقد",
        "وفي",
        "ومن",
        "وعلى",
        "وان",
        "وأن",
        "فيه",
        "فيها",
        "منه",
        "منها",
        "عليه",
        "عليها",
        "اليوم",
        "امس",
        "أمس",
        "وقال",
        "قال",
        "قالت",
        "يوم",
    ]
)
ENGLISH_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "about",
        "as",
        "into",
        "over",
        "after",
        "before",
        "between",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "he",
        "she",
        "they",
        "them",
        "his",
        "her",
        "their",
        "we",
        "you",
        "i",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "not",
        "no",
        "than",
        "then",
        "so",
        "such",
        "can",
        "could",
        "will",
        "would",
        "should",
        "may",
        "might",
        "said",
        "says",
        "also",
    ]
)


def prepare(text: str) -> str:
    """NFKC, no diacritics or tatweel, Western digits, lower case; letters kept as written."""
    text = unicodedata.normalize("NFKC", text)
    return _DIACRITICS.sub("", text).replace(_TATWEEL, "").translate(_DIGITS).lower()


def normalize_arabic(text: str) -> str:
    """NFKC, no diacritics or tatweel, one alef, ة->ه, ى->ي, Western digits, lower case."""
    return prepare(text).translate(_ALEF)


_THREAD = threading.local()


def _stemmers() -> tuple[object, object]:
    """This thread's Snowball stemmers. A stemmer keeps the word it works on in itself, so
    one shared by the web chat's answering threads stemmed another thread's word half-way
    (IndexError in find_among, seen in the concurrency test): one pair per thread."""
    pair = getattr(_THREAD, "stemmers", None)
    if pair is None:
        import snowballstemmer

        pair = _THREAD.stemmers = (
            snowballstemmer.stemmer("arabic"),
            snowballstemmer.stemmer("english"),
        )
    return pair


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """Light stem: Snowball Arabic for Arabic-script tokens, Snowball English otherwise.

    Arabic tokens lose a glued article first (وال، بال، لل...), which Snowball leaves on
    when a conjunction precedes it, so القوات / والقوات / للقوات meet on one stem. Snowball
    reads ة and ى, so the alef/ta-marbuta/ya folding happens after it.
    """
    arabic, english = _stemmers()
    if _ARABIC_CHAR.search(token):
        bare = _ARTICLE.sub("", token)
        stemmed = arabic.stemWord(bare)  # type: ignore[attr-defined]
        return (stemmed or bare).translate(_ALEF)
    if token.isdigit():
        return token
    return english.stemWord(token)  # type: ignore[attr-defined]


def is_stopword(token: str) -> bool:
    return token.translate(_ALEF) in ARABIC_STOPWORDS_NORMALIZED or token in ENGLISH_STOPWORDS


def analyze(text: str) -> list[str]:
    """Tokens for BM25: normalised, stop words dropped, stemmed."""
    return [
        stem(t)
        for t in _TOKEN.findall(prepare(text))
        if (len(t) > 1 and not is_stopword(t)) or t.isdigit()
    ]


ARABIC_STOPWORDS_NORMALIZED = frozenset(normalize_arabic(w) for w in ARABIC_STOPWORDS)


def script_language(text: str) -> str:
    """ "ar" when Arabic letters dominate, "en" when Latin letters do, else "other"."""
    arabic = latin = 0
    for ch in text:
        if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f":
            arabic += 1
        elif ch.isascii() and ch.isalpha():
            latin += 1
    if arabic == latin == 0:
        return "other"
    return "ar" if arabic >= latin else "en"


def other_language(language: str) -> str:
    """The other of the two answer languages: "en" for "ar", "ar" otherwise."""
    return "en" if language == "ar" else "ar"


def question_language(text: str) -> str:
    """The language a question is answered in: "ar" or "en" (English when neither script
    dominates, e.g. a question of digits)."""
    return "ar" if script_language(text) == "ar" else "en"
