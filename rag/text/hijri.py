"""Hijri dates in questions: "عام 1437 هـ", "رمضان 1437", "5 رمضان 1437", "Ramadan 2016".

Converted with hijridate (the Umm al-Qura calendar, 1343-1500 AH; the converter dateparser's
own `calendars` extra uses). A month name that is also a person's name or a word (رجب طيب
أردوغان, صفر: zero) counts only with a year or after "شهر"; any month name needs a year, a
day, "شهر" or a cue ("في رمضان"). A month without a year is the latest one begun by the
reference date; "Ramadan 2016" is the one that began in Gregorian 2016.
"""

from __future__ import annotations

from datetime import date, timedelta

from rag.text import time_words as w

# (start, end, first day, last day, relative, unit): offsets in the question.
Found = tuple[int, int, date, date, bool, str]


def _int(text: str | None) -> int | None:
    return int(text) if text else None


def find_hijri(text: str, reference: date) -> list[Found]:
    """Hijri dates, months and years (Umm al-Qura, via hijridate)."""
    hits: list[Found] = []
    for m in w.HIJRI_DATE.finditer(text):
        day, shahr, name, year = m[1], m[2], m[3].lower(), m[4]
        cue = bool(w.MONTH_CUE.search(text[: m.start()]))
        if not (year or day or shahr or cue) or (name in w.HIJRI_NAMES_TOO and not (year or shahr)):
            continue
        month = _month(w.HIJRI_MONTHS[name], _int(year), _int(day), reference)
        if month:
            hits.append((m.start(), m.end(), *month, not year, "day" if day else "month"))
    for m in w.HIJRI_YEAR.finditer(text):
        found = _gregorian((int(m[1]), 1, 1), (int(m[1]) + 1, 1, 1))
        if found and not any(m.start() < h[1] and h[0] < m.end() for h in hits):
            hits.append((m.start(), m.end(), found[0], found[1] - timedelta(1), False, "year"))
    return hits


def _month(
    month: int, year: int | None, day: int | None, reference: date
) -> tuple[date, date] | None:
    from hijridate import Gregorian

    if year is None:  # the latest such month begun by the reference
        year = Gregorian.fromdate(reference).to_hijri().year
        first = _gregorian((year, month, 1))
        if first and first[0] > reference:
            year -= 1
    elif 1900 <= year <= 2100:  # "Ramadan 2016": the one that began in that Gregorian year
        hijri_year = Gregorian(year, 1, 1).to_hijri().year
        first = _gregorian((hijri_year, month, 1))
        year = hijri_year if first and first[0].year == year else hijri_year + 1
    elif not 1300 <= year <= 1600:
        return None
    if day:
        found = _gregorian((year, month, day))
        return (found[0], found[0]) if found else None
    after = (year + 1, 1, 1) if month == 12 else (year, month + 1, 1)
    found = _gregorian((year, month, 1), after)
    return (found[0], found[1] - timedelta(1)) if found else None


def _gregorian(*days: tuple[int, int, int]) -> list[date] | None:
    """Gregorian dates of Hijri (year, month, day)s; None outside hijridate's 1343-1500 AH."""
    from hijridate import Hijri

    try:
        found = [Hijri(*day).to_gregorian() for day in days]
    except (ValueError, OverflowError):
        return None
    return [date(g.year, g.month, g.day) for g in found]
