"""Tests for ingest.clean: boilerplate removal, HTML to text, language detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.clean import clean_text, detect_language, html_to_text

# The sample seed article, byte for byte as it was published (with the site's trailer lines).
SEED = Path(__file__).resolve().parents[1] / "samples" / "articles" / "karabakh-ceasefire-ar.txt"


# --- clean_text ----------------------------------------------------------------------


def test_seed_article_loses_only_its_trailer_lines() -> None:
    raw = SEED.read_text(encoding="utf-8")
    lines = raw.rstrip("\n").split("\n")
    assert lines[-2:] == ["اظهر المزيد", "زر الذهاب إلى الأعلى"]
    cleaned = clean_text(raw)
    # Everything but the two trailer lines survives; NBSP is normalised to a space.
    expected = "\n".join(lines[:-2]).strip().replace("\xa0", " ")
    assert cleaned == expected
    assert cleaned.endswith("قبل أي وقف لإطلاق النار.")
    assert cleaned.startswith("روسيا والولايات المتحدة وفرنسا تدعون إلى وقف إطلاق النار")
    assert detect_language(cleaned) == "ar"


def test_clean_text_whitespace_rules() -> None:
    text = "a  \r\nb\t \rc\n\n\n\n\nd\n\n\ne\u2028f"
    assert clean_text(text) == "a\nb\nc\n\nd\n\ne\nf"


def test_clean_text_keeps_single_blank_lines_and_inner_spaces() -> None:
    assert clean_text("  first para\n\nsecond  para  \n") == "first para\n\nsecond  para"


def test_clean_text_removes_zero_width_but_keeps_zwnj() -> None:
    text = "\ufeffمی\u200cخواهم x\u200by\u200dz\u200f\u2066w\u2069 soft\u00adhyphen"
    assert clean_text(text) == "می\u200cخواهم xyzw softhyphen"


def test_clean_text_drops_standalone_boilerplate_lines() -> None:
    text = "\n".join(
        [
            "Skip to content",
            "Body line one.",
            "Advertisement",
            "اقرأ أيضاً:",
            "Body line two.",
            "  Read More »  ",
            "شارك",
            "Share this:",
            "أظهر المزيد",
            "BACK TO TOP",
        ]
    )
    assert clean_text(text) == "Body line one.\nBody line two."


def test_clean_text_keeps_boilerplate_words_inside_sentences() -> None:
    text = "شارك الوزير في المؤتمر.\nYou can read more about it here.\nThey went back to top form"
    assert clean_text(text) == text


def test_clean_text_cuts_glued_trailers_at_line_end() -> None:
    text = "انتهى الاجتماع.زر الذهاب إلى الأعلى\nThe end.Back to top\nآخر سطر اظهر المزيد"
    assert clean_text(text) == "انتهى الاجتماع.\nThe end.\nآخر سطر"


def test_clean_text_is_idempotent_and_handles_empty() -> None:
    text = "Title\n\n\n\nBody  \nزر الذهاب إلى الأعلى\n"
    once = clean_text(text)
    assert once == "Title\n\nBody"
    assert clean_text(once) == once
    assert clean_text("") == ""
    assert clean_text("\n \n\u200b") == ""


# --- html_to_text ----------------------------------------------------------------------

PAGE = """<!doctype html>
<html><head>
<title>  Storm hits   coast </title>
<meta property="og:url" content="https://news.example/storm">
<meta property="article:published_time" content="2024-05-01T10:00:00Z">
<meta property="og:site_name" content="Example News">
<style>p { color: red }</style>
<script>var tracking = "not text";</script>
</head>
<body>
<header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>
<article>
<h1>Storm hits coast</h1>
<p>The storm   arrived <b>early</b> on Monday.</p>
<div>Second block<br>next line</div>
<ul><li>one</li><li>two</li></ul>
<div hidden>hidden text</div>
<aside>Related: other stories</aside>
<form><label>Subscribe</label><input type="text"></form>
<noscript>enable JS</noscript>
</article>
<footer>Copyright</footer>
</body></html>"""


def test_html_to_text_extracts_body_and_metadata() -> None:
    text, meta = html_to_text(PAGE)
    assert text == (
        "Storm hits coast\n\nThe storm arrived early on Monday.\n\nSecond block\nnext line\n\n"
        "one\ntwo"
    )
    assert meta == {
        "title": "Storm hits coast",
        "url": "https://news.example/storm",
        "date": "2024-05-01T10:00:00Z",
        "source": "Example News",
    }


def test_html_to_text_title_falls_back_to_h1_and_canonical_link() -> None:
    html = (
        '<link rel="canonical" href="https://x.example/a"><body><header><h1>Main &amp; '
        "head</h1></header><p>Body &eacute; text</p></body>"
    )
    text, meta = html_to_text(html)
    assert text == "Body é text"
    assert meta == {"title": "Main & head", "url": "https://x.example/a"}


def test_html_to_text_only_scripts_gives_empty_text() -> None:
    text, meta = html_to_text("<html><script>alert(1)</script><style>a{}</style></html>")
    assert text == ""
    assert meta == {}


def test_html_to_text_survives_broken_markup() -> None:
    text, _ = html_to_text("<p>one<p>two</div></span><nav>menu<p>three")
    assert text == "one\n\ntwo"


# --- detect_language -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("قال وزير الخارجية إن المحادثات ستستأنف الأسبوع المقبل في الرياض", "ar"),
        ("قال الرئيس Joe Biden إن الاتفاق مع NATO سيوقع قريبا في العاصمة", "ar"),
        ("The minister said that talks with the union would resume after the holiday.", "en"),
        ("Le ministre a déclaré que les négociations reprendront après les vacances.", "other"),
        ("Der Minister sagte, dass die Gespräche nach dem Urlaub fortgesetzt werden.", "other"),
        ("این یک متن فارسی است که برای آزمایش گفتگو و پژوهش نوشته شده است", "other"),
        ("Министр заявил, что переговоры возобновятся после праздников.", "other"),
        (  # a BBC team sheet: few function words, still English
            "Replacements: A Titterrell (Sale Sharks), P Vickery (Gloucester), and S Borthwick "
            "(Bath) with J Forrester, H Ellis (Leicester), O Barkley (Bath)",
            "en",
        ),
        ("M Cueto (Sale Sharks), M Tait (Newcastle), J Noon (Newcastle)", "other"),
        (
            "jQuery('#vote').submit(function() { site = jQuery('input[name=site]').val(); }); "
            "كيف تتناول إفطارك في رمضان؟ تناول جميع الأطعمة مع وقت أذان المغرب",
            "ar",
        ),
        ("", "other"),
        ("12345 67 -- !!", "other"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected
