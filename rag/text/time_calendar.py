"""Calendar words dateparser leaves out, found in a question by their own patterns:

- year spans: "2014-2016", "2014/15" (a season): both years whole;
- decades: "the 1990s", "the '90s", "the nineties", "التسعينيات", "ثمانينيات القرن الماضي":
  ten whole years; without a century, the latest such decade begun by the reference year;
- a weekday alone: "on Monday", "يوم الاثنين": the latest such day on or before the
  reference; "الاثنين الماضي" (last Monday): the latest one before it. An Arabic weekday
  needs يوم or الماضي (الاثنين is also "the two", الأحد "the one");
- an ordinal or numbered day before a month: "the fifth of March 2016", "الخامس من مارس",
  "العاشر من رمضان 1437", "5 من مايو": that day of the month found after it;
- the future: "next week", "tomorrow", "الأسبوع المقبل", "غدا". An archive holds no article
  from after its newest, and news of what is coming is in the newest articles: the question
  prefers recent articles (kind "recent") rather than asking for days no article has.

Each find is (start, end, first day, last day, relative, unit), offsets in the question.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

Found = tuple[int, int, date | None, date | None, bool, str]

# Matched before dateparser: "2014-2016", "2014/15".
YEAR_SPAN = re.compile(
    r"(?<![\d/.-])(1[89]\d\d|20\d\d)\s*[-–/]\s*(1[89]\d\d|20\d\d|\d\d)(?![\d/.-])"
)

_EN_DECADE_WORDS = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6,
                    "seventies": 7, "eighties": 8, "nineties": 9}  # fmt: skip
EN_DECADE = re.compile(
    r"(?:\b(?:the\s+)?(?:(1[89]\d|20\d)0'?s|(?<=the )'?(\d)0'?s)|(?<![\w'])'(\d)0s)(?!\w)"
    rf"|\bthe\s+({'|'.join(_EN_DECADE_WORDS)})\b",
    re.IGNORECASE,
)
_AR_TENS = {"عشرين": 2, "ثلاثين": 3, "أربعين": 4, "اربعين": 4, "خمسين": 5, "ستين": 6,
            "سبعين": 7, "ثمانين": 8, "تسعين": 9}  # fmt: skip
_AR_CENTURY = {"الماضي": 1900, "العشرين": 1900, "الحالي": 2000, "الحادي والعشرين": 2000}
AR_DECADE = re.compile(
    rf"(?<!\w)(?:عقد )?(?:ال)?({'|'.join(_AR_TENS)})(?:يات|ات)(?!\w)(?! (?:من )?(?:ال)?عمر)"
    rf"(?: (?:من )?القرن ({'|'.join(_AR_CENTURY)}))?"
)

_EN_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_AR_DAYS = {"الاثنين": 0, "الإثنين": 0, "الأثنين": 0, "الثلاثاء": 1, "الأربعاء": 2,
            "الاربعاء": 2, "الخميس": 3, "الجمعة": 4, "السبت": 5, "الأحد": 6,
            "الاحد": 6}  # fmt: skip
_AR_DAY = "|".join(sorted(_AR_DAYS, key=len, reverse=True))
_AR_PAST = "(?:الماضي|الماضية|الفائت|المنصرم|السابق)"
EN_WEEKDAY = re.compile(rf"\bon\s+({'|'.join(_EN_DAYS)})\b", re.IGNORECASE)
AR_WEEKDAY = re.compile(
    rf"(?<!\w)(?:(يوم|نهار) ({_AR_DAY})(?: ({_AR_PAST}))?|({_AR_DAY}) ({_AR_PAST}))(?!\w)"
)

_EN_ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth",
                "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
                "twentieth"]  # fmt: skip
_AR_UNITS = ["الحادي", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن",
             "التاسع", "العاشر"]  # fmt: skip


def _ordinal_words() -> dict[str, int]:
    words = {w: i + 1 for i, w in enumerate(_EN_ORDINALS)}
    words |= {f"twenty{sep}{w}": 20 + i + 1 for i, w in enumerate(_EN_ORDINALS[:9])
              for sep in ("-", " ")}  # fmt: skip
    words |= {"thirtieth": 30, "thirty-first": 31, "thirty first": 31}
    words |= {w: i + 1 for i, w in enumerate(_AR_UNITS)} | {"الأول": 1, "الاول": 1}
    words |= {f"{w} عشر": 11 + i for i, w in enumerate(_AR_UNITS[:9])}
    words |= {"العشرين": 20, "الثلاثين": 30}
    for tens, name in ((20, "العشرين"), (30, "الثلاثين")):
        for i, w in enumerate(["الواحد", *_AR_UNITS[1:9]] if tens == 20 else ["الواحد"]):
            words[f"{w} و{name}"] = tens + i + 1
        words[f"الحادي و{name}"] = tens + 1
    return words


ORDINALS = _ordinal_words()
_ORDINAL = "|".join(sorted(ORDINALS, key=len, reverse=True))
# Before a month's find: "the fifth of ", "5th of ", "الخامس من ", "5 من ", "العاشر من شهر ".
ORDINAL_DAY = re.compile(
    rf"(?<!\w)(?:the\s+)?(?:({_ORDINAL})|(\d{{1,2}})(?:st|nd|rd|th)?)\s+(?:day\s+)?"
    r"(?:of\s+|من\s+)?(?:شهر\s+)?$",
    re.IGNORECASE,
)

_EN_FUTURE = re.compile(
    r"\b(?:tomorrow|(?:next|coming|upcoming|following)\s+(?:week|month|year|weekend|days|"
    r"weeks|months|years)|in\s+the\s+(?:coming|next\s+few)\s+(?:days|weeks|months|years)|"
    rf"next\s+(?:{'|'.join(_EN_DAYS)}))\b",
    re.IGNORECASE,
)
_AL = "(?:ال|لل|بال|وال)"  # with a preposition or "and" attached: "للأيام القادمة"
_AR_FUTURE = re.compile(
    rf"(?<!\w)(?:غدا|غداً|بعد غد|{_AL}(?:[أا]سبوع|شهر|عام) (?:المقبل|القادم)|"
    rf"{_AL}سنة (?:المقبلة|القادمة)|{_AL}(?:أيام|ايام|أسابيع|اسابيع|أشهر|اشهر|شهور|سنوات|"
    r"أعوام) (?:المقبلة|القادمة))(?!\w)"
)


def find_year_spans(text: str) -> list[Found]:
    hits: list[Found] = []
    for m in YEAR_SPAN.finditer(text):
        first, second = int(m[1]), m[2]
        last = int(second) if len(second) == 4 else first // 100 * 100 + int(second)
        if first < last <= first + 50:
            hits.append((m.start(), m.end(), date(first, 1, 1), date(last, 12, 31), False, "span"))
    return hits


def find_decades(text: str, reference: date) -> list[Found]:
    hits: list[Found] = []
    for m in EN_DECADE.finditer(text):
        if m[1]:
            start_year = int(m[1]) * 10
        else:
            tens = int(m[2] or m[3]) if (m[2] or m[3]) else _EN_DECADE_WORDS[m[4].lower()]
            start_year = _latest_decade(tens, reference)
        hits.append(_decade(m, start_year))
    for m in AR_DECADE.finditer(text):
        tens = _AR_TENS[m[1]]
        century = _AR_CENTURY.get(m[2] or "")
        hits.append(_decade(m, century + tens * 10 if century else _latest_decade(tens, reference)))
    return hits


def _latest_decade(tens: int, reference: date) -> int:
    year = 2000 + tens * 10
    return year if year <= reference.year else year - 100


def _decade(m: re.Match[str], year: int) -> Found:
    return (m.start(), m.end(), date(year, 1, 1), date(year + 9, 12, 31), False, "decade")


def find_weekdays(text: str, reference: date) -> list[Found]:
    hits: list[Found] = []
    for m in EN_WEEKDAY.finditer(text):
        hits.append(_weekday(m, _EN_DAYS.index(m[1].lower()), False, reference))
    for m in AR_WEEKDAY.finditer(text):
        day = _AR_DAYS[m[2] or m[4]]
        hits.append(_weekday(m, day, bool(m[3] or m[5]), reference))
    return hits


def _weekday(m: re.Match[str], weekday: int, before: bool, reference: date) -> Found:
    """The latest `weekday` on or before `reference` (strictly before when `before`)."""
    back = (reference.weekday() - weekday) % 7 or (7 if before else 0)
    day = reference - timedelta(days=back)
    return (m.start(), m.end(), day, day, True, "day")


def ordinal_day(found: Found, text: str) -> Found:
    """A month's find preceded by an ordinal or numbered day ("the fifth of", "الخامس من")
    becomes that day, when the month has it (a relative month ends at the reference)."""
    start, end, first, last, relative, unit = found
    if unit != "month" or first is None or last is None:
        return found
    lead = re.match(r"(?:of|من)\s+", text[start:end], re.IGNORECASE)
    m = ORDINAL_DAY.search(text[: start + (lead.end() if lead else 0)])
    if not m:
        return found
    number = ORDINALS[m[1].lower()] if m[1] else int(m[2])
    day = first + timedelta(days=number - 1)
    if number < 1 or day > last:
        return found
    return (m.start(), end, day, day, relative, "day")


def find_future(text: str) -> tuple[int, int] | None:
    """The first expression of a time after the reference ("next week", "غدا")."""
    found = [m.span() for pattern in (_EN_FUTURE, _AR_FUTURE) for m in pattern.finditer(text)]
    return min(found) if found else None
