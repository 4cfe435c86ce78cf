"""Does one evidence window state one claim? The term rules of the citation check.

A claim is stated by a window when
- every number it states, and every name in an English claim, is in the window (across
  scripts names meet on their consonant skeleton, months and weekdays on a calendar key;
  a name too short for a skeleton is left to the cosine),
- every word it shares with the question is in the window, in one language: an answer
  that repeats the question's "died" or "promised" over a quote that says neither takes
  the question's premise for the article's word,
- in one language, most of its content words are in the window; across languages, where
  words cannot be compared, the window is close in meaning (e5 cosine >= the threshold).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from rag.text.analysis import script_language
from rag.text.calendar_names import calendar_keys
from rag.text.focus import (
    Term,
    TermIndex,
    coverage,
    focus_terms,
    index_text,
    matches,
    term_key,
)

# Same-language claims: share of their content words the evidence must state.
LEXICAL_SUPPORT = 0.6
_FIRST_WORD = re.compile(r"\W*(\w+)", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)
# Words a question asks with rather than about ("the number of visitors", "the reason"):
# an answer may repeat them without the quote saying them.
_ASKING_WORDS = (
    "عدد اسم سبب أسباب نسبة قيمة كمية مدى نوع تاريخ موعد مقدار حجم مبلغ "
    "reason cause date amount kind type size total"
)
_ASKING = frozenset(term_key(w) for w in _ASKING_WORDS.split())


class Claim(NamedTuple):
    terms: list[Term]
    language: str
    calendar: Mapping[str, str] = {}  # stem of a month or weekday name: its key


class Evidence(NamedTuple):
    terms: TermIndex
    language: str
    calendar: frozenset[str] = frozenset()  # keys of the month and weekday names stated


def read_claim(text: str, lead_name: bool = False) -> Claim:
    """A claim's terms and language; with `lead_name`, a capitalised first word of an
    English claim counts as a name (elsewhere it may be any word that starts a sentence;
    in a rewrite of given quotes, "Macron demanded..." must name someone they name)."""
    terms = focus_terms(text)
    language = script_language(text)
    first = _FIRST_WORD.match(text)
    if (
        lead_name
        and language == "en"
        and terms
        and first
        and first.group(1)[:1].isupper()
        and not terms[0].is_number
        and focus_terms(first.group(1)) == [terms[0]._replace(is_name=False)]
    ):
        terms = [terms[0]._replace(is_name=True), *terms[1:]]
    calendar = {term_key(name): key for name, key in calendar_keys(text).items()}
    return Claim(terms, language, calendar)


def read_evidence(text: str) -> Evidence:
    return Evidence(
        index_text(text), script_language(text), frozenset(calendar_keys(text).values())
    )


def hard_terms(terms: list[Term], claim_language: str) -> list[Term]:
    """Terms a supporting passage must state: numbers, and names in English claims."""
    english = claim_language == "en"
    return [t for t in terms if t.is_number or (english and t.is_name)]


def states(term: Term, claim: Claim, evidence: Evidence) -> bool | None:
    """Does the evidence state a hard term of the claim; None when it cannot be told.

    Across scripts a month or weekday is compared by its calendar key (July / يوليو), and
    a name too short for a consonant skeleton ("Al", "Muna") cannot be compared at all:
    it is left to the cosine, not counted against the claim."""
    cross = claim.language != evidence.language
    if cross and term.stem in claim.calendar:
        return claim.calendar[term.stem] in evidence.calendar
    if matches(term, evidence.terms, cross):
        return True
    if cross and not term.is_number and not term.skeleton:
        return None
    return False


def supports(
    claim: str,
    evidence: str,
    claim_vec: np.ndarray | None,
    evidence_vec: np.ndarray | None,
    threshold: float,
) -> tuple[bool, float]:
    """(does `evidence` state `claim`, a support score for ranking)."""
    both = claim_vec is not None and evidence_vec is not None
    cos = float(np.dot(claim_vec, evidence_vec)) if both else 0.0  # type: ignore[arg-type]
    return supports_terms(read_claim(claim), read_evidence(evidence), cos, threshold)


def supports_terms(
    claim: Claim,
    evidence: Evidence,
    cos: float,
    threshold: float,
    article: Evidence | None = None,
    asked: Sequence[Term] = (),
) -> tuple[bool, float]:
    """With `article` (the whole passage of a given quote), a name the quote lacks may be
    named elsewhere in its article ("Irbid's network" for a quote on "the city's network");
    numbers must be in the quote."""
    cross = claim.language != evidence.language
    for term in hard_terms(claim.terms, claim.language):
        if states(term, claim, evidence) is not False:
            continue
        if article is not None and not term.is_number and states(term, claim, article):
            continue
        return False, 0.0
    if cross:
        return cos >= threshold, cos
    if not all(asked_stated(t, claim, evidence, article) for t in asked):
        return False, 0.0
    share, _ = coverage(claim.terms, evidence.terms, {}, cross_script=False)
    return share >= LEXICAL_SUPPORT, max(share, cos)


def asked_stated(term: Term, claim: Claim, evidence: Evidence, article: Evidence | None) -> bool:
    """A word the claim repeats from the question is in the window; an English name may be
    named elsewhere in the quote's article instead ("Irbid's network" for "the city's
    network"), as for the hard terms. Arabic has no capitals to tell a name: its words
    must be in the quote."""
    if matches(term, evidence.terms, False):
        return True
    return (
        article is not None
        and claim.language == "en"
        and term.is_name
        and matches(term, article.terms, False)
    )


def asked_terms(claim: Claim, question: str) -> list[Term]:
    """The claim's content words that the question asks with (by stem), less the words
    questions ask with rather than about (`_ASKING`): what a same-language window must state
    for the claim not to be the question's premise repeated as the article's word."""
    if not question:
        return []
    asked = {t.stem for t in focus_terms(question)} - _ASKING
    return [t for t in claim.terms if t.stem in asked and not t.is_number]


def written(stems: set[str], text: str) -> list[str]:
    """The words of `text` whose analysed form is one of `stems`, as written, once each."""
    return list(dict.fromkeys(w for w in _WORD.findall(text) if term_key(w) in stems))
