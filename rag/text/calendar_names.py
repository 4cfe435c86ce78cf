"""Month and weekday names in English and Arabic, read to one key each ("m7" is July,
"d5" Friday), so that a claim's "July" is checked against a passage's يوليو, تموز or يوليوز.

Across scripts names meet on their consonant skeleton (rag/text/focus.py), which calendar
names do not share (July / يوليو, Friday / الجمعة): they are compared by these keys.
"""

from __future__ import annotations

import re

from rag.text.analysis import normalize_arabic

_MONTHS = (
    ("january jan", "يناير كانون الثاني جانفي"),
    ("february feb", "فبراير شباط فيفري"),
    ("march mar", "مارس اذار"),
    ("april apr", "ابريل نيسان افريل"),
    ("may", "مايو ايار ماي"),
    ("june jun", "يونيو يونيه حزيران جوان"),
    ("july jul", "يوليو يوليه تموز يوليوز جويلية"),
    ("august aug", "اغسطس غشت اوت"),
    ("september sep sept", "سبتمبر ايلول شتنبر"),
    ("october oct", "اكتوبر تشرين الاول"),
    ("november nov", "نوفمبر تشرين الثاني نونبر"),
    ("december dec", "ديسمبر كانون الاول دجنبر"),
)
_DAYS = (
    ("monday", "الاثنين الإثنين"),
    ("tuesday", "الثلاثاء"),
    ("wednesday", "الاربعاء"),
    ("thursday", "الخميس"),
    ("friday", "الجمعة"),
    ("saturday", "السبت"),
    ("sunday", "الاحد"),
)
# Two-word Levantine months first, so that "كانون الثاني" is January, not a bare كانون.
_TWO_WORD = ("كانون الثاني", "كانون الاول", "تشرين الاول", "تشرين الثاني")


def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for i, (english, arabic) in enumerate(_MONTHS, 1):
        names = english.split() + [n for n in _TWO_WORD if n in arabic]
        names += [w for w in arabic.split() if not any(w in n.split() for n in _TWO_WORD)]
        table.update({normalize_arabic(n): f"m{i}" for n in names})
    for i, (english, arabic) in enumerate(_DAYS, 1):
        table.update({normalize_arabic(n): f"d{i}" for n in english.split() + arabic.split()})
    return table


_KEYS = _table()
# Arabic names may carry a clitic (وفي يوليو, بالجمعة); English ones stand alone.
_NAME = re.compile(
    r"(?<![\w])(?:[وفبل]{0,2})("
    + "|".join(sorted(map(re.escape, _KEYS), key=len, reverse=True))
    + r")(?![\w])",
    re.IGNORECASE,
)


def calendar_keys(text: str) -> dict[str, str]:
    """The month and weekday names in `text`: {name as written, normalised: key}."""
    return {m.group(1): _KEYS[m.group(1)] for m in _NAME.finditer(normalize_arabic(text))}
