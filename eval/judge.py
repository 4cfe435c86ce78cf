"""Optional LLM judge: faithfulness (claims stated in the passages) and correctness (gives
the reference answer), each 0 or 1. Only used with `--judge` and a configured LLM.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rag.answer.llm import ChatModel, LLMUnavailable
from rag.answer.result import Answer

PROMPT_FILE = Path(__file__).parent / "prompts" / "judge.md"
_OBJECT = re.compile(r"\{[^{}]*\}")
PASSAGE_CHARS = 800


def load_prompt() -> str:
    """The judge prompt, editable as a file beside the code."""
    return PROMPT_FILE.read_text(encoding="utf-8")


def judge(
    chat: ChatModel, prompt: str, question: str, references: list[str], answer: Answer
) -> dict[str, float] | None:
    """{"judge_faithfulness", "judge_correctness"} for one answer; None if the LLM fails."""
    # The answer is judged against what it cites: that is the claim it makes.
    cited = [(c.n, c.text) for c in answer.citations] or list(
        enumerate((p.text for p in answer.passages[:5]), start=1)
    )
    passages = "\n\n".join(f"[{n}] {text[:PASSAGE_CHARS]}" for n, text in cited)
    text = prompt.format(
        question=question,
        reference=" | ".join(references) or "(none)",
        passages=passages,
        answer=answer.text,
    )
    try:
        reply = chat.complete([{"role": "user", "content": text}])
    except LLMUnavailable:
        return None
    return parse_verdict(reply)


def parse_verdict(reply: str) -> dict[str, float] | None:
    """The first JSON object of the reply with 0/1 grades, or None when there is none."""
    for match in _OBJECT.finditer(reply):
        try:
            data = json.loads(match.group())
            grades = {k: float(data[k]) for k in ("faithful", "correct")}
        except (ValueError, KeyError, TypeError):
            continue
        if all(0.0 <= v <= 1.0 for v in grades.values()):
            return {
                "judge_faithfulness": grades["faithful"],
                "judge_correctness": grades["correct"],
            }
    return None
