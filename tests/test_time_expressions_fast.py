"""Time expressions in questions, Arabic and English: each resolved against a fixed date."""

from __future__ import annotations

import time
from datetime import date, datetime

import pytest

from rag.text.time_expressions import RECENT_DAYS, TimeRange, find_time_range

# A Wednesday; its week runs Monday 2016-06-13 to Sunday 2016-06-19.
REF = date(2016, 6, 15)
D = date.fromisoformat

# (question, start, end, kind, matched text). Ranges are inclusive.
EXPLICIT = [
    # years
    ("who won the league in 2015?", "2015-01-01", "2015-12-31", "in 2015"),
    ("من فاز بالدوري عام 2015؟", "2015-01-01", "2015-12-31", "عام 2015"),
    ("ماذا حدث سنة 2015؟", "2015-01-01", "2015-12-31", "سنة 2015"),
    ("ما نتائج الانتخابات في العام 2014؟", "2014-01-01", "2014-12-31", "2014"),
    ("ما الذي تغير عام 2015م؟", "2015-01-01", "2015-12-31", "عام 2015"),
    ("what happened in 1990?", "1990-01-01", "1990-12-31", "in 1990"),
    # months
    ("what did the central bank decide in March 2016?", "2016-03-01", "2016-03-31",
     "in March 2016"),
    ("ماذا قرر البنك المركزي في مارس 2016؟", "2016-03-01", "2016-03-31", "في مارس 2016"),
    ("ماذا قرر البنك المركزي في آذار 2016؟", "2016-03-01", "2016-03-31", "في آذار 2016"),
    ("ما الذي جرى في كانون الثاني 2016؟", "2016-01-01", "2016-01-31", "في كانون الثاني 2016"),
    ("ماذا حدث في تشرين الأول 2015؟", "2015-10-01", "2015-10-31", "في تشرين الأول 2015"),
    ("أخبار شباط 2016", "2016-02-01", "2016-02-29", "شباط 2016"),
    ("ماذا حدث في آب 2015؟", "2015-08-01", "2015-08-31", "في آب 2015"),
    ("ماذا حدث في أيار 2016؟", "2016-05-01", "2016-05-31", "في أيار 2016"),
    ("ماذا حدث في شهر مايو من عام 2015؟", "2015-05-01", "2015-05-31", "مايو من عام 2015"),
    ("any news from Sept 2015?", "2015-09-01", "2015-09-30", "from Sept 2015"),
    # dates
    ("what was agreed on 5 March 2016?", "2016-03-05", "2016-03-05", "on 5 March 2016"),
    ("what was agreed on March 5, 2016?", "2016-03-05", "2016-03-05", "on March 5, 2016"),
    ("ماذا حدث يوم 5 مارس 2016؟", "2016-03-05", "2016-03-05", "5 مارس 2016"),
    ("ماذا حدث في 5/3/2016؟", "2016-03-05", "2016-03-05", "في 5/3/2016"),
    ("events of 2016-03-05", "2016-03-05", "2016-03-05", "of 2016-03-05"),
    # spans and bounds
    ("what changed between 2014 and 2016?", "2014-01-01", "2016-12-31", "between 2014 and 2016"),
    ("ماذا تغير من 2014 إلى 2016؟", "2014-01-01", "2016-12-31", "من 2014 إلى 2016"),
    ("who won the 2014-15 season?", "2014-01-01", "2015-12-31", "2014-15"),
    ("what happened since March 2015?", "2015-03-01", "2016-06-15", "since March 2015"),
    ("ماذا تغير منذ عام 2015؟", "2015-01-01", "2016-06-15", "منذ عام 2015"),
    # Hijri (Umm al-Qura): 1 Ramadan 1437 = 6 June 2016, 1 Muharram 1438 = 2 October 2016
    ("ماذا حدث في رمضان 1437؟", "2016-06-06", "2016-07-05", "رمضان 1437"),
    ("ما أهم أحداث عام 1437 هـ؟", "2015-10-14", "2016-10-01", "عام 1437 هـ"),
    ("ماذا حدث في 10 رمضان 1437 هـ؟", "2016-06-15", "2016-06-15", "10 رمضان 1437 هـ"),
    ("ماذا حدث في شهر ذي الحجة 1436؟", "2015-09-14", "2015-10-13", "شهر ذي الحجة 1436"),
    ("what happened during Ramadan 2016?", "2016-06-06", "2016-07-05", "Ramadan 2016"),
    # decades (without a century: the latest begun by REF's year)
    ("what happened in the 1990s?", "1990-01-01", "1999-12-31", "the 1990s"),
    ("who won in the 2010s?", "2010-01-01", "2019-12-31", "the 2010s"),
    ("music of the '80s", "1980-01-01", "1989-12-31", "the '80s"),
    ("what happened in the nineties?", "1990-01-01", "1999-12-31", "the nineties"),
    ("ماذا حدث في التسعينيات؟", "1990-01-01", "1999-12-31", "التسعينيات"),
    ("ماذا حدث في الثمانينات؟", "1980-01-01", "1989-12-31", "الثمانينات"),
    ("ماذا حدث في ثمانينيات القرن الماضي؟", "1980-01-01", "1989-12-31",
     "ثمانينيات القرن الماضي"),
    ("ماذا تغير منذ التسعينيات؟", "1990-01-01", "2016-06-15", "منذ التسعينيات"),
    ("what changed since the 1990s?", "1990-01-01", "2016-06-15", "since the 1990s"),
    # ordinal and numbered days before a month
    ("ماذا حدث في الخامس من مارس 2016؟", "2016-03-05", "2016-03-05", "الخامس من مارس 2016"),
    ("ماذا حدث في الأول من يناير 2015؟", "2015-01-01", "2015-01-01", "الأول من يناير 2015"),
    ("ماذا حدث في الحادي والعشرين من مايو 2016؟", "2016-05-21", "2016-05-21",
     "الحادي والعشرين من مايو 2016"),
    ("ماذا حدث في الثاني عشر من آذار 2016؟", "2016-03-12", "2016-03-12",
     "الثاني عشر من آذار 2016"),
    ("what happened on the fifth of March 2016?", "2016-03-05", "2016-03-05",
     "the fifth of March 2016"),
    ("what happened on the twenty-first of May 2016?", "2016-05-21", "2016-05-21",
     "the twenty-first of May 2016"),
    ("ماذا حدث في العاشر من رمضان 1437؟", "2016-06-15", "2016-06-15", "العاشر من رمضان 1437"),
]  # fmt: skip

# Relative to REF (Wednesday 2016-06-15).
RELATIVE = [
    ("what happened yesterday?", "2016-06-14", "2016-06-14", "yesterday"),
    ("ماذا حدث أمس؟", "2016-06-14", "2016-06-14", "أمس"),
    ("ماذا حدث البارحة في الرياض؟", "2016-06-14", "2016-06-14", "البارحة"),
    ("ماذا حدث أول أمس؟", "2016-06-13", "2016-06-13", "أول أمس"),
    ("what happened today?", "2016-06-15", "2016-06-15", "today"),
    ("ماذا حدث اليوم؟", "2016-06-15", "2016-06-15", "اليوم"),
    # weeks: Monday-based calendar weeks
    ("what happened last week?", "2016-06-06", "2016-06-12", "last week"),
    ("ماذا حدث الأسبوع الماضي؟", "2016-06-06", "2016-06-12", "الأسبوع الماضي"),
    ("ماذا حدث الاسبوع الماضي؟", "2016-06-06", "2016-06-12", "الاسبوع الماضي"),
    ("news this week", "2016-06-13", "2016-06-15", "this week"),
    ("ما أخبار هذا الأسبوع؟", "2016-06-13", "2016-06-15", "هذا الأسبوع"),
    ("what happened 2 weeks ago?", "2016-05-30", "2016-06-05", "2 weeks ago"),
    ("ماذا حدث قبل أسبوعين؟", "2016-05-30", "2016-06-05", "قبل أسبوعين"),
    # months and years
    ("what did the bank decide this month?", "2016-06-01", "2016-06-15", "this month"),
    ("ماذا قرر البنك هذا الشهر؟", "2016-06-01", "2016-06-15", "هذا الشهر"),
    ("ماذا قرر البنك خلال الشهر الجاري؟", "2016-06-01", "2016-06-15", "الشهر الجاري"),
    ("what did the bank decide last month?", "2016-05-01", "2016-05-31", "last month"),
    ("ماذا قرر البنك الشهر الماضي؟", "2016-05-01", "2016-05-31", "الشهر الماضي"),
    ("ماذا حدث منذ شهرين؟", "2016-04-01", "2016-04-30", "منذ شهرين"),
    ("ماذا حدث منذ 3 أيام؟", "2016-06-12", "2016-06-12", "منذ 3 أيام"),
    ("who won the league last year?", "2015-01-01", "2015-12-31", "last year"),
    ("من فاز بالدوري العام الماضي؟", "2015-01-01", "2015-12-31", "العام الماضي"),
    ("من فاز بالدوري في السنة الماضية؟", "2015-01-01", "2015-12-31", "السنة الماضية"),
    ("ما أبرز أحداث هذا العام؟", "2016-01-01", "2016-06-15", "هذا العام"),
    ("ماذا حدث قبل عامين؟", "2014-01-01", "2014-12-31", "قبل عامين"),
    ("what happened in May?", "2016-05-01", "2016-05-31", "in May"),
    ("ماذا حدث في مايو؟", "2016-05-01", "2016-05-31", "في مايو"),
    # rolling spans: N units up to and including REF
    ("what happened in the past 3 days?", "2016-06-13", "2016-06-15", "in the past 3 days"),
    ("any attacks over the past week?", "2016-06-09", "2016-06-15", "over the past week"),
    ("ماذا حدث خلال آخر أسبوعين؟", "2016-06-02", "2016-06-15", "خلال آخر أسبوعين"),
    ("ماذا حدث في الأشهر الثلاثة الماضية؟", "2016-03-16", "2016-06-15",
     "في الأشهر الثلاثة الماضية"),
    # a Hijri month without a year: the latest begun by REF
    ("ماذا حدث في رمضان؟", "2016-06-06", "2016-07-05", "رمضان"),
    # a weekday alone: the latest on or before REF (a Wednesday); "الماضي": before it
    ("what happened on Monday?", "2016-06-13", "2016-06-13", "on Monday"),
    ("what did the minister say on Friday?", "2016-06-10", "2016-06-10", "on Friday"),
    ("what happened on Wednesday?", "2016-06-15", "2016-06-15", "on Wednesday"),
    ("ماذا حدث يوم الاثنين؟", "2016-06-13", "2016-06-13", "يوم الاثنين"),
    ("ماذا قال الوزير يوم الجمعة؟", "2016-06-10", "2016-06-10", "يوم الجمعة"),
    ("ماذا حدث الأربعاء الماضي؟", "2016-06-08", "2016-06-08", "الأربعاء الماضي"),
    ("ماذا حدث يوم الأحد الماضي؟", "2016-06-12", "2016-06-12", "يوم الأحد الماضي"),
    # an ordinal day of a month without a year: that month's latest begun by REF
    ("ماذا حدث في الخامس من مايو؟", "2016-05-05", "2016-05-05", "الخامس من مايو"),
]  # fmt: skip

LATEST = [
    ("what is the latest on the Karabakh ceasefire?", "latest"),
    ("What are the most recent developments in Karabakh?", "most recent"),
    ("newest results of the league", "newest"),
    ("ما آخر أخبار وقف إطلاق النار في قره باغ؟", "آخر أخبار"),
    ("ما آخر التطورات في قره باغ؟", "آخر التطورات"),
    ("آخر المستجدات حول الهدنة", "آخر المستجدات"),
    ("اخر الاخبار عن البنك المركزي", "اخر الاخبار"),
    ("ما هي آخر قرارات البنك المركزي؟", "آخر قرارات"),
    ("أعطني آخر ما قاله الوزير", "آخر ما"),
    ("متى كانت آخر مرة رفع فيها البنك الفائدة؟", "آخر مرة"),
    ("ما أحدث التطورات في الرياض؟", "أحدث التطورات"),
    ("أحدث الأخبار عن الدوري", "أحدث الأخبار"),
]

# Ordinary questions with no time in them: month names as verbs, numbers that are not years,
# آخر as "another", أحدث as "caused", رجب as a name, times and weekdays alone.
NO_TIME = [
    "what did Erdogan demand?",
    "ماذا طالب أردوغان؟",
    "how many people died in the flood?",
    "May I ask who won?",
    "كم عدد سكان إقليم قره باغ؟",
    "Will the protesters march on the capital?",
    "the march on Washington",
    "How many soldiers? The army deployed 2000 soldiers",
    "who said the deal may collapse?",
    "what time does the market open at 9 am?",
    "ماذا قال رجب طيب أردوغان؟",
    "هل هناك طرف آخر في النزاع؟",
    "اقترح الوسطاء موعدا آخر للمحادثات",
    "قال مسؤول آخر إن الهدنة صامدة",
    "من هو الشخص الآخر في الصورة؟",
    "ماذا أحدث الزلزال في المدينة؟",
    "أحدث الزلزال دمارا كبيرا",
    "ما هو اليوم الوطني السعودي؟",
    "كم بلغ عدد القتلى 1500 أم أكثر؟",
    "كم عدد الأهداف التي سجلها اللاعب رقم 10؟",
    "ما هي الأسباب التي ذكرها الأب؟",
    "ماذا قال الوزير حتى اليوم عن الأزمة؟",
    "what is the population of Nagorno-Karabakh?",
    "What share of its power will come from renewables by 2030?",
    "how much damage did the 2022 floods cause?",
    "ما الفرق بين الاثنين؟",
    "هل قابل الأحد منهم الوزير؟",
    "he is in his 60s and still plays",
    "توفي في الستينيات من عمره",
    "what was the first of the three demands?",
    "هل هذا الأول من نوعه؟",
]

RECENT = [
    ("what has the bank done recently?", "recently"),
    ("any attacks lately?", "lately"),
    ("ماذا فعل البنك مؤخرا؟", "مؤخرا"),
    ("ماذا فعل البنك مؤخراً؟", "مؤخراً"),
    ("ماذا حدث في الآونة الأخيرة؟", "في الآونة الأخيرة"),
    ("ماذا حدث في الأيام الأخيرة؟", "في الأيام الأخيرة"),
    # a time after the reference: the newest articles preferred (no article is from then)
    ("what is planned for next week?", "next week"),
    ("what will the bank do next month?", "next month"),
    ("what happens tomorrow?", "tomorrow"),
    ("what is expected in the coming days?", "in the coming days"),
    ("ما المتوقع الأسبوع المقبل؟", "الأسبوع المقبل"),
    ("ماذا سيحدث غدا؟", "غدا"),
    ("ماذا ينتظر الاقتصاد العام المقبل؟", "العام المقبل"),
    ("ما الخطط للأيام القادمة؟", "للأيام القادمة"),
]


@pytest.mark.parametrize(("question", "start", "end", "text"), EXPLICIT)
def test_absolute_expressions(question: str, start: str, end: str, text: str) -> None:
    assert find_time_range(question, REF) == TimeRange(D(start), D(end), "explicit", text)


@pytest.mark.parametrize(("question", "start", "end", "text"), RELATIVE)
def test_relative_expressions(question: str, start: str, end: str, text: str) -> None:
    assert find_time_range(question, REF) == TimeRange(D(start), D(end), "explicit", text, True)


@pytest.mark.parametrize(("question", "text"), LATEST)
def test_latest(question: str, text: str) -> None:
    assert find_time_range(question, REF) == TimeRange(None, None, "latest", text)


@pytest.mark.parametrize("question", NO_TIME)
def test_ordinary_questions_have_no_time(question: str) -> None:
    assert find_time_range(question, REF) is None


@pytest.mark.parametrize(("question", "text"), RECENT)
def test_recent_is_a_soft_window_up_to_the_reference(question: str, text: str) -> None:
    found = find_time_range(question, REF)
    assert found == TimeRange(D("2016-05-17"), REF, "recent", text, True)
    assert found.end is not None and found.start is not None
    assert (found.end - found.start).days == RECENT_DAYS - 1


def test_latest_keeps_the_questions_own_range() -> None:
    assert find_time_range("latest news in 2015", REF) == TimeRange(
        D("2015-01-01"), D("2015-12-31"), "latest", "latest, in 2015"
    )
    found = find_time_range("ما آخر أخبار الهدنة الأسبوع الماضي؟", REF)
    assert found == TimeRange(
        D("2016-06-06"), D("2016-06-12"), "latest", "آخر أخبار, الأسبوع الماضي", True
    )


def test_an_explicit_range_wins_over_recently() -> None:
    found = find_time_range("what did the bank decide recently, in March 2016?", REF)
    assert found == TimeRange(D("2016-03-01"), D("2016-03-31"), "explicit", "in March 2016")


def test_arabic_indic_and_persian_digits() -> None:
    assert find_time_range("ماذا حدث عام ٢٠١٥؟", REF) == TimeRange(
        D("2015-01-01"), D("2015-12-31"), "explicit", "عام ٢٠١٥"
    )
    assert find_time_range("ماذا حدث في ٥ مارس ٢٠١٦؟", REF) == TimeRange(
        D("2016-03-05"), D("2016-03-05"), "explicit", "في ٥ مارس ٢٠١٦"
    )
    assert find_time_range("رمضان ۱۴۳۷", REF) == TimeRange(
        D("2016-06-06"), D("2016-07-05"), "explicit", "رمضان ۱۴۳۷"
    )
    assert find_time_range("ماذا حدث منذ ٣ أيام؟", REF) == TimeRange(
        D("2016-06-12"), D("2016-06-12"), "explicit", "منذ ٣ أيام", True
    )


def test_open_bounds() -> None:
    assert find_time_range("what happened before 2015?", REF) == TimeRange(
        None, D("2014-12-31"), "explicit", "before 2015"
    )
    assert find_time_range("was it signed before March 2016?", REF) == TimeRange(
        None, D("2016-02-29"), "explicit", "before March 2016"
    )
    assert find_time_range("what happened after 2015?", REF) == TimeRange(
        D("2016-01-01"), None, "explicit", "after 2015"
    )
    assert find_time_range("ماذا حدث بعد عام 2015؟", REF) == TimeRange(
        D("2016-01-01"), None, "explicit", "بعد عام 2015"
    )


def test_weeks_are_monday_based_whatever_the_weekday() -> None:
    monday, sunday = date(2016, 6, 13), date(2016, 6, 19)
    for reference in (monday, sunday):
        assert find_time_range("last week", reference)[:2] == (D("2016-06-06"), D("2016-06-12"))
    assert find_time_range("this week", monday)[:2] == (monday, monday)
    assert find_time_range("الأسبوع الماضي", date(2016, 1, 3))[:2] == (
        D("2015-12-21"),
        D("2015-12-27"),
    )


def test_the_reference_moves_relative_ranges_only() -> None:
    other = date(2015, 3, 10)
    assert find_time_range("ماذا حدث أمس؟", other)[:2] == (D("2015-03-09"), D("2015-03-09"))
    assert find_time_range("last month", other)[:2] == (D("2015-02-01"), D("2015-02-28"))
    assert find_time_range("in 2014", other)[:2] == find_time_range("in 2014", REF)[:2]
    assert find_time_range("yesterday", datetime(2015, 3, 10, 18, 30)) == find_time_range(
        "yesterday", other
    )


def test_out_of_range_hijri_and_future_months_give_nothing() -> None:
    assert find_time_range("عام 1200 هـ", REF) is None  # before hijridate's calendar
    # a bare month after the reference is the previous year's, never the future
    assert find_time_range("what happened in August?", REF)[:2] == (
        D("2015-08-01"),
        D("2015-08-31"),
    )


def test_as_dict_for_json() -> None:
    found = find_time_range("in March 2016", REF)
    assert found is not None
    assert found.as_dict() == {
        "start": "2016-03-01",
        "end": "2016-03-31",
        "kind": "explicit",
        "text": "in March 2016",
        "relative": False,
    }
    assert TimeRange(None, None, "latest", "latest").as_dict()["start"] is None


def test_each_question_takes_milliseconds_once_dateparser_is_loaded() -> None:
    find_time_range("in 2015", REF)  # loads dateparser's language data
    questions = [q for q, *_ in EXPLICIT + RELATIVE] + NO_TIME
    started = time.perf_counter()
    for question in questions:
        find_time_range(question + " ", date(2016, 6, 14))  # not cached
    per_question = (time.perf_counter() - started) / len(questions)
    assert per_question < 0.05, f"{per_question * 1000:.1f} ms per question"
