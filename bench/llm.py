"""The LLM answer on this machine: time to first word and whole answer, beside the extractive
answer to the same questions, in one run (goal on a CPU: first word <= 15 s, answer <= 30 s
at p50).

    .venv/bin/rag llm serve --port 8080 &      # or any OpenAI-compatible endpoint
    RAG_LLM_BASE_URL=http://127.0.0.1:8080/v1 .venv/bin/python bench/llm.py [--rounds 1]

The store holds the sample articles without the English Karabakh article, so the English
questions about Erdogan and Aliyev are answered from the Arabic one. Per question and
round: the extractive answer's time, the LLM's status line (retrieval and the evidence
check), its first word and its whole answer, the prompt's tokens (counted by a llama.cpp
server's /tokenize, when it has one), the answer's mode and language and the passages it
cites.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from ingest.pipeline import Ingestor  # noqa: E402
from rag.answer.result import Answer, Status  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.text.analysis import script_language  # noqa: E402
from rag.wiring import Parts  # noqa: E402

sys.path.insert(0, str(_HERE))
from common import REPO, median, print_table  # noqa: E402

HEADER = ["question", "extractive", "status", "first word", "answer", "prompt tok", "mode",
          "lang", "cited"]  # fmt: skip
QUESTIONS = [
    "what did Erdogan demand?",  # English over the Arabic article
    "ماذا طالب أردوغان؟",
    "What condition did Aliyev set for stopping the fighting?",
    "Who did Putin speak with by telephone?",
    "How much electricity will the solar plant produce?",
    "Who won the 2018 World Cup?",  # not in the articles: "not found", the LLM is not asked
]


def prompt_tokens(base_url: str, text: str) -> int | None:
    """Tokens of `text` by the server's tokenizer (llama.cpp's /tokenize), if it has one."""
    import httpx

    root = base_url.rstrip("/").removesuffix("/v1")
    try:
        reply = httpx.post(f"{root}/tokenize", json={"content": text}, timeout=10)
        return len(reply.json()["tokens"]) if reply.status_code == 200 else None
    except (httpx.HTTPError, ValueError, KeyError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    base_url = os.environ.get("RAG_LLM_BASE_URL")
    if not base_url:
        raise SystemExit("set RAG_LLM_BASE_URL to the LLM endpoint (e.g. rag llm serve's)")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "articles"
        shutil.copytree(REPO / "samples" / "articles", corpus)
        (corpus / "karabakh-ceasefire-en.md").unlink()
        os.environ["RAG_DATA_DIR"] = str(Path(tmp) / "data")
        parts = Parts(load_settings())
        Ingestor.from_parts(parts).run([corpus])
        assistant, chat_model = parts.assistant, parts.chat_model
        if chat_model is None:
            raise SystemExit("no LLM configured")
        chat_model.identify()
        sent: list[str] = []
        replies: list[str] = []
        stream = chat_model.stream

        def recording(messages):  # type: ignore[no-untyped-def]
            # A fresh mark first, so that no server-side prompt cache (llama.cpp keeps
            # recent prompts) makes a repeated question look fast: every prompt is cold.
            first = {
                **messages[0],
                "content": f"[run {uuid.uuid4().hex[:8]}] " + messages[0]["content"],
            }
            messages = [first, *messages[1:]]
            sent.append("\n".join(m["content"] for m in messages))
            for delta in stream(messages):
                replies[-1] += delta
                yield delta

        chat_model.stream = recording  # type: ignore[method-assign]
        rows, ttft, total, extractive = [], [], [], []
        for _ in range(args.rounds):
            for question in QUESTIONS:
                start = time.perf_counter()
                assistant.ask(question, mode="extractive")
                extractive.append(time.perf_counter() - start)
                sent.clear()
                replies.append("")
                start = time.perf_counter()
                status = first = None
                answer: Answer | None = None
                for item in assistant.ask_stream(question, mode="llm"):
                    now = time.perf_counter() - start
                    if isinstance(item, Status) and status is None:
                        status = now
                    elif isinstance(item, str) and item and first is None:
                        first = now
                    elif isinstance(item, Answer):
                        answer = item
                end = time.perf_counter() - start
                assert answer is not None
                asked = status is not None
                if asked:
                    ttft.append(first if first is not None else end)
                    total.append(end)
                tokens = prompt_tokens(base_url, sent[0]) if sent else None
                rows.append(
                    [
                        question[:40],
                        f"{extractive[-1]:.1f}",
                        f"{status:.1f}" if status is not None else "-",
                        f"{first:.1f}" if asked and first is not None else "-",
                        f"{end:.1f}",
                        str(tokens or "-"),
                        answer.mode,
                        script_language(answer.text) if answer.mode == "llm" else "-",
                        ",".join(str(c.n) for c in answer.citations) or "-",
                    ]
                )
                print(f"{question}\n  LLM: {replies[-1].strip() or '-'}\n  -> [{answer.mode}] "
                      f"{answer.text}", file=sys.stderr)  # fmt: skip
        print_table(
            f"LLM answers ({chat_model.model}), seconds; sample articles minus the "
            "English Karabakh one",
            HEADER,
            rows,
        )
        if total:
            p50 = median(extractive)
            print(
                f"p50 over the {len(total)} answers the LLM wrote: first word "
                f"{median(ttft):.1f} s, whole answer {median(total):.1f} s; extractive "
                f"{p50:.2f} s (LLM answer / extractive = {median(total) / p50:.0f}x)"
            )


if __name__ == "__main__":
    main()
