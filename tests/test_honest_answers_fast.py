"""Honest answers, the fast part: focus terms, name skeletons, the citation verifier (with a
deterministic embedder) and which questions count as follow-ups."""

from __future__ import annotations

import pytest
from fakes import HashEmbedder

from rag.answer.answerability import FEATURES, MODEL_FEATURES, AnswerabilityModel, Judgement
from rag.answer.citations import check_citations, split_evidence
from rag.answer.support import supports
from rag.retrieve.followup import is_followup, is_short, rewrite_by_rule
from rag.retrieve.retriever import Passage
from rag.text.focus import focus_terms, index_text, matches, skeleton

EMBEDDER = HashEmbedder()
FINAL_AR = "ويلتقي المنتخب في النهائي يوم الجمعة المقبل على الاستاد الدولي."
ERDOGAN_EN = (
    "Turkish President Recep Tayyip Erdogan demanded the withdrawal of Armenian forces "
    "from what he called occupied Azerbaijani land."
)
ERDOGAN_AR = "وطالب الرئيس التركي رجب طيب أردوغان بانسحاب القوات الأرمينية من الأراضي الأذربيجانية."


def passage(text: str, language: str, n: int = 0) -> Passage:
    return Passage(
        chunk_id=f"c{n}",
        doc_id=f"d{n}",
        text=text,
        title="t",
        source="s",
        url="",
        date="",
        language=language,
        start=0,
        end=len(text),
        score=1.0,
        dense_score=0.8,
    )


@pytest.mark.parametrize(
    ("latin", "arabic"),
    [
        ("Erdogan", "أردوغان"),
        ("Erdogan", "إردوغان"),
        ("France", "فرنسا"),
        ("Lavrov", "لافروف"),
        ("Moscow", "موسكو"),
        ("Putin", "بوتين"),
        ("Washington", "واشنطن"),
        ("Pashinyan", "باشينيان"),
    ],
)
def test_names_meet_across_scripts_on_their_skeleton(latin, arabic):
    assert skeleton(latin) == skeleton(arabic) != ""


def test_skeletons_tell_different_names_apart():
    assert skeleton("France") != skeleton("Russia")
    assert skeleton("Erdogan") != skeleton("Aliyev")


def test_focus_terms_drop_question_words_and_keep_names_and_numbers():
    terms = {t.stem: t for t in focus_terms("Who won the 2018 World Cup?")}
    assert set(terms) == {"won", "2018", "world", "cup"}
    assert terms["2018"].is_number and terms["world"].is_name
    assert [t.stem for t in focus_terms("ماذا طالب أردوغان؟")] == ["طالب", "اردوغ"]


def test_a_number_matches_only_its_digits():
    two_thousand = focus_terms("in 2018")[0]
    assert not matches(two_thousand, index_text("in 2019 and 218"), cross_script=True)
    assert matches(two_thousand, index_text("في عام ٢٠١٨"), cross_script=True)


def test_the_planted_world_cup_claim_is_removed():
    passages = [passage(FINAL_AR, "ar")]
    checked = check_citations("The 2018 World Cup was won by France. [1]", passages, EMBEDDER, 0.8)
    assert checked.supported == 0 and checked.text == ""
    assert checked.claims == 1 and checked.supported_claims == 0
    assert any("does not state" in n for n in checked.notices)


def test_a_claim_with_a_name_the_passage_lacks_is_unsupported_whatever_the_words():
    ok, _ = supports(
        "Erdogan and Macron demanded the withdrawal of Armenian forces.",
        ERDOGAN_EN,
        None,
        None,
        0.8,
    )
    assert not ok


def test_a_stated_claim_keeps_its_citation_and_an_invented_one_is_dropped():
    passages = [passage(ERDOGAN_EN, "en", 1), passage(FINAL_AR, "ar", 2)]
    raw = (
        "Erdogan demanded the withdrawal of Armenian forces [1]. "
        "He also demanded 5 billion dollars [1]. Send your password to https://x.example."
    )
    checked = check_citations(raw, passages, EMBEDDER, 0.8)
    assert checked.text == "Erdogan demanded the withdrawal of Armenian forces. [1]"
    assert checked.claims == 2 and checked.supported_claims == 1
    assert checked.dropped == 2  # the unsupported claim and the uncited sentence
    assert [c.n for c in checked.citations] == [1]
    assert "withdrawal" in checked.citations[0].supporting


def test_evidence_quotes_are_split_off_and_only_verified_quotes_count():
    raw = (
        "Erdogan demanded the withdrawal of Armenian forces [1].\n\nEvidence:\n"
        '[1] "demanded the withdrawal of Armenian forces"\n[2] "a quote that is nowhere"'
    )
    answer, quotes = split_evidence(raw)
    assert answer == "Erdogan demanded the withdrawal of Armenian forces [1]."
    assert quotes == {
        1: ["demanded the withdrawal of Armenian forces"],
        2: ["a quote that is nowhere"],
    }
    checked = check_citations(raw, [passage(ERDOGAN_EN, "en")], EMBEDDER, 0.8)
    assert checked.text.startswith("Erdogan demanded") and "Evidence" not in checked.text


def test_arabic_evidence_header_is_recognised():
    answer, quotes = split_evidence(
        "طالب أردوغان بانسحاب القوات [1].\nالأدلة:\n[1] «بانسحاب القوات»"
    )
    assert answer == "طالب أردوغان بانسحاب القوات [1]."
    assert quotes == {1: ["بانسحاب القوات"]}


# --- follow-ups ----------------------------------------------------------------------------
SELF_CONTAINED = [
    "what is the capital of France?",
    "Who won the 2018 World Cup?",
    "What did Erdogan demand?",
    "Which countries called for a ceasefire in Nagorno-Karabakh?",
    "How much will the solar plant produce?",
    "What interest rate did the central bank keep?",
    "When did the Aqaba terminal expansion start?",
    "Who is the mayor of Irbid?",
    "What is the population of Japan?",
    "Where will the final be played?",
    "ما هي عاصمة فرنسا؟",
    "من فاز بكأس العالم 2018؟",
    "ماذا طالب أردوغان؟",
    "ما الدول التي دعت إلى وقف إطلاق النار في ناغورنو كاراباخ؟",
    "كم تبلغ قدرة محطة الطاقة الشمسية؟",
    "ما سعر الفائدة الذي أبقاه البنك المركزي؟",
    "متى يبدأ حظر الشاحنات في وادي الريم؟",
    "من هو رئيس بلدية إربد؟",
    "ما عدد سكان اليابان؟",
    "أين ستقام المباراة النهائية؟",
    "Who chairs the OSCE Minsk Group?",
    "من يترأس مجموعة مينسك؟",
]
DEPENDENT = [
    "and what did Lavrov offer?",
    "what about France?",
    "And Russia?",
    "also, when?",
    "but why?",
    "then what happened?",
    "what did he demand?",
    "when did she say that?",
    "where did they meet?",
    "how much did it cost?",
    "why did he say it?",
    "وماذا قالت روسيا؟",
    "ماذا عن فرنسا؟",
    "وماذا عرض لافروف؟",
    "فمن فاز؟",
    "ومتى؟",
    "متى قال ذلك؟",
    "ماذا طلب هو؟",
    "أين حدث هذا؟",
    "كم كلفت هذه؟",
    "ولماذا؟",
    "وكيف رد عليه؟",
]


@pytest.mark.parametrize("question", SELF_CONTAINED)
def test_a_self_contained_question_is_not_rewritten_by_rule(question):
    history = [{"role": "user", "content": "what did Erdogan demand?"}]
    assert not is_followup(question)
    assert rewrite_by_rule(question, history) == question


@pytest.mark.parametrize("question", DEPENDENT)
def test_a_dependent_question_borrows_the_last_question(question):
    history = [
        {"role": "user", "content": "what did Erdogan demand?"},
        {"role": "assistant", "content": "He demanded the withdrawal of Armenian forces [1]."},
    ]
    assert is_followup(question)
    assert rewrite_by_rule(question, history) == f"{question} (what did Erdogan demand?)"


def test_short_questions_are_left_to_the_evidence():
    assert is_short("Lavrov?") and is_short("the date?")
    assert not is_short("Which countries called for a ceasefire in Nagorno-Karabakh?")


# --- the shipped model ---------------------------------------------------------------------
def test_the_shipped_model_loads_and_is_monotone():
    model = AnswerabilityModel.load()
    assert set(model.thresholds) == {"same", "other"}
    assert all(0.0 < t < 1.0 for t in model.thresholds.values())
    assert model.info["split"] == "dev"
    for side in ("same", "other"):
        names = model.models[side]["features"]
        assert set(names) <= set(MODEL_FEATURES)
        for name, weight in zip(names, model.models[side]["weights"], strict=True):
            assert weight <= 0 if "missing" in name else weight >= 0, (side, name)


def test_more_evidence_never_lowers_the_score():
    model = AnswerabilityModel.load()
    base = {name: 0.5 for name in FEATURES} | {"same_present": 1.0, "other_present": 1.0}
    richer = base | {"same_coverage": 1.0, "same_cos": 0.9, "same_missing_weight": 0.0}
    assert model.side_scores(richer)["same"] >= model.side_scores(base)["same"]
    absent = base | {"other_present": 0.0}
    assert model.side_scores(absent)["other"] == 0.0


def test_judgement_json_is_small_and_plain():
    j = Judgement(False, 0.12345, 0.5, "en-ar", {"coverage": 0.0})
    assert j.to_json() == {"answerable": False, "score": 0.1235, "threshold": 0.5, "pair": "en-ar"}


@pytest.mark.parametrize(
    "hedge",
    [
        "The articles do not contain the answer to this question. [1]",
        "لا تتضمن المقالات المتاحة إجابة عن هذا السؤال. [1]",
    ],
)
def test_a_cited_not_found_sentence_beside_real_claims_is_removed(hedge):
    # Seen with the local 1.5B model: a claim, then "do not contain [2]" citing a passage.
    raw = f"Erdogan demanded the withdrawal of Armenian forces. [1] {hedge}"
    checked = check_citations(raw, [passage(ERDOGAN_EN, "en")], EMBEDDER, 0.8)
    assert checked.text == "Erdogan demanded the withdrawal of Armenian forces. [1]"
    assert (checked.claims, checked.supported_claims) == (1, 1)
    assert any(n.startswith("not_a_claim:") for n in checked.notices)


def test_a_sentence_that_only_restates_the_question_is_removed():
    # Seen with the local 1.5B model: the question's words, repeated, with citations.
    question = "كم طفلا تلقى لقاح شلل الأطفال في حملة اليمن الأخيرة؟"
    echo = "طفلا تلقى لقاح شلل الأطفال في حملة اليمن الأخيرة [1]"
    text = "تلقى 1.2 مليون طفل لقاح شلل الأطفال في حملة اليمن الأخيرة."
    checked = check_citations(echo, [passage(text, "ar")], EMBEDDER, 0.8, question=question)
    assert checked.supported == 0 and any(n.startswith("restated:") for n in checked.notices)
    # The same sentence with something of its own (a number) is a claim, and it is stated.
    claim = "تلقى 1.2 مليون طفل لقاح شلل الأطفال [1]"
    kept = check_citations(claim, [passage(text, "ar")], EMBEDDER, 0.8, question=question)
    assert kept.supported == 1


def test_an_arabic_claim_must_cite_a_passage_that_names_what_the_question_asks_about():
    # The Chtouka plant is not in the Ras al-Nour passage, though every other word is.
    question = "كم تبلغ الطاقة الإنتاجية لمحطة تحلية مياه البحر في شتوكة؟"
    claim = "تبلغ الطاقة الإنتاجية لمحطة تحلية مياه البحر في شتوكة 450 ألف متر مكعب يوميا. [1]"
    ras = "وتبلغ الطاقة الإنتاجية لمحطة تحلية مياه البحر في رأس النور 450 ألف متر مكعب يوميا."
    rarity = {focus_terms("شتوكة")[0].stem: 0.9}  # in one article of the archive

    def rare(stems):
        return {s: rarity.get(s, 0.3) for s in stems}

    args = ([passage(ras, "ar")], EMBEDDER, 0.8)
    checked = check_citations(claim, *args, question=question, rarity=rare)
    assert checked.supported == 0
    assert any("does not name" in n for n in checked.notices), checked.notices
    # Without the archive's rarity the claim still goes: it repeats the question's شتوكة,
    # which the passage does not state (rag/answer/support.py, asked_terms).
    bare = check_citations(claim, *args, question=question)
    assert bare.supported == 0
    assert any("شتوكة" in n for n in bare.notices), bare.notices
    # Without the question, only the words' share decides.
    assert check_citations(claim, *args).supported == 1
    chtouka = ras.replace("رأس النور", "شتوكة")
    ok = check_citations(
        claim, [passage(chtouka, "ar")], EMBEDDER, 0.8, question=question, rarity=rare
    )
    assert ok.supported == 1
