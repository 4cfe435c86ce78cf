"""Embedding throughput and agreement: torch fp32 vs the ONNX copies (fp32, the default on a
CPU, and int8), on the same texts.

    .venv/bin/python bench/embed.py [--passages 256] [--singles 50] [--rounds 3]

Passages are ~150-word pieces of SaudiNewsNet (Arabic) and BBC (English) articles, half
each. Every round times both engines at batch 1 (`--singles` texts, one call each) and at
batch 32 (all passages in one call), alternating which engine goes first so that noise from
other processes hits all; the table shows the medians over rounds and the ratios to torch,
and the cosine of each ONNX vector to its torch fp32 twin (mean and min).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np

from rag.embedder import Embedder
from rag.models.load import load_embedder, resolve_model_path
from rag.models.onnx_build import MARKER_NAME, ensure_onnx, ensure_onnx_int8
from rag.settings import Settings

# bench/ingest.py shadows the `ingest` package once this directory is on the path; the rag
# imports above are done, and this script never imports `ingest`.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bbc_files, median, print_table, require_data, saudi_records

WORDS = 150
PIECES_PER_ARTICLE = 2  # more articles, fewer pieces each: a wider spread of topics


def pieces(text: str, words: int = WORDS, most: int = PIECES_PER_ARTICLE) -> list[str]:
    """Consecutive `words`-word pieces of `text` (the last, shorter one only if >= half)."""
    tokens = text.split()
    out = [" ".join(tokens[i : i + words]) for i in range(0, len(tokens), words)]
    if out and len(out[-1].split()) < words // 2:
        out.pop()
    return out[:most]


def corpus(n: int) -> list[str]:
    """`n` passages, alternating Arabic and English so any prefix is balanced."""
    arabic: list[str] = []
    for rec in saudi_records(10 * n):
        arabic.extend(pieces(rec["content"]))
        if len(arabic) >= n // 2:
            break
    english: list[str] = []
    for path in bbc_files(10 * n):
        english.extend(pieces(path.read_text(encoding="utf-8", errors="replace")))
        if len(english) >= n - n // 2:
            break
    mixed = [t for pair in zip(arabic, english, strict=False) for t in pair]
    return mixed[:n]


def rate(fn: Callable[[], np.ndarray], count: int) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    vectors = fn()
    return count / (time.perf_counter() - start), vectors


def one_by_one(embedder: Embedder, texts: list[str]) -> np.ndarray:
    return np.stack([embedder.embed_documents([t])[0] for t in texts])


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=256, help="texts at batch 32")
    parser.add_argument("--singles", type=int, default=50, help="texts at batch 1")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per engine")
    args = parser.parse_args()
    require_data()

    base = Settings(batch_size=32)
    texts = corpus(args.passages)
    singles = texts[: args.singles]
    started = time.perf_counter()
    onnx_path = ensure_onnx_int8(base, resolve_model_path(base))
    build_s = time.perf_counter() - started
    ensure_onnx(base, resolve_model_path(base), "fp32")
    engines = {
        "torch fp32": load_embedder(base.model_copy(update={"embed_backend": "torch"})),
        "onnx fp32": load_embedder(base.model_copy(update={"embed_backend": "onnx"})),
        "onnx int8": load_embedder(base.model_copy(update={"embed_backend": "onnx-int8"})),
    }
    tokens = [engines["onnx int8"].count_tokens(t) for t in texts]
    for embedder in engines.values():
        embedder.batch_size = 32  # type: ignore[attr-defined]
        embedder.embed_documents(texts[:4])  # warm-up: first-call allocations, lazy init

    rates: dict[tuple[str, str], list[float]] = {}
    vectors: dict[tuple[str, str], np.ndarray] = {}
    names = list(engines)
    for r in range(args.rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            embedder = engines[name]
            for batch, fn, count in (
                ("1", lambda e=embedder: one_by_one(e, singles), len(singles)),
                ("32", lambda e=embedder: e.embed_documents(texts), len(texts)),
            ):
                value, vecs = rate(fn, count)
                rates.setdefault((name, batch), []).append(value)
                vectors[(name, batch)] = vecs
        done = ", ".join(f"{n} b{b} {v[-1]:.1f}/s" for (n, b), v in rates.items())
        print(f"round {r + 1}/{args.rounds}: {done}", file=sys.stderr, flush=True)

    marker = json.loads((onnx_path.parent / MARKER_NAME).read_text(encoding="utf-8"))
    print(
        f"\n{date.today()} · {cpu_name()} · {os.cpu_count()} cores · threads "
        f"{base.effective_threads} · torch device "
        f"{getattr(engines['torch fp32'], 'device', 'cpu')} (RAG_DEVICE={base.device}), "
        f"onnx cpu · `.venv/bin/python bench/embed.py` · {args.rounds} rounds"
    )
    n_ar = sum(1 for t in texts if any("\u0600" <= c <= "\u06ff" for c in t[:50]))
    print(
        f"{len(texts)} passages ({n_ar} Arabic, {len(texts) - n_ar} English), ~{WORDS} words, "
        f"median {int(median(tokens))} tokens; batch 1 on the first {len(singles)}"
    )
    rows = []
    onnx = ("onnx fp32", "onnx int8")
    for batch in ("1", "32"):
        t = median(rates[("torch fp32", batch)])
        got = [median(rates[(name, batch)]) for name in onnx]
        rows.append([f"texts/s, batch {batch}", f"{t:.1f}", *(f"{v:.1f}" for v in got),
                     *(f"{v / t:.2f}x" for v in got)])  # fmt: skip
    for batch in ("1", "32"):
        cos = [np.sum(vectors[("torch fp32", batch)] * vectors[(n, batch)], axis=1) for n in onnx]
        rows.append([f"cosine to torch, batch {batch} (mean / min)", "reference",
                     *(f"{c.mean():.5f} / {c.min():.5f}" for c in cos), "", ""])  # fmt: skip
    fp32_mb, int8_mb = marker["fp32_bytes"] / 2**20, marker["int8_bytes"] / 2**20
    rows.append(["model weights", f"{fp32_mb:.0f} MB", f"{fp32_mb:.0f} MB", f"{int8_mb:.0f} MB",
                 "1.00x", f"{int8_mb / fp32_mb:.2f}x"])  # fmt: skip
    print_table(
        "Embedding: torch fp32 vs the ONNX copies (medians)",
        ["measure", "torch fp32", "onnx fp32", "onnx int8", "fp32/torch", "int8/torch"],
        rows,
    )
    print(
        f"\nint8 build: export {marker['export_s']} s + quantise {marker['quantize_s']} s "
        f"(this run: {'reused' if build_s < 5 else f'built in {build_s:.0f} s'})"
    )


if __name__ == "__main__":
    main()
