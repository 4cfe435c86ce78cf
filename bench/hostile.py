"""Crafted input vs ordinary text through the readers, cleaners and sentence splitter, at two sizes.

    .venv/bin/python bench/hostile.py [--sizes 250000,1000000]

Prints seconds per case and size, the growth from the small size to the large one (linear
code grows by the size ratio, quadratic code by its square) and the ratio to ordinary text
of the same size, measured side by side in one run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

# bench/ingest.py is named like the `ingest` package: import the package without this
# directory on the path.
_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from ingest.clean import clean_text, html_to_text  # noqa: E402
from ingest.formats import parse_markdown  # noqa: E402
from rag.text.safe import plain_field, repaired  # noqa: E402
from rag.text.sentences import split_sentences  # noqa: E402

ABBREVIATED = "The U.S. envoy met Mr. Smith. Prof. Ali said No. 5 was next! "

CASES: dict[str, Callable[[int], object]] = {
    "ordinary text (baseline)": lambda n: clean_text(("A line of news text. " * (n // 21)) + "."),
    "trailing blanks": lambda n: clean_text("a" + " " * n + "b"),
    "markdown title of #s": lambda n: list(parse_markdown("# " + "#" * n + "x\n\nbody")),
    "markdown title of blanks": lambda n: list(parse_markdown("# a" + " \t" * (n // 2) + "b\n\n")),
    "ordinary html (baseline)": lambda n: html_to_text("<p>Some news text.</p>" * (n // 22)),
    "unclosed comments": lambda n: html_to_text("<p>x</p>" + "<!--" * (n // 4)),
    "marked sections": lambda n: html_to_text("<p>x</p>" + "<![" * (n // 3)),
    "unclosed tags": lambda n: html_to_text("<p>x</p>" + "<a" * (n // 2)),
    "sentences (baseline)": lambda n: split_sentences("A line of news text. " * (n // 21)),
    "sentences, abbreviations": lambda n: split_sentences(ABBREVIATED * (n // len(ABBREVIATED))),
    "field (baseline)": lambda n: plain_field("Ministry of Energy " * (n // 19)),
    "field, ESC sequences": lambda n: plain_field("\x1b[2J\x1b[1A" * (n // 8)),
    "field, unterminated ESC": lambda n: plain_field("\x1b[" * (n // 2)),
    "field, bidi controls": lambda n: plain_field("\u202e\u2066a" * (n // 3)),
    "text, lone surrogates": lambda n: repaired("a\ud800" * (n // 2)),
}


def timed(fn: Callable[[int], object], n: int) -> float:
    start = time.perf_counter()
    fn(n)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250000,1000000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    small, large = sizes[0], sizes[-1]
    print(f"{'case':28s} " + " ".join(f"{s:>10,d} ch" for s in sizes) + "   growth")
    for name, fn in CASES.items():
        seconds = {n: timed(fn, n) for n in sizes}
        growth = seconds[large] / max(seconds[small], 1e-6)
        cells = " ".join(f"{seconds[n]:10.3f} s " for n in sizes)
        print(f"{name:28s} {cells}  {growth:5.1f}x (size x{large / small:.0f})")


if __name__ == "__main__":
    main()
