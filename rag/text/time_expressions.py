"""The time a news question asks about, in Arabic or English, as a range of days.

    find_time_range("who won the league in 2015?", date(2016, 6, 15))
    -> TimeRange(2015-01-01, 2015-12-31, "explicit", "in 2015", relative=False)

Relative expressions count from `reference` (the archive's newest article date, or today).
Ranges are inclusive, whole calendar days:

- a date, a month, a year: that whole period ("in March 2016", "في آذار 2016": 2016-03-01
  to 2016-03-31). A bare four-digit number is a year only after a cue ("in", "عام", "منذ",
  ...), and a bare month name only after one ("in May", not "May I ask").
- weeks are calendar weeks that start on Monday (ISO 8601) in both languages: "last week" /
  "الأسبوع الماضي" is the Monday-to-Sunday week before the week holding the reference;
  "two weeks ago" / "قبل أسبوعين" is the week holding the day 14 days before it.
- "N days/months/years ago", "منذ 3 أيام": the day, month or year holding that day.
- "today", "this week/month/year", "هذا الشهر": from the period's start to the reference.
- rolling spans, "the past 3 days", "past week", "آخر أسبوعين", "الأشهر الثلاثة الماضية":
  the N units up to and including the reference ("the past week": reference - 6 days on).
- "since X" / "منذ X": X's start to the reference; "before X" / "قبل X": open start to the day
  before X; "after X" / "بعد X": the day after X on, open end (None).
- "between X and Y", "from X to Y", "2014-2016", "من X إلى Y": X's start to Y's end.
- Hijri ("عام 1437 هـ", "رمضان 1437", "5 رمضان 1437", "Ramadan 2016"): the Umm al-Qura
  calendar (hijridate); a Hijri month without a year is the latest one begun by the reference.
- kind "recent" ("recently", "مؤخرا", "في الآونة الأخيرة"): the RECENT_DAYS days up to the
  reference, a soft preference rather than a filter.
- kind "latest" ("latest", "most recent", "ما آخر ...", "آخر أخبار", "أحدث التطورات"):
  newest first, with no range, or with the question's own range ("latest news in 2015").
  آخر after a noun means "another" (طرف آخر) and آخر الأسبوع "the end of the week": neither
  counts.

Year spans, decades ("the 1990s", "التسعينيات"), a weekday alone ("on Monday", "يوم الاثنين"),
ordinal days ("the fifth of March", "الخامس من مارس") and the future ("next week", "غدا": kind
"recent") are found by rag.text.time_calendar. dateparser reads the dates and the English
relative forms (lazily imported; its results are cached per question and reference); the
Arabic forms it misses are rewritten into English for it first (time_words.AR_REWRITES),
and its finds pass the cue checks above.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from rag.text import time_calendar as c
from rag.text import time_words as w
from rag.text.hijri import find_hijri

RECENT_DAYS = 30
KINDS = ("explicit", "latest", "recent")
_MASK = " ; "


class TimeRange(NamedTuple):
    """What a question asks about: `start`..`end` inclusive (None: open or no range)."""

    start: date | None
    end: date | None
    kind: str  # one of KINDS
    text: str  # the expression(s) as written in the question
    relative: bool = False  # counted from the reference date (no year written)

    def as_dict(self) -> dict[str, Any]:
        """For --json: dates as ISO strings."""
        iso = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self._asdict().items()}
        return dict(iso)


class _Hit(NamedTuple):
    start: int  # offsets in the question
    end: int
    first: date | None
    last: date | None
    relative: bool
    unit: str  # day, week, month, year or span


def find_time_range(question: str, reference: date) -> TimeRange | None:
    """The time `question` asks about, resolved against `reference`, or None."""
    if isinstance(reference, datetime):
        reference = reference.date()
    return _find(question, reference)


@lru_cache(maxsize=2048)
def _find(question: str, reference: date) -> TimeRange | None:
    text = question.translate(w.DIGITS)  # same length: offsets hold for `question`
    hits: list[_Hit] = []
    for finder in (_own, _rolling, _hijri):
        hits += [h for h in finder(text, reference) if not _overlaps(h, hits)]
    hits += _dateparser_hits(text, reference, hits)
    hits = [_Hit(*c.ordinal_day(h, text)) for h in hits]
    span = _combine(sorted(hits), text, reference)
    latest = _latest(text, hits)
    if latest:
        if span is None:
            return TimeRange(None, None, "latest", question[latest[0] : latest[1]])
        parts = sorted([latest, (span.start, span.end)])
        words = ", ".join(question[a:b] for a, b in parts)
        return TimeRange(span.first, span.last, "latest", words, span.relative)
    if span is not None:
        return TimeRange(span.first, span.last, "explicit", question[span.start : span.end],
                         span.relative)  # fmt: skip
    recent = _recent(text, hits)
    if recent:
        start = reference - timedelta(days=RECENT_DAYS - 1)
        return TimeRange(start, reference, "recent", question[recent[0] : recent[1]], True)
    return None


def _hijri(text: str, reference: date) -> list[_Hit]:
    return [_Hit(*found) for found in find_hijri(text, reference)]


def _own(text: str, reference: date) -> list[_Hit]:
    """Year spans, decades and weekdays (rag.text.time_calendar)."""
    found = c.find_year_spans(text) + c.find_decades(text, reference)
    return [_Hit(*f) for f in found + c.find_weekdays(text, reference)]


def _overlaps(hit: _Hit, hits: list[_Hit]) -> bool:
    return any(hit.start < h.end and h.start < hit.end for h in hits)


def _free(span: tuple[int, int], hits: list[_Hit]) -> bool:
    return not any(span[0] < h.end and h.start < span[1] for h in hits)


# ---------------------------------------------------------------------------- own spans


def _rolling(text: str, reference: date) -> list[_Hit]:
    """ "the past 3 days", "past week", "آخر أسبوعين": N units up to the reference."""
    hits = []
    for m in w.EN_ROLLING.finditer(text):
        number, unit = (m[1], m[2]) if m[2] else ("1", m[3])
        count = int(number) if number.isdigit() else w.NUMBER_WORDS[number.lower()]
        hits.append(_span_hit(m, unit.lower(), count, reference))
    for m in w.AR_ROLLING.finditer(text):
        number = m[1] or m[4] or m[5]
        unit, implied = w.AR_UNITS[m[2] or m[3]]
        count = (int(number) if number.isdigit() else w.NUMBER_WORDS[number]) if number else implied
        if count >= 2:  # "آخر يوم في الحرب" is the war's last day, not a span
            hits.append(_span_hit(m, unit, count, reference))
    return [h for h in hits if h.first is not None]


def _span_hit(m: re.Match[str], unit: str, count: int, reference: date) -> _Hit:
    if not 0 < count <= 100:
        return _Hit(m.start(), m.end(), None, None, True, "span")
    if unit in ("day", "week"):
        first = reference - timedelta(days=count * (7 if unit == "week" else 1) - 1)
    else:
        first = _add_months(reference, -count * (12 if unit == "year" else 1)) + timedelta(1)
    return _Hit(m.start(), m.end(), first, reference, True, "span")


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, _month_days(year, month + 1)))


def _month_days(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


# ---------------------------------------------------------------------------- dateparser


def _settings(reference: date) -> dict[str, Any]:
    return {
        "RELATIVE_BASE": datetime(reference.year, reference.month, reference.day),
        "PREFER_DATES_FROM": "past",
        "DATE_ORDER": "DMY",
        "RETURN_TIME_AS_PERIOD": True,
    }


@lru_cache(maxsize=16)
def _parser(reference: date) -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["ar", "en"], settings=_settings(reference))


def _search(text: str, reference: date) -> list[tuple[str, datetime]]:
    from dateparser.search import search_dates

    return search_dates(text, languages=["ar", "en"], settings=_settings(reference)) or []


def _rewrite(text: str, hits: list[_Hit]) -> tuple[str, list[tuple[int, int, int, int]]]:
    """The text dateparser reads: own finds masked, Arabic forms it misses in English.

    Returns the text and its pieces as (new_start, new_end, old_start, old_end)."""
    edits = [(h.start, h.end, _MASK) for h in hits]
    for pattern, replacement in w.AR_REWRITES:
        for m in re.finditer(rf"(?<!\w){pattern}(?!\w)", text):
            edits.append((m.start(), m.end(), _ago(m) if "{" in replacement else replacement))
    for name, english in w.OTHER_MONTHS.items():
        edits += [(m.start(), m.end(), english) for m in re.finditer(rf"(?<!\w){name}(?!\w)", text)]
    edits += [(m.start(), m.end(), "أغسطس") for m in re.finditer(w.AUGUST_AB, text)]
    edits += [(m.start(), m.end(), " ") for m in re.finditer(r"(?<!\w)يوم (?=\d)", text)]
    edits += [
        (m.start(), m.end(), "")
        for m in re.finditer(r"(?<=\d{4})\s?(?:م|ميلادي|ميلادية|AD|CE)(?!\w)", text)
    ]
    pieces, out, old, new = [], [], 0, 0
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], -e[1])):
        if start < old:
            continue  # inside an earlier edit
        if replacement.strip():  # "أمس؟" -> "yesterday ؟": dateparser needs the space
            after = text[end : end + 1]
            replacement += " " if after and not after.isspace() else ""
        out += [text[old:start], replacement]
        pieces += [(new, new + start - old, old, start)]
        new += start - old
        pieces.append((new, new + len(replacement), start, end))
        new += len(replacement)
        old = end
    out.append(text[old:])
    pieces.append((new, new + len(text) - old, old, len(text)))
    return "".join(out), pieces


def _ago(m: re.Match[str]) -> str:
    unit, implied = w.AR_UNITS[m[2]]
    number = m[1]
    count = (int(number) if number.isdigit() else w.NUMBER_WORDS[number]) if number else implied
    return f"{max(count, 1)} {unit}s ago"


def _to_old(pieces: list[tuple[int, int, int, int]], start: int, end: int) -> tuple[int, int]:
    def old(pos: int, at_end: bool) -> int:
        for new_start, new_end, old_start, old_end in pieces:
            if new_start <= pos < new_end or (at_end and pos == new_end and new_end > new_start):
                if new_end - new_start == old_end - old_start:
                    return old_start + pos - new_start
                return old_end if at_end else old_start
        return pieces[-1][3]

    return old(start, False), old(end, True)


def _dateparser_hits(text: str, reference: date, own: list[_Hit]) -> list[_Hit]:
    rewritten, pieces = _rewrite(text, own)
    if not rewritten.strip(" ;?؟.!"):
        return []
    hits, cursor = [], 0
    for found, _ in _search(rewritten, reference):
        found = found.rstrip("؟?.,!،:;")
        at = rewritten.find(found, cursor)
        if at < 0:
            continue
        if bound := _BOUND.match(found):  # "after 2015": the bound is read in _combine
            found, at = found[bound.end() :], at + bound.end()
        cursor = at + len(found)
        accepted = _accept(found, rewritten[:at], reference)
        if accepted:
            start, end = _to_old(pieces, at, at + len(found))
            while end > start and not text[end - 1].strip():
                end -= 1
            hits.append(_Hit(start, end, *accepted))
    return hits


_BOUND = re.compile(r"(?:after|before|since|until|till|prior to|بعد|قبل|منذ|حتى)\s+", re.I)


def _accept(found: str, before: str, reference: date) -> tuple[date, date, bool, str] | None:
    """dateparser's find, if it is a date a reader meant: its range, relativity and unit."""
    data = _parser(reference).get_date_data(found)
    if data.date_obj is None or data.period not in ("day", "week", "month", "year"):
        return None
    if year := w.YEAR_NUMBER.search(found):
        rest = found[: year.start()] + found[year.end() :]
        lead = before + found[: year.start()]
        bare = not re.search(r"\d", rest) and not w.MONTH_NAME.search(rest)
        if bare and not (w.YEAR_CUE.search(lead) or w.MONTH_NAME.search(lead[-12:])):
            return None  # "killed 2000 people", "by 2030"
        relative = False
    elif w.RELATIVE_WORD.search(found):
        relative = True
    elif month := w.MONTH_NAME.search(found):
        lead = before + found[: month.start()]
        if not re.search(r"\d", found) and not (
            w.MONTH_CUE.search(lead) or c.ORDINAL_DAY.search(lead)
        ):
            return None  # "May I ask", "the march on"; "الخامس من مايو" is a date
        relative = True
    else:
        return None  # a weekday or a time alone
    day = data.date_obj.date()
    if not 1800 <= day.year <= 2199:
        return None
    first, last = _period(day, data.period)
    if relative and first > reference:
        return None
    if relative:
        last = min(last, reference)
    return first, last, relative, data.period


def _period(day: date, period: str) -> tuple[date, date]:
    if period == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    if period == "month":
        return day.replace(day=1), day.replace(day=_month_days(day.year, day.month))
    if period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    return day, day


# ---------------------------------------------------------------------------- combining

_CONNECTOR = re.compile(
    r"(?:to|and|until|till|through|-|–|إلى|الى|حتى|لغاية|و)", re.IGNORECASE
)  # fmt: skip
_OF = re.compile(r"(?:of|من|,|،)?", re.IGNORECASE)
_YEAR_WORD = r"\s*(?:(?:the )?year|عام|العام|سنة|السنة)?\s*$"
_SINCE = re.compile(rf"(?:since|starting|منذ|ابتداء من|اعتبارا من){_YEAR_WORD}", re.IGNORECASE)
_FROM = re.compile(rf"(?:between|from|بين|من){_YEAR_WORD}", re.IGNORECASE)
_BEFORE = re.compile(rf"(?:before|prior to|قبل){_YEAR_WORD}", re.IGNORECASE)
_AFTER = re.compile(rf"(?:after|بعد){_YEAR_WORD}", re.IGNORECASE)


def _combine(hits: list[_Hit], text: str, reference: date) -> _Hit | None:
    """The first expression, joined with the next when they form one ("May of 2015",
    "from 2014 to 2016"), then bounded by since / before / after."""
    if not hits:
        return None
    head = hits[0]
    for nxt in hits[1:]:
        gap = text[head.end : nxt.start].strip()
        lead = re.match(r"\s*(and|to|و)\s", text[nxt.start : nxt.end] + " ", re.IGNORECASE)
        if (
            head.relative
            and head.unit in ("day", "month")
            and nxt.unit == "year"
            and _OF.fullmatch(gap)
            and head.first
            and nxt.first
        ):
            first, last = _period(head.first.replace(year=nxt.first.year), head.unit)
            head = _Hit(head.start, nxt.end, first, last, False, head.unit)
        elif (_CONNECTOR.fullmatch(gap) or (not gap and lead)) and head.first and nxt.last:
            if nxt.last >= head.first:
                m = _FROM.search(text[: head.start])
                start = m.start() if m else head.start
                head = _Hit(start, nxt.end, head.first, nxt.last, head.relative, "span")
            break
        else:
            break
    before = text[: head.start]
    if "ago" in text[head.start : head.end] or head.unit == "span" or not head.first:
        return head
    if m := _SINCE.search(before):
        return _Hit(m.start(), head.end, head.first, reference, head.relative, "span")
    if m := _BEFORE.search(before):
        return _Hit(m.start(), head.end, None, head.first - timedelta(1), head.relative, "span")
    if (m := _AFTER.search(before)) and head.last:
        return _Hit(m.start(), head.end, head.last + timedelta(1), None, head.relative, "span")
    return head


# ---------------------------------------------------------------------------- latest, recent


def _latest(text: str, hits: list[_Hit]) -> tuple[int, int] | None:
    m = w.EN_LATEST.search(text)
    if m and _free(m.span(), hits):
        return m.span()
    return _arabic_latest(text, hits)


def _arabic_latest(text: str, hits: list[_Hit]) -> tuple[int, int] | None:
    """آخر / أحدث where they mean "latest": before a news noun ("آخر أخبار", "أحدث
    التطورات"), or آخر after a question word or verb ("ما آخر ...", "أعطني آخر ...");
    not after a noun ("طرف آخر": another) nor before a time unit ("آخر الأسبوع": its end),
    nor أحدث as the verb "caused" ("ماذا أحدث الزلزال؟")."""
    tokens = [(m.start(), m.end(), m[0]) for m in w.ARABIC_WORD.finditer(text)]
    for i, (start, end, word) in enumerate(tokens):
        prefixed = word[:1] in "وبلف" and word[1:] in w.AR_LATEST_WORDS
        if not (word in w.AR_LATEST_WORDS or prefixed) or not _free((start, end), hits):
            continue
        core = word[1:] if prefixed else word
        nxt = tokens[i + 1][2] if i + 1 < len(tokens) else ""
        if not nxt or text[end : tokens[i + 1][0]].strip() or nxt in w.AR_END_OF:
            continue  # "شخص آخر؟", "آخر الأسبوع"
        prev = "" if prefixed or i == 0 else tokens[i - 1][2]
        if prev and text[tokens[i - 1][1] : start].strip():
            prev = ""  # punctuation between: a new clause
        news = (nxt[2:] if nxt.startswith("ال") else nxt) in w.NEWS_NOUNS
        span = (start, tokens[i + 1][1])
        if core in ("أحدث", "احدث"):
            leads = prev in ("ما", "ماهي", "ماهو", "هي", "هو") or prefixed
            if prev not in w.AR_VERB_LEADS and (news or leads):
                return span
        elif news or (core != "أخر" and (not prev or prev in w.AR_LEAD_WORDS)):
            return span
    return None


def _recent(text: str, hits: list[_Hit]) -> tuple[int, int] | None:
    """ "recently", "مؤخرا", or a time after the reference ("next week": see time_calendar)."""
    for pattern in (w.EN_RECENT, w.AR_RECENT):
        for m in pattern.finditer(text):
            if _free(m.span(), hits):
                return m.span()
    return c.find_future(text)
