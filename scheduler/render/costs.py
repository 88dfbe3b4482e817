"""What an operation of a template will build, estimated before it runs and charged to the
text's ``Budget``.

Most operations build about as much as they are given, and the sandbox charges for what they
return. These are the ones that can build far more from a few characters: a repeat, a
padding width, a format's width or precision, a join of many long texts, a replace of the
empty string. Their cost is worked out from the arguments, so that ``'x' * 10**9`` is
refused before a gigabyte is asked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from string import Formatter
from typing import Any

from jinja2.filters import make_attrgetter
from jinja2.utils import pass_environment

from scheduler.render.budgets import Budget, TooExpensive

_HUGE = 10**9  # stands for any width written with more digits than a text could need


def _count(digits: str) -> int:
    return int(digits) if len(digits) <= 9 else _HUGE


def _arg(args: tuple[Any, ...], kwargs: Mapping[str, Any], i: int, name: str, default: Any) -> Any:
    return args[i] if len(args) > i else kwargs.get(name, default)


def _whole(value: Any) -> int:
    """A width or count as given, or 0 when it is not a number (the call then fails itself)."""
    return value if isinstance(value, int) else 0


# --- estimates of what an operation builds ---------------------------------------------------

_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?.")
_DIGITS = re.compile(r"\d+")


def percent_cost(budget: Budget, fmt: str | bytes, values: Any) -> int:
    """What ``fmt % values`` builds: the format, each width and precision, the values."""
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    items = list(values.values()) if isinstance(values, Mapping) else values
    items = list(items) if isinstance(items, tuple) else [items]
    total = len(text) + budget.size(tuple(items))
    for m in _PERCENT.finditer(text):
        for group in m.groups():
            if group == "*":
                total += sum(abs(v) for v in items if isinstance(v, int))
            elif group:
                total += _count(group)
    return total


def format_cost(budget: Budget, fmt: str, args: Iterable[Any]) -> int:
    """What ``fmt.format(*args)`` builds: the format, each width and precision, the values."""
    total = len(fmt) + budget.size(tuple(args))
    try:
        fields = list(Formatter().parse(fmt))
    except ValueError:
        return total  # the call reports the broken format itself
    for _, _, spec, _ in fields:
        if not spec:
            continue
        if "{" in spec:
            # A width taken from a value could be anything; campaign texts write numbers.
            raise TooExpensive(
                "memory", "a format width taken from a value", "write the width as a number"
            )
        total += sum(_count(d) for d in _DIGITS.findall(spec))
    return total


def replace_cost(text: Any, old: Any, new: Any, count: Any) -> int:
    if not isinstance(text, str | bytes) or not isinstance(new, str | bytes):
        return 0
    try:
        times = text.count(old) if old else len(text) + 1
    except TypeError:
        return 0
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * len(new)


def join_cost(budget: Budget, separator: Any, items: list[Any]) -> int:
    return budget.size(items) + budget.size(separator) * len(items)


def _is_repeatable(value: Any) -> bool:
    return isinstance(value, str | bytes | list | tuple)


def binop_cost(budget: Budget, op: str, left: Any, right: Any) -> None:
    ints = isinstance(left, int) and isinstance(right, int)
    if op == "*":
        if ints:
            budget.number(left.bit_length() + right.bit_length())
        elif _is_repeatable(left) and isinstance(right, int):
            budget.charge(len(left) * right)
        elif isinstance(left, int) and _is_repeatable(right):
            budget.charge(left * len(right))
    elif op == "**":
        if ints and right > 0 and abs(left) > 1:
            budget.number(left.bit_length() * right)
    elif op == "+":
        if ints:
            budget.number(max(left.bit_length(), right.bit_length()) + 1)
        elif _is_repeatable(left) and _is_repeatable(right):
            budget.charge(len(left) + len(right))
    elif op == "%" and isinstance(left, str | bytes):
        budget.charge(percent_cost(budget, left, right))
    budget.tick()


_PADDING = frozenset({"ljust", "rjust", "center", "zfill"})


def call_cost(
    budget: Budget, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """Charge what calling ``func`` will build; returns the arguments to call it with (an
    iterator to be joined is read first, so that its size is known)."""
    target = getattr(func, "__wrapped__", func)  # the sandbox wraps str.format
    owner = getattr(target, "__self__", None)
    name = getattr(target, "__name__", "")
    if isinstance(owner, str | bytes | bytearray):
        if name in _PADDING:
            budget.charge(len(owner) + _whole(_arg(args, kwargs, 0, "width", 0)))
        elif name == "expandtabs":
            tab = _whole(_arg(args, kwargs, 0, "tabsize", 8))
            budget.charge(len(owner) * max(tab, 1))
        elif name == "replace":
            count = _arg(args, kwargs, 2, "count", -1)
            budget.charge(replace_cost(owner, args[0], args[1], count) if len(args) >= 2 else 0)
        elif name == "join" and args:
            items = budget.collect(args[0])
            budget.charge(join_cost(budget, owner, items))
            return (items, *args[1:])
        elif name == "format" and isinstance(owner, str):
            budget.charge(format_cost(budget, owner, [*args, *kwargs.values()]))
        elif name == "format_map" and isinstance(owner, str) and args:
            values = args[0].values() if isinstance(args[0], Mapping) else []
            budget.charge(format_cost(budget, owner, values))
        elif name == "translate" and args and isinstance(args[0], Mapping):
            longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
            budget.charge(len(owner) * longest)
    elif isinstance(owner, int) and name == "to_bytes":
        budget.charge(_whole(_arg(args, kwargs, 0, "length", 1)))
    return args


# --- filters ---------------------------------------------------------------------------------
# Each filter's value and arguments are charged before it runs (see the sandbox); these are
# the filters that can build much more than they are given.

_Estimate = Callable[[Budget, Any, tuple[Any, ...], dict[str, Any]], Any]


def _center(budget: Budget, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    budget.charge(budget.size(value) + _whole(_arg(args, kwargs, 0, "width", 80)))
    return value


def _indent(budget: Budget, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    width = _arg(args, kwargs, 0, "width", 4)
    step = len(width) if isinstance(width, str) else _whole(width)
    budget.charge((str(value).count("\n") + 1) * step)
    return value


def _format(budget: Budget, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    budget.charge(percent_cost(budget, str(value), kwargs or args))
    return value


def _join(budget: Budget, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    items = budget.collect(value)
    budget.charge(join_cost(budget, _arg(args, kwargs, 0, "d", ""), items))
    return items


def _join_and(budget: Budget, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    items = budget.collect(value)
    budget.charge(join_cost(budget, ", ", items))
    return items


def _replace(budget: Budget, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    old, new = _arg(args, kwargs, 0, "old", ""), _arg(args, kwargs, 1, "new", "")
    budget.charge(replace_cost(str(value), str(old), str(new), _arg(args, kwargs, 2, "count", -1)))
    return value


def _slice(budget: Budget, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    budget.charge(_whole(_arg(args, kwargs, 0, "slices", 0)))
    return value


def _batch(budget: Budget, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if _arg(args, kwargs, 1, "fill_with", None) is not None:
        budget.charge(_whole(_arg(args, kwargs, 0, "linecount", 0)))
    return value


def _tojson(budget: Budget, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    indent = _whole(_arg(args, kwargs, 0, "indent", 0))
    budget.charge(budget.size(value) * (1 + max(indent, 0)))
    return value


def _times(factor: int) -> _Estimate:
    def estimate(budget: Budget, value: Any, args: tuple[Any, ...], kw: dict[str, Any]) -> Any:
        budget.charge(budget.size(value) * factor)
        return value

    return estimate


ESTIMATES: dict[str, _Estimate] = {
    "center": _center,
    "indent": _indent,
    "format": _format,
    "join": _join,
    "join_and": _join_and,
    "replace": _replace,
    "slice": _slice,
    "batch": _batch,
    "tojson": _tojson,
    "string": _times(1),
    "pprint": _times(2),
    "escape": _times(6),  # '"' becomes '&#34;'
    "e": _times(6),
    "forceescape": _times(6),
    "urlencode": _times(12),  # a four-byte character as %XX four times
}


@pass_environment
def add_numbers(environment: Any, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    """The ``sum`` filter for numbers only: summing lists or texts takes time that grows with
    the square of their length, all of it inside one call that no budget could stop."""
    if attribute is not None:
        iterable = map(make_attrgetter(environment, attribute), iterable)
    values = list(iterable)
    for value in [start, *values]:
        if not isinstance(value, int | float):
            raise TooExpensive(
                "time", "sum of something other than numbers", "join texts with join"
            )
    total = start
    for value in values:
        total = total + value
    return total
