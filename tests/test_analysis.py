"""Arabic-aware text analysis, sentence spans and follow-up rules (pure functions, fast)."""

from __future__ import annotations

from rag.retrieve.followup import is_followup, rewrite_by_rule
from rag.text.analysis import analyze, normalize_arabic, script_language
from rag.text.sentences import split_cited, split_sentences


def test_normalisation_covers_diacritics_tatweel_alef_ta_marbuta_ya_digits_presentation():
    assert normalize_arabic("مُحَمَّد") == "محمد"
    assert normalize_arabic("العـــربية") == "العربيه"
    assert normalize_arabic("أحمد إلى آمن") == "احمد الي امن"
    assert normalize_arabic("مستشفى") == "مستشفي"
    assert normalize_arabic("عام ٢٠٢٠ و۱۹۹۴") == "عام 2020 و1994"
    # Presentation forms (U+FEFB lam-alef ligature) fold to the plain letters.
    assert normalize_arabic("\ufefb") == "لا"


def test_diacritics_do_not_split_words():
    assert analyze("مُحَمَّدٌ رَسُولُ") == ["محمد", "رسول"]


def test_query_and_document_forms_meet_after_stemming():
    doc = set(analyze("المطالبة بالانسحاب والقوات الأرمينية"))
    query = set(analyze("انسحاب القوات"))
    assert query <= doc
    assert analyze("withdrawals demanded") == analyze("withdrawal demand")


def test_stop_words_are_dropped_in_both_languages():
    assert analyze("what did the") == []
    assert analyze("ماذا في من") == []


def test_script_language():
    assert script_language("ماذا طالب أردوغان؟") == "ar"
    assert script_language("what did Erdogan demand?") == "en"
    assert script_language("2024 ...") == "other"


def test_sentence_spans_are_exact_offsets():
    text = "قال الوزير إن الاتفاق تم. وأضاف: لا تراجع؟ The U.S. said 2.5% more!\nNew line"
    spans = split_sentences(text)
    assert [s.text for s in spans] == [
        "قال الوزير إن الاتفاق تم.",
        "وأضاف: لا تراجع؟",
        "The U.S. said 2.5% more!",
        "New line",
    ]
    for s in spans:
        assert text[s.start : s.end] == s.text


def test_split_cited_attaches_markers_to_sentences():
    parts = split_cited("Erdogan demanded a withdrawal [1]. Russia urged calm [2][3]. No source.")
    assert parts == [
        ("Erdogan demanded a withdrawal.", [1]),
        ("Russia urged calm.", [2, 3]),
        ("No source.", []),
    ]


def test_followups_are_detected_and_rewritten_without_llm():
    history = [
        {"role": "user", "content": "what did Erdogan demand?"},
        {"role": "assistant", "content": "x"},
    ]
    assert is_followup("and what did Russia say?")
    assert is_followup("وماذا قالت روسيا؟")
    assert not is_followup(
        "What did the Azerbaijani president demand as a condition for a ceasefire?"
    )
    assert rewrite_by_rule("and what did Russia say?", history) == (
        "and what did Russia say? (what did Erdogan demand?)"
    )
    assert rewrite_by_rule("وماذا قالت روسيا؟", [("ماذا طالب أردوغان؟", "...")]).endswith(
        "(ماذا طالب أردوغان؟)"
    )
    assert rewrite_by_rule("and Russia?", []) == "and Russia?"


def test_markers_after_the_stop_close_the_sentence_before_them():
    parts = split_cited("Erdogan demanded a withdrawal. [1] Lavrov offered talks. [2][3] Done.")
    assert parts == [
        ("Erdogan demanded a withdrawal.", [1]),
        ("Lavrov offered talks.", [2, 3]),
        ("Done.", []),
    ]
