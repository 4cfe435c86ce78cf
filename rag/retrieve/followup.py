"""Follow-up questions -> standalone queries, by LLM prompt or by a deterministic rule."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rag.text.analysis import analyze, normalize_arabic

# "and what did Russia say?", "what about France?", "وماذا قالت روسيا؟", "ماذا عن فرنسا؟"
_EN_LEAD = re.compile(r"^\s*(and|also|what about|how about|then|but)\b", re.IGNORECASE)
_EN_PRONOUN = re.compile(r"\b(he|she|it|they|him|her|them|his|their|its|this|that|there)\b", re.I)
_AR_LEAD = re.compile(r"^\s*(و|ف)(ماذا|ما|من|هل|كيف|متي|اين|لماذا|كم|اي)\b|^\s*(ماذا|وماذا) عن\b")
# Arabic pronouns and demonstratives that stand as words (attached ones are in the words).
_AR_PRONOUN = re.compile(
    r"(?:^|\s)(هو|هي|هم|هما|ذلك|تلك|هذا|هذه|هناك|عنه|عنها|عنهم|منه|منها|له|لها|لهم|عليه|"
    r"عليها|فيه|فيها|بها|به)(?=\s|[؟?.!،]|$)"
)
# "ما هي" / "من هو" open a question; their pronoun points at nothing before.
_AR_COPULA = re.compile(r"^\s*(ما|من|ماذا)\s+(هو|هي|هم|هما)\b")
# A question this short may be an ellipsis ("the date?") or complete ("Lavrov?"): the
# assistant lets the evidence decide.
SHORT_QUESTION_TERMS = 2
MAX_HISTORY_ITEMS = 40
MAX_HISTORY_CHARS = 2000  # the assistant's question cap


def history_pairs(history: Sequence[Any] | None) -> list[tuple[str, str]]:
    """(role, text) of a history given as OpenAI/Gradio messages or (user, bot) pairs."""
    out: list[tuple[str, str]] = []
    # History comes from the client: only its last turns, each as long as a question may be.
    for item in list(history or [])[-MAX_HISTORY_ITEMS:]:
        if isinstance(item, dict):
            content = item.get("content", "")
            if isinstance(content, list):  # Gradio 6 message parts
                content = " ".join(
                    p.get("text", "") if isinstance(p, dict) else str(p) for p in content
                )
            out.append((str(item.get("role", "user"))[:20], str(content)[:MAX_HISTORY_CHARS]))
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            if item[0]:
                out.append(("user", str(item[0])[:MAX_HISTORY_CHARS]))
            if item[1]:
                out.append(("assistant", str(item[1])[:MAX_HISTORY_CHARS]))
    return out


def is_followup(question: str) -> bool:
    """Does the question's wording lean on an earlier one: a lead word ("and", "what
    about", "وماذا") or a pronoun in a short question ("what did he say?", "متى قال ذلك؟")."""
    if _EN_LEAD.search(question) or _AR_LEAD.search(normalize_arabic(question)):
        return True
    words = analyze(question)
    arabic = _AR_COPULA.sub(r"\1", normalize_arabic(question))
    pronoun = _EN_PRONOUN.search(question) or _AR_PRONOUN.search(arabic)
    return len(words) <= 5 and bool(pronoun)


def is_short(question: str) -> bool:
    """Too few content words to tell from the wording whether it stands alone."""
    return len(analyze(question)) <= SHORT_QUESTION_TERMS


def with_history(question: str, history: Sequence[Any] | None) -> str:
    """The question with the previous question's words appended, for retrieval."""
    previous = [text for role, text in history_pairs(history) if role == "user"]
    if not previous:
        return question
    return f"{question.strip()} ({previous[-1].strip()})"


def rewrite_by_rule(question: str, history: Sequence[Any] | None) -> str:
    """Without an LLM: a follow-up borrows the previous question's words."""
    if not is_followup(question):
        return question
    return with_history(question, history)


def format_history(history: Sequence[Any] | None, turns: int = 6) -> str:
    """The last turns as plain 'user: ...' lines for the rewrite prompt."""
    lines = [f"{role}: {text.strip()[:500]}" for role, text in history_pairs(history)]
    return "\n".join(lines[-turns:])
