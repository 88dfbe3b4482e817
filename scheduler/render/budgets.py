"""What one text's template may spend: its own size, call depth, values built, output, loop
iterations, size of numbers, and time.

A campaign file is input from anyone who can edit it, and every command renders it (check,
preview, lint, the review pages, the daemon). So a template that recurses, builds a gigabyte
or loops forever must end in a problem at its file and line, quickly and in bounded memory.
The sandbox (``scheduler.render.sandbox``) charges a ``Budget`` for everything a template
does and estimates, before the work is done, the size of anything that could be large; the
budget raises ``TooExpensive`` once a limit is passed.

Sizes are counted in characters of text or items of a list (roughly what ``str()`` of a
value would take), whichever the value is made of. The built limit is cumulative over one
text: it bounds the memory and, with the loop limit, the work of a render.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2.utils import Namespace


@dataclass(frozen=True)
class Limits:
    source: int = 20_000  # characters of one template (compiling takes about 7 us each)
    depth: int = 32  # snippets, macros, includes and recursive loops inside one another
    output: int = 100_000  # characters of one rendered text (every platform takes far fewer)
    built: int = 1_000_000  # characters or items built while rendering one text
    loops: int = 100_000  # loop iterations in one text, nested loops multiplied
    int_bits: int = 100_000  # the largest number (about 30,000 digits)
    seconds: float = 1.0  # rendering one text
    total_seconds: float = 5.0  # rendering every text of a campaign


class TooExpensive(Exception):
    """A template passed one of its budgets."""

    def __init__(self, budget: str, detail: str, hint: str) -> None:
        super().__init__(f"template too expensive: {detail} ({budget} budget)")
        self.message = str(self)
        self.hint = hint


def too_deep(limit: int) -> TooExpensive:
    return TooExpensive(
        "recursion",
        f"snippets, macros, includes or recursive loops nest more than {limit} deep",
        "a snippet or macro probably uses itself; make sure the nesting ends",
    )


def too_long(size: int, limit: int) -> TooExpensive:
    return TooExpensive(
        "size",
        f"the template is {size:,} characters long, more than {limit:,}",
        "shorten it; a post is far shorter",
    )


def too_slow_together(total: float) -> TooExpensive:
    return TooExpensive(
        "time",
        f"the campaign's texts took more than {total:g} s in all",
        "simplify the templates: fewer loops, smaller values",
    )


def too_big(limit: int) -> TooExpensive:
    return TooExpensive(
        "memory",
        f"it builds more than {limit:,} characters or items",
        "repeat, pad or join less text, or loop over fewer items",
    )


# The time of a render is the CPU time of the thread rendering: the work the template does,
# the same on a busy machine as on an idle one, and not counting a process stopped or swapped.
cpu_time = time.thread_time

# Reading the clock costs about a microsecond, so it is read once per this much work: a step
# of a template, or a thousand characters or items handled.
_WORK_PER_READING = 32


class Budget:
    """The spending of one text's render; shared by the snippets and macros it calls."""

    def __init__(
        self,
        limits: Limits,
        seconds: Callable[[], float] = cpu_time,
        time_left: float | None = None,
    ) -> None:
        """``time_left``: what remains of the campaign's ``total_seconds``."""
        self.limits = limits
        self.seconds = seconds
        self.started = seconds()
        self.whole_campaign = time_left is not None and time_left < limits.seconds
        allowance = time_left if time_left is not None and self.whole_campaign else limits.seconds
        self.deadline = self.started + allowance
        self.depth = 0
        self.built = 0
        self.iterations = 0
        self.work = 0

    def tick(self, work: int = 1) -> None:
        self.work += work
        if self.work < _WORK_PER_READING:
            return
        self.work = 0
        if self.seconds() > self.deadline:
            if self.whole_campaign:
                raise too_slow_together(self.limits.total_seconds)
            raise TooExpensive(
                "time",
                f"rendering took more than {self.limits.seconds:g} s",
                "simplify the template: fewer loops, smaller values",
            )

    def elapsed(self) -> float:
        return self.seconds() - self.started

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.limits.depth:
            raise too_deep(self.limits.depth)
        self.tick()

    def leave(self) -> None:
        self.depth -= 1

    def charge(self, size: int) -> None:
        """Count ``size`` more characters or items built; call it before building them."""
        self.built += max(size, 0)
        if self.built > self.limits.built:
            raise too_big(self.limits.built)
        self.tick(1 + size // 1000)

    def room(self) -> int:
        return self.limits.built - self.built

    def size(self, value: Any) -> int:
        """About ``len(str(value))``, counted only as far as matters: just past the room left.
        Give several values as one tuple, so that they are counted together."""
        return measure(value, self.room() + 1)

    def made(self, value: Any) -> Any:
        """Charge for a value just built; an iterator is charged item by item as it is used."""
        if isinstance(value, Iterator):
            return self.stream(value)
        self.charge(self.size(value))
        return value

    def stream(self, items: Iterator[Any]) -> Iterator[Any]:
        for item in items:
            self.charge(self.size(item))
            yield item

    def iterate(self, items: Iterable[Any]) -> Iterator[Any]:
        """``items`` for a loop, counting each iteration."""
        for item in items:
            self.iterations += 1
            if self.iterations > self.limits.loops:
                raise TooExpensive(
                    "loop",
                    f"loops run more than {self.limits.loops:,} times",
                    "loop over fewer items, or nest fewer loops",
                )
            self.tick()
            yield item

    def collect(self, items: Iterable[Any]) -> list[Any]:
        """``items`` as a list, charged for as it grows."""
        if isinstance(items, list | tuple):
            self.charge(len(items))
            return list(items)
        out: list[Any] = []
        for item in items:
            self.charge(1)
            out.append(item)
        return out

    def number(self, bits: int) -> None:
        if bits > self.limits.int_bits:
            raise TooExpensive(
                "number",
                f"a number of more than {self.limits.int_bits:,} bits",
                "use smaller numbers",
            )
        self.tick()

    def wrote(self, total: int) -> None:
        if total > self.limits.output:
            raise TooExpensive(
                "output",
                f"the text is longer than {self.limits.output:,} characters",
                "a post is far shorter; check loops and repeated snippets",
            )


def measure(value: Any, limit: int) -> int:
    """About ``len(str(value))``, counted without building it; stops once past ``limit``, so
    it costs at most ``limit`` steps even for a list holding one long text many times."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        v = stack.pop()
        if isinstance(v, str | bytes | bytearray):
            total += len(v) + 2
        elif isinstance(v, bool) or v is None:
            total += 5
        elif isinstance(v, int):
            total += v.bit_length() * 3 // 10 + 2
        elif isinstance(v, Mapping):
            total += 2 + 4 * len(v)
            if total <= limit:
                stack.extend(v.keys())
                stack.extend(v.values())
        elif isinstance(v, range):
            total += 24
        elif isinstance(v, Collection):
            total += 2 + 2 * len(v)
            if total <= limit:
                stack.extend(v)
        elif isinstance(v, Namespace):
            total += 12
            # Its attributes show in str(); it answers attribute lookups from them, so its
            # own storage is read past that.
            stack.append(object.__getattribute__(v, "__dict__"))
        else:
            total += 24
    return total


active: ContextVar[Budget | None] = ContextVar("template_budget", default=None)
