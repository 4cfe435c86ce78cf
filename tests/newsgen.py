"""Generated news corpora in the shapes of the real ones, so tests need nothing outside the repo.

SaudiNewsNet day files (a zip holding one JSON array of {source, url, date_extracted, title,
author, content}) and BBC-style text files (headline, blank line, paragraphs) are produced
from hand-written sentence templates with a seeded generator: the same arguments give the
same bytes, every article's text is distinct (so deduplication keeps them all), and the
sizes vary like real news (a few hundred to a few thousand characters).
"""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

AR_SOURCES = ["alriyadh", "aljazirah", "alyaum", "okaz", "sabq", "3alyoum", "was", "alwatan"]
AR_PEOPLE = ["خالد العتيبي", "سارة القحطاني", "محمد الحربي", "نورة الشهري", "عبدالله الغامدي"]
AR_PLACES = ["الرياض", "جدة", "الدمام", "تبوك", "أبها", "المدينة المنورة", "حائل", "نجران"]
AR_TOPICS = ["مشروع الإسكان", "معرض الكتاب", "موسم الحج", "محطة التحلية", "مهرجان التمور"]
AR_SENTENCES = [
    "أعلن {person} اليوم في {place} عن إطلاق {topic} بتكلفة تبلغ {n} مليون ريال.",
    "وقال {person} إن {topic} سيوفر نحو {n} فرصة عمل لأبناء {place} خلال العام المقبل.",
    "وشهدت {place} إقبالاً كبيراً على {topic} حيث تجاوز عدد الزوار {n} زائر في اليوم الأول.",
    "وأوضح المتحدث الرسمي أن الأعمال في {topic} بلغت نسبة إنجاز {n} في المئة.",
    "ودعا {person} الجهات المعنية إلى تسريع العمل في {topic} قبل نهاية الشهر.",
    "وأكدت أمانة {place} أن الطرق المؤدية إلى {topic} ستغلق مؤقتاً لمدة {n} أيام.",
    "ويأتي ذلك ضمن خطة لتطوير الخدمات في {place} تشمل {n} مشروعاً جديداً.",
    "وأشار التقرير إلى ارتفاع أسعار الخضار في أسواق {place} بنسبة {n} في المئة.",
    "واستقبل {person} وفداً من رجال الأعمال لبحث فرص الاستثمار في {place}.",
    "وتوقعت الأرصاد هطول أمطار رعدية على {place} مع رياح تصل سرعتها إلى {n} كيلومتراً.",
]
EN_PEOPLE = ["Maria Lopez", "John Carter", "Aisha Khan", "Peter Novak", "Grace Okafor"]
EN_PLACES = ["Leeds", "Bristol", "Glasgow", "Cardiff", "Belfast", "Norwich", "York"]
EN_TOPICS = ["the rail upgrade", "the new stadium", "the bank merger", "the energy tariff"]
EN_SENTENCES = [
    "{person} said on Monday that {topic} in {place} would cost about {n} million pounds.",
    "Shares rose {n}% after {person} confirmed talks over {topic}.",
    "Officials in {place} expect {topic} to create {n} jobs over the next two years.",
    "Critics argue that {topic} has been delayed {n} times since it was first announced.",
    "{person} told reporters that the board would meet again in {place} next week.",
    "Sales in {place} fell by {n}% in the third quarter, the firm said.",
    "The council in {place} approved {topic} by {n} votes to four.",
    "Analysts said {topic} could lift profits by {n} million pounds this year.",
    "{person} is expected to give evidence about {topic} before a committee in {place}.",
    "Work on {topic} in {place} resumed after a strike that lasted {n} days.",
]


def _fill(rng: random.Random, template: str, people, places, topics) -> str:
    return template.format(
        person=rng.choice(people),
        place=rng.choice(places),
        topic=rng.choice(topics),
        n=rng.randint(2, 9800),
    )


def _article(rng: random.Random, lang: str, serial: int, sentences: int) -> tuple[str, str]:
    if lang == "ar":
        pool = (AR_SENTENCES, AR_PEOPLE, AR_PLACES, AR_TOPICS)
        title = f"{rng.choice(AR_TOPICS)} في {rng.choice(AR_PLACES)}: تقرير رقم {serial}"
    else:
        pool = (EN_SENTENCES, EN_PEOPLE, EN_PLACES, EN_TOPICS)
        title = f"Report {serial}: {rng.choice(EN_TOPICS)} in {rng.choice(EN_PLACES)}"
    templates, people, places, topics = pool
    lines = [_fill(rng, rng.choice(templates), people, places, topics) for _ in range(sentences)]
    paragraphs = [" ".join(lines[i : i + 3]) for i in range(0, len(lines), 3)]
    return title, "\n\n".join(paragraphs)


def saudi_records(
    count: int,
    *,
    seed: int = 0,
    day: str = "2015-08-10",
    empty: int = 0,
    sentences: tuple[int, int] = (3, 24),
) -> list[dict[str, str]]:
    """`count` SaudiNewsNet-shaped records, `empty` of them (spread out) with no content,
    each of `sentences` (a range) sentences."""
    rng = random.Random(seed)
    blank = set(random.Random(seed + 1).sample(range(1, count), empty))
    records = []
    for i in range(count):
        title, text = _article(rng, "ar", i, rng.randint(*sentences))
        source = AR_SOURCES[i % len(AR_SOURCES)]
        records.append(
            {
                "source": source,
                "url": f"http://www.{source}.com/news/{day}/{i}",
                "date_extracted": f"{day} {8 + i % 12:02d}:{i % 60:02d}:{(7 * i) % 60:02d}",
                "title": title,
                "author": rng.choice(["", "", "", "فريق التحرير", "مراسل الصحيفة"]),
                "content": "" if i in blank else text,
            }
        )
    return records


def saudi_day_zip(path: Path, count: int, *, seed: int = 0, empty: int = 0) -> Path:
    """A SaudiNewsNet daily zip at `path` (named YYYY-MM-DD.zip) holding `count` articles."""
    day = path.stem
    records = saudi_records(count, seed=seed, day=day, empty=empty)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{day}.json", json.dumps(records, ensure_ascii=False, indent=1))
    return path


def english_articles(
    root: Path,
    count: int,
    *,
    seed: int = 0,
    prefix: str = "",
    sentences: tuple[int, int] = (3, 24),
) -> list[Path]:
    """`count` BBC-style .txt files under `root`: headline, blank line, paragraphs."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        title, text = _article(rng, "en", i, rng.randint(*sentences))
        path = root / f"{prefix}{i:03d}.txt"
        path.write_text(f"{title}\n\n{text}\n", encoding="utf-8")
        paths.append(path)
    return paths
