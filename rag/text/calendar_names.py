"""Month and weekday names in English and Arabic, read to one key each ("m7" is July,
"d5" Friday), so that a claim's "July" is checked against a passage's يوليو, تموز or يوليوز.

Across scripts names meet on their consonant skeleton (rag/text/focus.py), which calendar
names do not share (July / يوليو, Friday / الجمعة): they are compared by these keys.
"""

from __future__ import annotations

import re

from rag.text.analysis import normalize_arabic
from rag.text.time_words import OTHER_MONTHS

# Each month's English names and its Egyptian/Gulf and Algerian Arabic names; the Levantine
# and Moroccan ones (تموز، يوليوز، كانون الثاني...) come from the time parser's table.
_MONTHS = (
    ("january jan", "يناير جانفي"),
    ("february feb", "فبراير فيفري"),
    ("march mar", "مارس"),
    ("april apr", "ابريل افريل"),
    ("may", "مايو ماي"),
    ("june jun", "يونيو يونيه جوان"),
    ("july jul", "يوليو يوليه جويلية"),
    ("august aug", "اغسطس اوت"),
    ("september sep sept", "سبتمبر"),
    ("october oct", "اكتوبر"),
    ("november nov", "نوفمبر"),
    ("december dec", "ديسمبر"),
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


def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for i, (english, arabic) in enumerate(_MONTHS, 1):
        table.update({normalize_arabic(n): f"m{i}" for n in english.split() + arabic.split()})
    for name, standard in OTHER_MONTHS.items():
        table[normalize_arabic(name)] = table[normalize_arabic(standard)]
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
