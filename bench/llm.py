"""LLM answers on this machine: time to first word and whole answer, p50/p95, beside the
extractive answer to the same questions, with the answers scored as `rag eval` scores them.

    .venv/bin/rag llm serve --port 8080 &      # or any OpenAI-compatible endpoint
    RAG_LLM_BASE_URL=http://127.0.0.1:8080/v1 .venv/bin/python bench/llm.py \
        [--suite seed --suite dev-llm --suite planted --suite demo] [--style rewrite|free] \
        [--json FILE]

Suites: `seed`, `dev-llm` and `planted` (eval/suites, each in its cached eval store, k 5;
`planted` asks what its articles deny or do not give), and `demo`:
six questions over the sample articles without the English Karabakh article, so that the
English questions about Erdogan and Aliyev are answered from the Arabic one. Every question
is asked twice: extractive, then LLM (RAG_LLM_STYLE, or --style); the LLM's first word is
its first streamed text, after retrieval and the evidence check. Every prompt is cold: a
fresh mark opens the system prompt, so no server-side prompt cache makes a repeat fast.

The output names the machine (CPU, cores, memory), the served model, and whether the
machine was quiet: the share of CPU time busy over a few seconds before the run and after
it, when the LLM server is idle (nothing else running reads ~0%), and during the run the
CPU time of every process other than this one and the LLM server (sampled each second).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from rich.console import Console  # noqa: E402

from eval import scoring  # noqa: E402
from eval.metrics import latency_summary  # noqa: E402
from eval.runner import eval_settings, prepare_store  # noqa: E402
from eval.suite import Question, load_suite  # noqa: E402
from ingest.pipeline import Ingestor  # noqa: E402
from rag.answer.assistant import Assistant  # noqa: E402
from rag.answer.result import Answer, Status  # noqa: E402
from rag.settings import Settings, load_settings  # noqa: E402
from rag.text.analysis import question_language  # noqa: E402
from rag.wiring import Parts  # noqa: E402

sys.path.insert(0, str(_HERE))
from common import REPO, print_table  # noqa: E402

K = 5
DEMO = [
    "what did Erdogan demand?",  # English over the Arabic article
    "ماذا طالب أردوغان؟",
    "What condition did Aliyev set for stopping the fighting?",
    "Who did Putin speak with by telephone?",
    "How much electricity will the solar plant produce?",
    "Who won the 2018 World Cup?",  # not in the articles: "not found", the LLM is not asked
]
METRICS = (
    ("answer", "contains_answer"),
    ("answer", "f1"),
    ("answer", "answered_rate"),
    ("answer", "not_found_accuracy"),
    ("citations", "citation_precision"),
    ("citations", "claim_support_rate"),
    ("answer", "answer_language_accuracy"),
)


def cpu_busy(seconds: float = 3.0) -> float:
    """Share of all CPUs' time spent busy over `seconds` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields)

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return (busy1 - busy0) / max(1, total1 - total0)


class OtherLoad:
    """CPU seconds used by processes other than this one and the LLM server while it runs
    (from /proc, sampled each second: a process that lives under a second may be missed)."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self.used = 0.0
        self.started = time.monotonic()
        self.tick = os.sysconf("SC_CLK_TCK")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _cpu(self) -> dict[int, float]:
        out = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
                stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
            except OSError:
                continue
            if b"llm\x00serve" in cmdline or b"llama" in cmdline:
                continue
            fields = stat.rpartition(")")[2].split()
            out[int(entry.name)] = (int(fields[11]) + int(fields[12])) / self.tick
        return out

    def _run(self) -> None:
        self.seen = self._cpu()  # what ran before counts from here on
        while not self._stop.wait(1.0):
            now = self._cpu()
            self.used += sum(max(0.0, t - self.seen.get(pid, 0.0)) for pid, t in now.items())
            self.seen.update(now)

    def __enter__(self) -> OtherLoad:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.seconds = time.monotonic() - self.started

    def share(self) -> float:
        """Of all cores' time during the run, the share others used."""
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        return self.used / max(1e-9, self.seconds * (cores or 1))


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text(encoding="utf-8").split()[1]
        memory = f"{int(mem) / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        memory = "? GiB"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores, {memory}"


def cold(parts: Parts) -> None:
    """Open every prompt with a fresh mark: no server-side prompt cache helps a repeat."""
    chat_model = parts.chat_model
    assert chat_model is not None
    stream = chat_model.stream

    def marked(messages):  # type: ignore[no-untyped-def]
        first = {
            **messages[0],
            "content": f"[run {uuid.uuid4().hex[:8]}] " + messages[0]["content"],
        }
        yield from stream([first, *messages[1:]])

    chat_model.stream = marked  # type: ignore[method-assign]


def demo_questions() -> list[Question]:
    return [Question(f"demo-{i}", q, question_language(q)) for i, q in enumerate(DEMO, 1)]


def ask_timed(assistant: Assistant, question: str) -> tuple[Answer, float, float | None]:
    """(the LLM-mode answer, whole seconds, seconds to its first streamed text or None
    when the LLM was not asked)."""
    start = time.perf_counter()
    first: float | None = None
    asked = False
    answer: Answer | None = None
    for item in assistant.ask_stream(question, k=K, mode="llm"):
        if isinstance(item, Status):
            asked = True
        elif isinstance(item, str) and item and asked and first is None:
            first = time.perf_counter() - start
        elif isinstance(item, Answer):
            answer = item
    assert answer is not None
    end = time.perf_counter() - start
    return answer, end, (first if first is not None else end) if asked else None


def run_suite(name: str, settings: Settings, tmp: Path) -> dict[str, Any]:
    console = Console(stderr=True)
    if name == "demo":
        corpus = tmp / "articles"
        shutil.copytree(REPO / "samples" / "articles", corpus)
        (corpus / "karabakh-ceasefire-en.md").unlink()
        parts = Parts(settings.model_copy(update={"data_dir": tmp / "demo-data"}))
        Ingestor.from_parts(parts).run([corpus])
        questions = demo_questions()
    else:
        suite = load_suite(REPO / "eval" / "suites" / name)
        parts = Parts(eval_settings(settings, suite))
        parts.embedder  # noqa: B018 - the store checks the embedder's dimension
        prepare_store(parts, suite, console)
        questions = suite.questions
    if parts.chat_model is None:
        raise SystemExit("no LLM configured (RAG_LLM_BASE_URL, RAG_ANSWER_MODE=auto)")
    parts.chat_model.identify()
    cold(parts)
    assistant = parts.assistant
    out: dict[str, Any] = {"extractive": [], "llm": [], "first": [], "asked_extractive": []}
    for q in questions:
        start = time.perf_counter()
        plain = assistant.ask(q.question, k=K, mode="extractive")
        seconds = time.perf_counter() - start
        out["extractive"].append(scoring.score_question(q, plain, plain.passages, seconds))
        answer, whole, first = ask_timed(assistant, q.question)
        record = scoring.score_question(q, answer, answer.passages, whole)
        record["first_s"] = first
        # For reading by hand: the quotes beside what the LLM made of them.
        record["extractive_answer"] = plain.text
        record["supporting"] = {c.n: c.supporting for c in answer.citations}
        out["llm"].append(record)
        if first is not None:
            out["first"].append(first)
            out["asked_extractive"].append(seconds)
        console.print(
            f"[{answer.mode}] {first or 0:.1f}/{whole:.1f} s {q.question[:60]}\n   -> "
            f"{answer.text[:200]}",
            highlight=False,
            markup=False,
        )
    out["model"] = parts.chat_model.model
    return out


def report(name: str, style: str, out: dict[str, Any]) -> dict[str, Any]:
    """Print the suite's tables; the numbers as a dict."""
    llm, plain = out["llm"], out["extractive"]
    asked = [r for r in llm if r["first_s"] is not None]

    def lat(values: list[float]) -> str:
        s = latency_summary(values)
        return "-" if s["median_s"] is None else f"{s['median_s']:.1f} / {s['p95_s']:.1f}"

    rows = [
        ["extractive, every question", lat([r["latency_s"] for r in plain]), "-"],
        ["extractive, questions the LLM got", lat(out["asked_extractive"]), "-"],
        ["llm, every question", lat([r["latency_s"] for r in llm]), "-"],
        [
            f"llm, the {len(asked)} it was asked",
            lat([r["latency_s"] for r in asked]),
            lat([r["first_s"] for r in asked]),
        ],
    ]
    print_table(
        f"{name}: {len(llm)} questions, k {K}, style {style}, model {out['model']} "
        "(seconds, p50 / p95)",
        ["answers", "whole answer", "first word"],
        rows,
    )
    summaries = {"extractive": scoring.summarize(plain), "llm": scoring.summarize(llm)}
    table = [
        [metric, *(_fmt(summaries[mode][section][metric]) for mode in summaries)]
        for section, metric in METRICS
    ]
    print_table(f"{name}: answers scored as rag eval scores them", ["metric", *summaries], table)
    return {"latency": rows, "summary": summaries, "questions": llm}


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suite", action="append", choices=["seed", "dev-llm", "planted", "demo"])
    parser.add_argument("--style", choices=["rewrite", "free"], default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    args = parser.parse_args()
    if not os.environ.get("RAG_LLM_BASE_URL"):
        raise SystemExit("set RAG_LLM_BASE_URL to the LLM endpoint (e.g. rag llm serve's)")
    settings = load_settings()
    if args.style:
        settings = settings.model_copy(update={"llm_style": args.style})
    before = cpu_busy()
    results: dict[str, Any] = {"machine": machine(), "style": settings.llm_style}
    with tempfile.TemporaryDirectory() as tmp, OtherLoad() as others:
        for name in args.suite or ["demo", "seed", "dev-llm"]:
            results[name] = report(name, settings.llm_style, run_suite(name, settings, Path(tmp)))
            if args.json:  # after each suite: a run cut short keeps what it measured
                args.json.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    after = cpu_busy()
    during = others.share()
    quiet = max(before, after) < 0.15 and during < 0.05
    results["quiet"] = {
        "before": round(before, 3),
        "after": round(after, 3),
        "others_during": round(during, 3),
        "others_cpu_s": round(others.used, 1),
        "quiet": quiet,
    }
    print(
        f"\nmachine: {results['machine']}; CPU busy {before:.0%} before the run and {after:.0%} "
        f"after it (LLM server idle); during the run other processes used {others.used:.0f} "
        f"CPU-seconds ({during:.0%} of the cores): "
        f"{'quiet' if quiet else 'NOT quiet, other work running'}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
