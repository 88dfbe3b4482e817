"""The estimates of what an operation builds, before it runs: at least what it builds."""

from __future__ import annotations

from typing import Any

import pytest

from scheduler.render.budgets import Budget, Limits, TooExpensive
from scheduler.render.costs import format_cost, percent_cost, replace_cost


def _budget() -> Budget:
    return Budget(Limits())


@pytest.mark.parametrize(
    ("fmt", "values"),
    [
        ("%s and %s", ("a", "b")),
        ("%05d", 7),
        ("%-12s|", "x"),
        ("%.8f", 1.5),
        ("%*d", (20, 1)),
        ("%(name)s!", {"name": "Lou"}),
        ("%%", ()),
    ],
)
def test_percent_cost_covers_the_result(fmt: str, values: Any) -> None:
    assert percent_cost(_budget(), fmt, values) >= len(fmt % values)


@pytest.mark.parametrize(
    ("fmt", "args"),
    [
        ("{} and {}", ("a", "b")),
        ("{:>12}", ("x",)),
        ("{0:08.3f}", (1.5,)),
        ("{:^30}", ("mid",)),
    ],
)
def test_format_cost_covers_the_result(fmt: str, args: tuple[Any, ...]) -> None:
    assert format_cost(_budget(), fmt, args) >= len(fmt.format(*args))


def test_a_width_from_a_value_is_refused() -> None:
    with pytest.raises(TooExpensive):
        format_cost(_budget(), "{:{}}", (1, 5))


@pytest.mark.parametrize(
    ("text", "old", "new", "count"),
    [
        ("banana", "a", "oo", -1),
        ("banana", "", "-", -1),
        ("banana", "a", "xyz", 1),
        ("banana", "q", "xyz", -1),
    ],
)
def test_replace_cost_covers_the_result(text: str, old: str, new: str, count: int) -> None:
    assert replace_cost(text, old, new, count) >= len(text.replace(old, new, count))


@pytest.mark.parametrize(
    ("fmt", "width"),
    [("%9999999999d", 10**9), ("{:>9999999999}", 10**9)],
)
def test_widths_too_long_to_read_count_as_huge(fmt: str, width: int) -> None:
    cost = percent_cost(_budget(), fmt, 1) if "%" in fmt else format_cost(_budget(), fmt, (1,))
    assert cost >= width
