"""Request-shaped numbers are bounded at the edge (reliability round three, item 2): a
crafted k or page number gets a clear error, never a whole-store computation."""

from __future__ import annotations

import math

import pytest
from test_pipeline_fast import assistant  # noqa: F401 - the fast tier's store fixture

from rag.answer.assistant import Assistant
from rag.errors import InputError
from rag.options import MAX_K, bounded_int


@pytest.mark.parametrize("value", [1_000_000, math.inf, -math.inf, math.nan, 0, -3, 2.5, "x", None])
def test_out_of_range_or_not_a_whole_number_is_refused(value: object) -> None:
    with pytest.raises(InputError, match="k: must be a whole number from 1 to 50"):
        bounded_int(value, "k", 1, MAX_K)


def test_whole_numbers_in_range_pass_even_as_floats() -> None:
    assert bounded_int(5, "k", 1, MAX_K) == 5
    assert bounded_int(5.0, "k", 1, MAX_K) == 5
    assert bounded_int("7", "k", 1, MAX_K) == 7


@pytest.mark.parametrize("k", [1_000_000, math.inf])
def test_the_python_api_refuses_a_huge_k(assistant: Assistant, k: float) -> None:  # noqa: F811
    with pytest.raises(InputError, match="k: must be a whole number"):
        assistant.ask("what did Erdogan demand?", k=k)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="k: must be a whole number"):
        assistant.evidence("what did Erdogan demand?", k=k)  # type: ignore[arg-type]
    assert assistant.ask("what did Erdogan demand?", k=50).passages


def test_a_crafted_page_number_is_refused_and_a_large_one_clamped() -> None:
    from webui.articles import page_of

    with pytest.raises(InputError, match="page"):
        page_of([], math.inf)
    assert page_of([], 7)[1:] == (1, 1)  # past the last page: the last page
