"""What a question asks for, in the evidence next to its focus terms (honest answers,
round two, item 1), in both languages and across them."""

from __future__ import annotations

import pytest

from rag.text.answer_type import expected_type, type_near_focus
from rag.text.focus import focus_terms

STAFF = (
    "Company chief executive Dana Majali said the company had hired 260 staff, including 34 "
    "train drivers trained in Spain."
)
PLANT_AR = "افتتحت محطة رأس النور لتحلية المياه في مارس ٢٠٢٤ بطاقة ٤٥٠ ألف متر مكعب يومياً."


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did the plant open?", "date"),
        ("In which year did Erdogan become president?", "date"),
        ("How many workers were hired?", "number"),
        ("How much did the line cost?", "number"),
        ("Who demanded a station in Ruseifa?", "person"),
        ("Where was the ship grounded?", "place"),
        ("What did Erdogan demand?", None),
        ("متى افتتحت المحطة؟", "date"),
        ("في أي عام أصبح أردوغان رئيساً؟", "date"),
        ("كم عدد سكان إقليم قره باغ؟", "number"),
        ("ما عدد الموظفين؟", "number"),
        ("من هي مديرة المحطة؟", "person"),
        ("أين جنحت السفينة؟", "place"),
        ("ماذا طالب أردوغان؟", None),
    ],
)
def test_the_expected_answer_type(question, kind):
    assert expected_type(question) == kind


def near(question: str, window: str, cross: bool = False) -> float:
    return type_near_focus(question, focus_terms(question), window, cross)


def test_the_type_must_be_in_the_window_next_to_the_focus():
    assert near("How many staff did the company hire?", STAFF) == 1.0
    assert near("When did the company hire its staff?", STAFF) == 0.0  # no date given
    assert near("What did the company do?", STAFF) == 1.0  # no particular type asked


def test_a_number_the_question_states_is_not_its_answer():
    window = "The council has 450 members and meets monthly."
    assert near("How many of the 450 council members voted?", window) == 0.0
    assert near("How many members does the council have?", window) == 1.0


def test_dates_and_numbers_across_scripts():
    # Arabic-Indic digits and Arabic month names count, for an English question too.
    assert near("متى افتتحت محطة رأس النور؟", PLANT_AR) == 1.0
    assert near("When did the Ras al-Nour plant open?", PLANT_AR, cross=True) == 1.0
    assert near("كم عدد سكان محطة رأس النور؟", "افتتحت محطة رأس النور أمس.") == 0.0


def test_arabic_month_and_day_names_count_with_their_hamza_and_ta_marbuta():
    assert near("متى افتتحت المحطة؟", "افتتحت المحطة في أبريل الماضي.") == 1.0
    assert near("متى افتتحت المحطة؟", "افتتحت المحطة يوم الجمعة.") == 1.0
    assert near("متى افتتحت المحطة؟", "افتتحت المحطة بحضور الوزير.") == 0.0


def test_a_population_question_over_the_karabakh_passage_finds_no_number_near_it():
    window = (
        "وفي تغريدة خارج السرب جدد رئيس النظام التركي أردوغان المطالبة بانسحاب القوات "
        "الأرمينية من الأراضي الأذربيجانية المحتلة على حد زعمه."
    )
    assert near("كم عدد سكان إقليم قره باغ؟", window) == 0.0
