"""Focus terms: the words a passage must contain to answer a question or state a claim.

Same-language matching is on analysed stems. Across scripts, names meet on a consonant
skeleton (Erdogan, أردوغان and إردوغان are all "rdgn"; France and فرنسا are "frns"), and
numbers on their digits, so an English claim citing an Arabic passage can still be checked
for the names and numbers it states.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import NamedTuple

from rag.text.analysis import analyze, is_stopword, normalize_arabic, prepare, stem

_WORD = re.compile(r"\w+", re.UNICODE)
# A thousands separator inside a number ("2,000", "٢٬٠٠٠"), dropped so that it is one number.
_THOUSANDS = re.compile(r"(?<=\d)[,٬](?=\d{3}(?!\d))")
_ARABIC = re.compile("[\u0600-\u06ff]")
# Arabic letters -> Latin consonant classes (long vowels and hamza carriers drop out).
_AR_SKELETON = {
    "ب": "b", "پ": "b", "ت": "t", "ث": "t", "ط": "t", "ج": "g", "غ": "g", "گ": "g",
    "چ": "g", "ح": "h", "ه": "h", "خ": "k", "ق": "k", "ك": "k", "د": "d", "ذ": "d",
    "ض": "d", "ر": "r", "ز": "s", "س": "s", "ش": "s", "ص": "s", "ظ": "s", "ف": "f",
    "ڤ": "f", "ل": "l", "م": "m", "ن": "n",
}  # fmt: skip
_EN_DIGRAPHS = (
    ("sh", "s"), ("th", "t"), ("kh", "k"), ("gh", "g"), ("ph", "f"), ("ch", "s"),
    ("dh", "d"), ("ck", "k"), ("ts", "s"), ("ng", "n"),
)  # fmt: skip
_EN_SKELETON = {"p": "b", "v": "f", "j": "g", "q": "k", "z": "s", "x": "ks"}
_SOFT_C = re.compile(r"c(?=[eiy])")
_AR_ARTICLE = re.compile("^(?:[وف]?(?:[بك]?ال|لل))(?=...)")
# English words that open a question or an answer but name nothing.
_EN_GENERIC = frozenset(
    [
        "name",
        "names",
        "many",
        "much",
        "long",
        "year",
        "years",
        "day",
        "days",
        "time",
        "times",
        "number",
        "people",
        "person",
        "thing",
        "things",
        "according",
        "called",
        "call",
        "new",
        "first",
        "last",
    ]
)
MIN_SKELETON = 3
_ALEFS = str.maketrans("أإآ", "ااا")
# Arabic letters that foreign names spell with more than one Latin letter (أذربيجان is
# Azerbaijan, ذ also "dh"; ظبي is Dhabi; ث is "th" or "s"; ق is "q" or, in Gulf names, "g").
_AR_VARIANTS = {"ذ": "ds", "ظ": "ds", "ث": "ts", "ق": "kg", "ج": "gj"}
MAX_VARIANTS = 8
_AR_SUFFIX = re.compile("(?:ات|ون|ين|ان|ها|هم|هن|نا|كم|ه|ي)$")


class Term(NamedTuple):
    """One focus term of a question or claim."""

    stem: str  # analysed form, for same-script matching
    skeleton: str  # consonant skeleton, for cross-script names ("" when too short)
    is_number: bool
    is_name: bool  # capitalised mid-sentence in English, or any Arabic content word
    light: str = ""  # Arabic light root (see light_root)


def skeleton(word: str) -> str:
    """Latin consonant skeleton of a word in either script, repeats collapsed."""
    word = prepare(word)
    if _ARABIC.search(word):
        return _arabic_skeleton(word)
    word = _SOFT_C.sub("s", word)
    for digraph, sub in _EN_DIGRAPHS:
        word = word.replace(digraph, sub)
    word = word.replace("c", "k")
    return _collapsed(
        "".join(_EN_SKELETON.get(ch, ch) for ch in word if ch.isalpha() and ch not in "aeiouyw")
    )


@lru_cache(maxsize=200_000)
def skeletons(word: str) -> frozenset[str]:
    """Every skeleton an Arabic word may have as a foreign name (its ambiguous letters
    read each way, at most MAX_VARIANTS); a Latin word has one. Cached per distinct word:
    indexing a passage's text spent most of the retrieval's time re-reading the same words
    (the vocabulary of an archive repeats)."""
    base = skeleton(word)
    if not base or not _ARABIC.search(word):
        return frozenset({base} if base else ())
    variants = {prepare(word)}
    for letter, options in _AR_VARIANTS.items():
        if letter in word and len(variants) * len(options) <= MAX_VARIANTS:
            variants = {v.replace(letter, o) for v in variants for o in options}
    found = {_arabic_skeleton(v, keep_latin=True) for v in variants}
    return frozenset({s for s in found if s} | {base})


def _arabic_skeleton(word: str, keep_latin: bool = False) -> str:
    """Skeleton of a prepared Arabic word; `keep_latin` passes Latin letters through (the
    stand-ins `skeletons` puts in place of ambiguous letters)."""
    word = _AR_ARTICLE.sub("", word.translate(_ALEFS))
    return _collapsed(
        "".join(
            _AR_SKELETON.get(ch, ch if keep_latin and ch.isascii() and ch.isalpha() else "")
            for ch in word
        )
    )


def _collapsed(consonants: str) -> str:
    """Repeated letters as one; "" when under MIN_SKELETON remain."""
    collapsed = re.sub(r"(.)\1+", r"\1", consonants)
    return collapsed if len(collapsed) >= MIN_SKELETON else ""


def term_key(word: str) -> str:
    """The analysed form of a word: what a focus term is keyed by, and BM25 indexes it under
    (what rarity is looked up by). `normalize_arabic` prepares the word first."""
    return stem(normalize_arabic(word))


def focus_terms(text: str) -> list[Term]:
    """Content words of `text` (stop words and generic question words dropped), in order."""
    terms: dict[str, Term] = {}
    words = _WORD.findall(_THOUSANDS.sub("", text))
    for i, raw in enumerate(words):
        token = prepare(raw)
        if token.isdigit():
            terms.setdefault(token, Term(token, "", True, True))
            continue
        if len(token) < 2 or is_stopword(token) or token in _EN_GENERIC:
            continue
        arabic = bool(_ARABIC.search(token))
        if not arabic and not token.isascii():
            continue
        name = arabic or (raw[:1].isupper() and i > 0) or (raw.isupper() and len(raw) > 1)
        stemmed = term_key(token)
        terms.setdefault(stemmed, Term(stemmed, skeleton(raw), False, bool(name), light_root(raw)))
    return list(terms.values())


class TermIndex(NamedTuple):
    """What a piece of evidence offers for matching: stems, skeletons and numbers, and its
    Arabic words without their article (for light-root matching)."""

    stems: frozenset[str]
    skeletons: frozenset[str]
    arabic: frozenset[str] = frozenset()


def index_text(text: str) -> TermIndex:
    text = _THOUSANDS.sub("", text)
    words = set(_WORD.findall(text))
    stems = frozenset(analyze(text)) | frozenset(p for p in map(prepare, words) if p.isdigit())
    names = frozenset(s for w in words for s in skeletons(w))
    arabic = frozenset(_AR_ARTICLE.sub("", normalize_arabic(w)) for w in words if _ARABIC.search(w))
    return TermIndex(stems, names, arabic)


def light_root(word: str) -> str:
    """An Arabic word without article, one suffix and one verb prefix: طالب, يطالب and
    المطالبة share "طالب", which a Snowball stem does not always see; "" when under 3
    letters remain or the word is not Arabic."""
    if not _ARABIC.search(word):
        return ""
    root = _AR_ARTICLE.sub("", normalize_arabic(word))
    root = _AR_SUFFIX.sub("", root) if len(root) > 4 else root
    root = root[1:] if len(root) > 4 and root[0] in "يتن" else root
    return root if len(root) >= MIN_SKELETON else ""


def _contains_root(root: str, words: frozenset[str]) -> bool:
    return any(root in w and len(w) <= len(root) + 4 for w in words)


def matches(term: Term, evidence: TermIndex, cross_script: bool) -> bool:
    """Is `term` stated in the evidence: same stem, same digits, or (across scripts) the
    same name skeleton."""
    if term.stem in evidence.stems:
        return True
    if term.is_number:
        return False
    if term.light and _contains_root(term.light, evidence.arabic):
        return True
    return (
        cross_script
        and term.is_name
        and bool(term.skeleton)
        and term.skeleton in evidence.skeletons
    )


def checkable(terms: Iterable[Term], cross_script: bool) -> list[Term]:
    """The terms evidence can be checked for: all of them in one script; across scripts
    only names and numbers (other words would need a dictionary)."""
    return [t for t in terms if not cross_script or (t.is_name and t.skeleton) or t.is_number]


def coverage(
    terms: Iterable[Term], evidence: TermIndex, weights: Mapping[str, float], cross_script: bool
) -> tuple[float, float]:
    """(weighted share of the checkable terms the evidence states, heaviest weight it
    misses); (1.0, 0.0) when nothing is checkable."""
    total = covered = missing = 0.0
    for term in checkable(terms, cross_script):
        w = weights.get(term.stem, 1.0)
        total += w
        if matches(term, evidence, cross_script):
            covered += w
        else:
            missing = max(missing, w)
    return (covered / total if total else 1.0), missing
