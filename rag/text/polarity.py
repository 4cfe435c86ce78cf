"""Polarity: which words a text states under a negator ("did not resign", "لم يستقل").

A claim and its evidence disagree when a word they share is negated on one side only: "X
did not resign" against "X resigned", "لم يطالب أردوغان" against "طالب أردوغان". A negator
(not, never, no, لا، لم، لن، ليس، غير، عدم...; a denial: denied, نفى) governs the next few
content words up to the end of its clause. Words meet on their stem or, in Arabic, their
light root (طالب، يطالب and المطالبة are one word here).

Across languages words cannot be compared, so a text's polarity is whether its clause
carries a negator at all (`has_negator`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rag.text.analysis import is_stopword, normalize_arabic, prepare, script_language, stem
from rag.text.focus import light_root

# Content words a negator governs, within its clause.
SCOPE = 3
_EN_NEGATORS = frozenset(
    ["not", "no", "never", "neither", "nor", "without", "cannot", "none", "nobody", "nothing"]
)
# Arabic negators, normalised (alef folded, ة -> ه); a glued و or ف is allowed before them.
_AR_NEGATORS = frozenset(
    normalize_arabic(w)
    for w in ["لا", "لم", "لن", "ليس", "ليست", "ليسوا", "ليسا", "لسنا", "لست", "غير", "عدم", "بدون"]
)
# Denials negate what they report: "the governor denied that the hotel was operating without
# a licence", "نفى رئيس النادي أن يكون قد قرر الاستقالة".
_EN_DENIALS = frozenset(["deny", "denied", "denies", "denying"])
_AR_DENIALS = frozenset(
    normalize_arabic(w) for w in ["نفى", "ينفي", "نفت", "تنفي", "نفوا", "ينفون"]
)
_EN_NEGATING = _EN_NEGATORS | _EN_DENIALS
_AR_NEGATING = _AR_NEGATORS | _AR_DENIALS
_CONTRACTION = re.compile(r"n['’]t\b", re.IGNORECASE)
# A clause ends at these: the negator of one clause does not reach into the next.
_CLAUSE = re.compile(r"[.,;:!?؟،؛\n()\[\]«»\"“”]|\bbut\b|\bwhile\b|\bلكن\b|\bبينما\b")
_WORD = re.compile(r"\w+", re.UNICODE)


class Polarity(NamedTuple):
    """The words a text states, split by whether they are ever stated plainly or under a
    negator (a word may be both: "demanded A, did not demand B")."""

    plain: frozenset[str]
    negated: frozenset[str]


def is_negator(token: str) -> bool:
    """Is a prepared token a negator, in either language ("ولم" and "don't" included)?"""
    if token in _EN_NEGATING:
        return True
    word = normalize_arabic(token)
    return word in _AR_NEGATING or (word[:1] in ("و", "ف") and word[1:] in _AR_NEGATING)


def _keys(token: str) -> set[str]:
    """What a word is matched on: its stem, and its Arabic light root."""
    keys = {stem(normalize_arabic(token))}
    root = light_root(token)
    if root:
        keys.add("root:" + root)
    return keys


def polarity(text: str) -> Polarity:
    """The content words of `text`, plain and negated."""
    plain: set[str] = set()
    negated: set[str] = set()
    for clause in _CLAUSE.split(_CONTRACTION.sub(" not", text)):
        left = 0  # content words the last negator still governs
        for raw in _WORD.findall(clause):
            token = prepare(raw)
            if is_negator(token):
                left = SCOPE
                continue
            if len(token) < 2 or token.isdigit() or is_stopword(token):
                continue
            keys = _keys(token)
            if left > 0:
                negated |= keys
                left -= 1
            else:
                plain |= keys
    return Polarity(frozenset(plain), frozenset(negated))


def has_negator(text: str) -> bool:
    """Does `text` negate anything (any language)?"""
    text = _CONTRACTION.sub(" not", text)
    return any(is_negator(prepare(w)) for w in _WORD.findall(text))


def contradicts(claim: str, evidence: str) -> bool:
    """Does `evidence` state a word of `claim` only with the opposite polarity?

    "Erdogan did not demand a withdrawal" against "Erdogan demanded the withdrawal": the
    claim negates "demand", the evidence states it only plainly. Same script only; across
    scripts see `contradicts_across`.
    """
    said, found = polarity(claim), polarity(evidence)
    only_plain = found.plain - found.negated
    only_negated = found.negated - found.plain
    return bool((said.negated - said.plain) & only_plain) or bool(
        (said.plain - said.negated) & only_negated
    )


def contradicts_across(claim: str, evidence_sentence: str) -> bool:
    """Across languages (no shared words): the claim negates something and the sentence it
    cites negates nothing. The reverse (a plain claim citing a sentence with a negator) is
    not decided here: news sentences negate side clauses ("demanded X and did not set a
    date") that a faithful condensed claim leaves out."""
    return has_negator(claim) and not has_negator(evidence_sentence)


def opposes(claim: str, evidence: str, sentence: str) -> bool:
    """Does the evidence state the claim's words with the opposite polarity ("X did not
    resign" citing "X resigned")? Across languages, a negated claim citing a `sentence`
    (the evidence's central sentence) that negates nothing."""
    if script_language(claim) == script_language(evidence):
        return contradicts(claim, evidence)
    return contradicts_across(claim, sentence)
