"""Word lists and patterns for rag.text.time_expressions (Arabic and English news questions).

Kept apart from the resolver so that either file reads on its own. Every pattern runs on
text whose Arabic-Indic digits were already folded to ASCII.
"""

from __future__ import annotations

import re

# Arabic-Indic and Persian digits -> ASCII, character for character (offsets do not move).
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

_HAMZA_A = "[أاإآ]"
_AL = "(?:ال)"

# Arabic forms dateparser does not read (or reads wrongly), rewritten into English that it
# does; longest and most specific first. `{n}` is a number: digits or a word (NUMBER_WORDS).
_PAST = "(?:الماضي|الماضية|المنصرم|المنصرمة|الفائت|الفائتة|السابق|السابقة)"
_THIS = "(?:الحالي|الحالية|الجاري|الجارية)"
_YEAR = "(?:العام|السنة|عام|سنة)"
AR_REWRITES: list[tuple[str, str]] = [
    (r"(?:أول|اول) (?:من )?أمس|أمس الأول|أمس الاول", "2 days ago"),
    (r"البارحة|ليلة أمس|مساء أمس|صباح أمس|أمس", "yesterday"),
    # "اليوم" alone, not "حتى اليوم" (so far) nor "اليوم الوطني" (a holiday).
    (r"(?<!حتى )(?<!إلى )(?<!الى )اليوم(?! ال)", "today"),
    (rf"{_AL}(?:عام|سنة) {_PAST}", "last year"),
    (rf"(?:هذا العام|هذه السنة|{_AL}عام {_THIS}|{_AL}سنة {_THIS})", "this year"),
    (rf"{_AL}شهر {_PAST}", "last month"),
    (rf"(?:هذا الشهر|{_AL}شهر {_THIS})", "this month"),
    (rf"{_AL}{_HAMZA_A}سبوع {_PAST}", "last week"),
    (rf"(?:هذا {_AL}{_HAMZA_A}سبوع|{_AL}{_HAMZA_A}سبوع {_THIS})", "this week"),
    # "منذ/قبل" + a count and a unit: "منذ 3 أيام", "قبل أسبوعين", "منذ شهر".
    (r"(?:منذ|قبل) (?:(\d{1,2}|{n}) )?(يوم|أيام|ايام|يومين|أسبوع|اسبوع|أسابيع|اسابيع|"
     r"أسبوعين|اسبوعين|شهر|أشهر|اشهر|شهور|شهرين|عام|أعوام|اعوام|عامين|سنة|سنوات|سنتين)"
     r"(?!\w)(?!\s*\d)", "{count} {unit} ago"),
]  # fmt: skip

# Unit words (Arabic singular, dual, plural; English) -> (unit, count implied by a dual).
AR_UNITS = {
    "يوم": ("day", 1), "أيام": ("day", 0), "ايام": ("day", 0), "يومين": ("day", 2),
    "أسبوع": ("week", 1), "اسبوع": ("week", 1), "أسابيع": ("week", 0), "اسابيع": ("week", 0),
    "أسبوعين": ("week", 2), "اسبوعين": ("week", 2), "شهر": ("month", 1), "أشهر": ("month", 0),
    "اشهر": ("month", 0), "شهور": ("month", 0), "شهرين": ("month", 2), "عام": ("year", 1),
    "أعوام": ("year", 0), "اعوام": ("year", 0), "عامين": ("year", 2), "سنة": ("year", 1),
    "سنوات": ("year", 0), "سنتين": ("year", 2),
}  # fmt: skip
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "ثلاث": 3, "ثلاثة": 3, "أربع": 4, "اربع": 4,
    "أربعة": 4, "اربعة": 4, "خمس": 5, "خمسة": 5, "ست": 6, "ستة": 6, "سبع": 7, "سبعة": 7,
    "ثمان": 8, "ثماني": 8, "ثمانية": 8, "تسع": 9, "تسعة": 9, "عشر": 10, "عشرة": 10,
}  # fmt: skip
_AR_NUMBER = "|".join(sorted((w for w in NUMBER_WORDS if not w.isascii()), key=len, reverse=True))
_EN_NUMBER = "|".join(w for w in NUMBER_WORDS if w.isascii())
AR_REWRITES = [(p.replace("{n}", _AR_NUMBER), r) for p, r in AR_REWRITES]

# Month names dateparser does not know, rewritten to the Egyptian/Gulf names it does (an
# English name inside Arabic text is not read): Levantine (آذار ...) and Maghrebi (غشت ...).
# "آب" (August) is also "father": it counts only beside a number.
OTHER_MONTHS = {
    "كانون الثاني": "يناير", "شباط": "فبراير", "آذار": "مارس", "اذار": "مارس",
    "نيسان": "أبريل", "أيار": "مايو", "ايار": "مايو", "حزيران": "يونيو", "تموز": "يوليو",
    "أيلول": "سبتمبر", "ايلول": "سبتمبر", "تشرين الأول": "أكتوبر",
    "تشرين الاول": "أكتوبر", "تشرين الثاني": "نوفمبر", "كانون الأول": "ديسمبر",
    "كانون الاول": "ديسمبر", "يوليوز": "يوليو", "غشت": "أغسطس", "شتنبر": "سبتمبر",
    "نونبر": "نوفمبر", "دجنبر": "ديسمبر",
}  # fmt: skip
AUGUST_AB = r"(?<=\d )آب(?!\w)|(?<!\S)[آا]ب(?= (?:من )?(?:عام |سنة )?\d{4})"

# Month names dateparser reads (after the rewrites above), for the "is this a date?" check.
MONTH_NAME = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?![a-z])|"
    r"يناير|فبراير|مارس|[أاإ]بريل|مايو|ماي|يونيو|يونيه|يوليو|يوليه|[أا]غسطس|سبتمبر|"
    r"[أا]كتوبر|نوفمبر|ديسمبر",
    re.IGNORECASE,
)
# A year of the Common Era the archive could hold (a bare number needs a cue, see below).
YEAR_NUMBER = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d|21\d\d)(?!\d)")
# Words that make a bare four-digit number a year: "in 2015", "عام 2015", "since 2015"
# (not "by 2030": a target, not when the news happened).
YEAR_CUE = re.compile(
    r"(?:^|\s)(?:in|during|of|since|from|to|until|till|before|after|and|between|year|"
    r"early|late|mid|في|خلال|منذ|عام|العام|سنة|السنة|حتى|إلى|الى|قبل|بعد|بين|و|من)\s*$",
    re.IGNORECASE,
)
# Words that make a bare month name a month: "in May" (not "May I ask").
MONTH_CUE = re.compile(
    r"(?:^|\s)(?:in|during|since|until|till|before|after|early|late|mid|of|في|خلال|منذ|حتى|"
    r"قبل|بعد|شهر)\s*$",
    re.IGNORECASE,
)
# Words of relative expressions (after the Arabic rewrites), for the same check.
RELATIVE_WORD = re.compile(
    r"\b(?:ago|yesterday|today|tonight|last|this|previous|past)\b|منذ|قبل|أمس",
    re.IGNORECASE,
)

# "in the last 3 days", "over the past two weeks", "past year" (rolling, up to the reference).
EN_ROLLING = re.compile(
    rf"\b(?:(?:in|over|during|within) )?(?:the )?(?:last|past) (\d{{1,3}}|{_EN_NUMBER}) "
    rf"(day|week|month|year)s?\b|\b(?:(?:in|over|during) )?(?:the )?past (day|week|month|year)\b",
    re.IGNORECASE,
)
_AR_UNIT = "|".join(sorted(AR_UNITS, key=len, reverse=True))
_AR_LAST = "(?:الماضية|الماضيين|الماضيتين|الأخيرة|الاخيرة|الأخيرين|الاخيرين|المنصرمة)"
# "آخر 3 أيام", "آخر أسبوعين", "الأسبوعين الماضيين", "الأشهر الثلاثة الماضية".
AR_ROLLING = re.compile(
    rf"(?:خلال |في )?(?:[آا]خر (?:(\d{{1,3}}|{_AR_NUMBER}) )?({_AR_UNIT})(?!\w)|"
    rf"ال({_AR_UNIT}) (?:ال({_AR_NUMBER}) |الـ ?(\d{{1,3}}) )?{_AR_LAST})"
)

# Hijri months (Arabic; "Ramadan" in English too) -> month number.
HIJRI_MONTHS = {
    "محرم": 1, "صفر": 2, "ربيع الأول": 3, "ربيع الاول": 3, "ربيع الآخر": 4, "ربيع الاخر": 4,
    "ربيع الثاني": 4, "جمادى الأولى": 5, "جمادى الاولى": 5, "جمادى الأول": 5,
    "جمادى الآخرة": 6, "جمادى الاخرة": 6, "جمادى الثانية": 6, "رجب": 7, "شعبان": 8,
    "رمضان": 9, "ramadan": 9, "شوال": 10, "ذو القعدة": 11, "ذي القعدة": 11,
    "ذو الحجة": 12, "ذي الحجة": 12,
}  # fmt: skip
# Names that are also people's names or words (رجب طيب أردوغان, صفر = zero): only with a
# year or after "شهر".
HIJRI_NAMES_TOO = {"صفر", "رجب", "شعبان"}
_HIJRI_MONTH = "|".join(sorted(HIJRI_MONTHS, key=len, reverse=True))
_HIJRI_SUFFIX = r"(?:\s*(?:هـ|ه|هجري|هجرية|للهجرة)(?!\w))"
HIJRI_DATE = re.compile(
    rf"(?:(?<!\S)(\d{{1,2}}) )?(شهر )?(?<!\w)({_HIJRI_MONTH})(?!\w)"
    rf"(?: (?:من )?(?:{_YEAR} )?(\d{{4}}){_HIJRI_SUFFIX}?)?",
    re.IGNORECASE,
)
HIJRI_YEAR = re.compile(rf"(?:{_YEAR} )?(?<!\d)(1[345]\d\d)(?!\d){_HIJRI_SUFFIX}")

# "latest": English phrases, and the Arabic آخر / أحدث where they mean latest (see
# time_expressions._arabic_latest: آخر after a noun means "another").
EN_LATEST = re.compile(
    r"\b(?:latest|most recent(?:ly)?|newest|most up[- ]to[- ]date|last (?:news|update|"
    r"updates|developments|word|time))\b",
    re.IGNORECASE,
)
EN_RECENT = re.compile(
    r"\b(?:recently|lately|recent|these days|(?:in|over) the past few (?:days|weeks|months)|"
    r"(?:in|over) the last few (?:days|weeks|months))\b",
    re.IGNORECASE,
)
AR_RECENT = re.compile(
    r"مؤخر[اًّ]+|مؤخرا|(?:في )?ال[آا]ونة ال[أا]خيرة|(?:في |خلال )?(?:الفترة|الأيام|الايام|"
    r"الأسابيع|الاسابيع|الأشهر|الاشهر) (?:القليلة )?(?:الأخيرة|الاخيرة|الماضية)"
)
AR_LATEST_WORDS = {"آخر", "اخر", "أخر", "أحدث", "احدث"}
# Nouns that make آخر/أحدث "latest": "آخر أخبار", "أحدث التطورات" (ال is stripped first).
NEWS_NOUNS = {
    "أخبار", "اخبار", "خبر", "تطورات", "تطور", "مستجدات", "مستجد", "معلومات", "قرار",
    "قرارات", "تصريح", "تصريحات", "بيان", "نتائج", "نتيجة", "أرقام", "ارقام", "إحصاءات",
    "احصاءات", "تقرير", "تقارير", "مرة", "جولة", "اجتماع", "مباحثات", "محادثات", "هجوم",
    "هجمات", "مواجهات", "اشتباكات", "حصيلة", "موقف", "مواقف", "إعلان", "اعلان", "أنباء",
    "انباء", "وضع", "أوضاع", "اوضاع", "مباراة", "انتخابات",
}  # fmt: skip
# Words before آخر that leave it "latest" ("ما آخر", "عن آخر", "أعطني آخر").
AR_LEAD_WORDS = {
    "ما", "ماذا", "هو", "هي", "ماهو", "ماهي", "عن", "في", "من", "على", "إلى", "الى", "حول",
    "بشأن", "حتى", "هل", "كان", "كانت", "أعطني", "اعطني", "أخبرني", "اخبرني", "لخص",
    "اعرض", "اذكر", "أريد", "اريد", "نريد", "تابع", "وفق", "حسب",
}  # fmt: skip
# After آخر these mean "the end of" (آخر الأسبوع), not "latest".
AR_END_OF = {"الأسبوع", "الاسبوع", "الشهر", "العام", "السنة", "اليوم", "النهار", "الليل", "الليلة"}
# Before أحدث these make it the verb "caused" (ماذا أحدث الزلزال؟).
AR_VERB_LEADS = {"ماذا", "الذي", "التي", "ما الذي", "مما", "وقد", "قد"}
ARABIC_WORD = re.compile(r"[\u0600-\u06ff]+")
