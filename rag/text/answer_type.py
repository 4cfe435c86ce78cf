"""What a question asks for (a date, a number, a person or organisation, a place), and
whether a piece of evidence offers one next to the question's focus terms.

"When did the plant open?" is not answered by a passage about the plant that gives no date,
however close in meaning: the answer's type must be there, near what the question is about,
and not merely repeat the question ("how many of the 450 workers..." is not answered by
450). Dates and numbers compare across scripts (Arabic-Indic digits are read as digits;
Arabic, Syriac and Hijri month names count as dates).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text.analysis import normalize_arabic, stem
from rag.text.focus import Term, light_root, skeletons

# Tokens between a candidate answer and a focus term for the two to count as "next to".
NEAR = 12
_WORD = re.compile(r"\w+", re.UNICODE)
_ARABIC = re.compile("[\u0600-\u06ff]")


def _words(text: str) -> frozenset[str]:
    """The normalised words of a space-separated list."""
    return frozenset(normalize_arabic(w) for w in text.split())


_EN_TYPES = (
    (
        "date",
        re.compile(r"^\s*(when|what (year|date|day|month|time)|in (what|which) (year|month))\b"),
    ),
    (
        "number",
        re.compile(
            r"^\s*(how (many|much|long|far|old|big|large|high|often)|what (is|was|were|are) the "
            r"(number|amount|cost|price|value|percentage|share|rate|total|capacity|size|budget)|"
            r"what (number|amount|percentage|share))\b"
        ),
    ),
    (
        "person",
        re.compile(
            r"^\s*(who|whom|whose|which (person|official|minister|company|group|body|"
            r"organi[sz]ation))\b"
        ),
    ),
    (
        "place",
        re.compile(r"^\s*(where|in (what|which) (city|town|country|place|region|province))\b"),
    ),
)
_AR_TYPES = (
    ("date", re.compile(r"^(و|ف)?(متي|في اي (عام|سنه|شهر|يوم|تاريخ)|ما (تاريخ|موعد))(\s|$)")),
    (
        "number",
        re.compile(
            r"^(و|ف)?(كم|بكم|ما (عدد|قيمه|نسبه|مبلغ|حجم|سعر|تكلفه|مساحه|طول|مده)|"
            r"ما هو (عدد|قيمه|مبلغ|سعر)|ما هي (نسبه|قيمه|تكلفه|مساحه|مده))(\s|$)"
        ),
    ),
    ("person", re.compile(r"^(و|ف)?(من|ما الجهه|اي جهه|ما اسم)(\s|$)")),
    ("place", re.compile(r"^(و|ف)?(اين|في اي (مدينه|بلد|دوله|منطقه|مكان))(\s|$)")),
)

_MONTHS = _words(
    "january february march april may june july august september october november "
    "december jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday "
    "thursday friday saturday sunday yesterday today tomorrow يناير فبراير مارس أبريل "
    "ابريل مايو يونيو يوليو أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر ديسمبر كانون شباط "
    "آذار نيسان أيار حزيران تموز آب أيلول تشرين جانفي فيفري أفريل جوان جويلية أوت محرم "
    "صفر ربيع جمادى رجب شعبان رمضان شوال القعدة الحجة الاثنين الإثنين الثلاثاء الأربعاء "
    "الخميس الجمعة السبت الأحد أمس اليوم غدا هـ "
)
_NUMBER_WORDS = _words(
    "hundred hundreds thousand thousands million millions billion billions dozen dozens "
    "half percent per cent two three four five six seven eight nine ten eleven twelve "
    "twenty thirty forty fifty sixty seventy eighty ninety مئة مائة مئات ألف آلاف الف "
    "الاف مليون ملايين مليار مليارات نصف ربع ثلث بالمئة بالمائة المئة المائة اثنين اثنان "
    "ثلاثة أربعة خمسة ستة سبعة ثمانية تسعة عشرة عشرين ثلاثين أربعين خمسين ستين سبعين "
    "ثمانين تسعين "
)
_PERSON_WORDS = _words(
    "president minister mr mrs ms dr chief director spokesman spokeswoman spokesperson "
    "mayor governor chairman chairwoman head manager secretary official officials "
    "ambassador company ministry council association union bank authority agency "
    "committee federation party group court university society organisation organization "
    "operator board الرئيس رئيس رئيسة الوزير وزير وزيرة السيد السيدة الدكتور الدكتورة "
    "المهندس المهندسة الشيخ الأمير الملك المتحدث متحدث مدير مديرة المدير المديرة المحافظ "
    "محافظ النائب العمدة الأمين أمين عضو رئيسه وزارة الوزارة مجلس المجلس شركة الشركة "
    "جمعية الجمعية هيئة الهيئة نقابة النقابة بنك البنك اتحاد الاتحاد لجنة اللجنة جامعة "
    "الجامعة حزب الحزب محكمة المحكمة منظمة المنظمة "
)
_PLACE_WORDS = _words(
    "city town village province region district port street capital country north south "
    "east west centre center near مدينة المدينة محافظة المحافظة منطقة المنطقة ولاية "
    "الولاية إقليم الإقليم ميناء الميناء قرية القرية حي شارع العاصمة دولة بلدة جنوب شمال "
    "شرق غرب وسط قرب بالقرب "
)
_YEAR = re.compile(r"^(1[89]|20)\d\d$")


def expected_type(question: str) -> str | None:
    """ "date", "number", "person" or "place" when the question's wording asks for one."""
    text = normalize_arabic(question).strip()
    text = re.sub(r"^[^\w]+", "", text)
    for name, pattern in _AR_TYPES if _ARABIC.search(text[:20]) else _EN_TYPES:
        if pattern.search(text):
            return name
    return None


def _candidate(kind: str, raw: str, token: str, prev: str, first: bool) -> bool:
    """Is this token (prepared) a candidate answer of `kind`?"""
    if kind == "date":
        return bool(_YEAR.match(token)) or token in _MONTHS
    if kind == "number":
        return token.isdigit() or token in _NUMBER_WORDS
    if kind == "person":
        capital = raw[:1].isupper() and not first and token not in _MONTHS
        return capital or token in _PERSON_WORDS
    if kind == "place":
        capital = raw[:1].isupper() and prev in ("in", "at", "from", "near", "of")
        return capital or token in _PLACE_WORDS or (prev in ("في", "فى") and len(token) > 2)
    return False


def _is_focus(token: str, raw: str, terms: Sequence[Term], cross: bool) -> bool:
    if cross:
        names = skeletons(raw)
        return any(
            (t.is_number and t.stem == token) or (t.is_name and t.skeleton in names) for t in terms
        )
    key = stem(normalize_arabic(token))
    root = light_root(raw)
    return any(t.stem == key or (t.light and t.light == root) for t in terms)


def type_near_focus(question: str, terms: Sequence[Term], window: str, cross: bool) -> float:
    """1.0 when the window offers a candidate of the question's expected type (one the
    question does not already state) within NEAR tokens of a focus term, or when the
    question expects no particular type; 0.0 otherwise. Across scripts, where only names
    and numbers can be matched, the whole window counts as near when none of them is there."""
    kind = expected_type(question)
    if kind is None:
        return 1.0
    # Folded as the word lists are (one alef, ة -> ه, ى -> ي): أبريل and الجمعة match.
    asked = {normalize_arabic(w) for w in _WORD.findall(question)}
    raws = _WORD.findall(window)
    tokens = [normalize_arabic(w) for w in raws]
    focus = [
        i
        for i, (r, t) in enumerate(zip(raws, tokens, strict=True))
        if _is_focus(t, r, terms, cross)
    ]
    candidates = [
        i
        for i, (r, t) in enumerate(zip(raws, tokens, strict=True))
        if t not in asked and _candidate(kind, r, t, tokens[i - 1] if i else "", i == 0)
    ]
    if not candidates:
        return 0.0
    if not focus:
        return 1.0 if cross else 0.0
    return float(any(abs(c - f) <= NEAR for c in candidates for f in focus))
