"""The Jinja2 sandbox of campaign texts, made to keep within a ``Budget``.

Jinja2's sandbox stops templates from reaching Python internals, not from spending the
machine. Here every way a template can do much work passes the budget first:

- calls (functions, methods, macros, snippets, recursive loops) count their nesting, and the
  methods that can build large values from small arguments (``ljust``, ``replace``, ``join``,
  ``format``, ``to_bytes`` ...) are estimated before they run;
- the arithmetic operators are intercepted: ``'x' * n`` and ``[1] * n`` are charged before
  they are built, ``**`` and ``*`` on integers are held to a number of bits;
- every filter is wrapped the same way, with estimates for those that pad, repeat or join;
- the compiler is extended so that every ``for`` loop counts its iterations, ``~`` and
  slices charge for what they build, comparisons and tests count as steps of work and
  ``include`` counts as nesting;
- everything written is charged, and the rendered text is streamed and stopped at its limit.

The environment is immutable (no ``append`` or ``update`` on lists and dicts), so a value can
only grow through the operations above.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from string import Formatter
from typing import Any, cast

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Template
from jinja2.filters import make_attrgetter
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_context, pass_environment

from scheduler.render.budgets import Budget, Limits, TooExpensive, active, cpu_time

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

_Estimate = Callable[[Budget, Any, tuple[Any, ...], dict[str, Any]], Any]


def _text_in(budget: Budget, value: Any) -> int:
    size = budget.size(value)
    budget.charge(size)
    return size


def _center(budget: Budget, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    budget.charge(_text_in(budget, value) + _whole(_arg(args, kwargs, 0, "width", 80)))
    return value


def _indent(budget: Budget, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    _text_in(budget, value)
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
    _text_in(budget, value)
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


def _before(func: Callable[..., Any], context: Context) -> tuple[Any, ...]:
    """The argument Jinja2 would pass a filter before its value (context, environment ...)."""
    kind = getattr(getattr(func, "jinja_pass_arg", None), "name", None)
    if kind == "context":
        return (context,)
    if kind == "eval_context":
        return (context.eval_ctx,)
    if kind == "environment":
        return (context.environment,)
    return ()


@pass_environment
def add_numbers(environment: Any, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    """The ``sum`` filter for numbers only: summing lists or texts takes time that grows with
    the square of their length, all of it inside one call that no budget could stop."""
    if attribute is not None:
        iterable = map(make_attrgetter(environment, attribute), iterable)
    values = list(iterable)
    for value in [start, *values]:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TooExpensive(
                "time", "sum of something other than numbers", "join texts with join"
            )
    total = start
    for value in values:
        total = total + value
    return total


# --- the compiler ----------------------------------------------------------------------------


def _counted(node: nodes.Node) -> nodes.Node:
    """``node`` as the iterable of a loop, counted by the budget."""
    hook = nodes.EnvironmentAttribute("loop_items", lineno=node.lineno)
    if isinstance(node, nodes.Call) and node.node == hook:
        return node
    return nodes.Call(hook, [node], [], None, None, lineno=node.lineno)


class BudgetedCodeGenerator(CodeGenerator):
    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        node.iter = _counted(node.iter)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.concatenated((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_Getitem(self, node: nodes.Getitem, frame: Frame) -> None:
        if not isinstance(node.arg, nodes.Slice):
            super().visit_Getitem(node, frame)
            return
        # Jinja2 slices without asking the environment; a slice can copy the whole value.
        self.write("environment.sliced(")
        self.visit(node.node, frame)
        self.write(")[")
        self.visit(node.arg, frame)
        self.write("]")

    # Comparisons and tests build nothing, but 'in' or '==' on long values take time.
    def visit_Compare(self, node: nodes.Compare, frame: Frame) -> None:
        self.write("environment.ticked(")
        super().visit_Compare(node, frame)
        self.write(")")

    def visit_Test(self, node: nodes.Test, frame: Frame) -> None:
        self.write("environment.ticked(")
        super().visit_Test(node, frame)
        self.write(")")

    def visit_Include(self, node: nodes.Include, frame: Frame) -> None:
        self.writeline("environment.nest_in()")
        super().visit_Include(node, frame)
        self.writeline("environment.nest_out()")


class BudgetedTemplate(Template):
    def render(self, *args: Any, **kwargs: Any) -> str:
        """Render within a fresh budget, or within the budget of the text that is rendering
        this one (a snippet)."""
        if active.get() is not None:
            return super().render(*args, **kwargs)
        env = self.environment
        assert isinstance(env, BudgetedEnvironment)
        budget = Budget(env.limits, env.seconds, env.time_left)
        token = active.set(budget)
        try:
            out: list[str] = []
            total = 0
            chunks = cast(Generator[str, None, None], self.generate(*args, **kwargs))
            for chunk in chunks:
                total += len(chunk)
                try:
                    budget.wrote(total)
                except TooExpensive as exc:
                    chunks.throw(exc)  # raised where the template wrote it: the problem's line
                    raise
                out.append(chunk)
            return "".join(out)
        finally:
            active.reset(token)
            env.time_left -= budget.elapsed()


_INTERNAL_KWARGS = frozenset({"_loop_vars", "_block_vars"})  # Jinja2's, stripped by its call


class BudgetedEnvironment(ImmutableSandboxedEnvironment):
    code_generator_class = BudgetedCodeGenerator
    template_class = BudgetedTemplate
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def __init__(
        self,
        limits: Limits | None = None,
        seconds: Callable[[], float] = cpu_time,
        **options: Any,
    ) -> None:
        super().__init__(finalize=self.written, **options)
        self.limits = limits or Limits()
        self.seconds = seconds
        self.time_left = self.limits.total_seconds  # of the texts rendered here, together
        self.globals.pop("lipsum", None)  # placeholder text has no place in a post
        self.globals["range"] = self.counted_range
        self.filters["sum"] = add_numbers
        for name, func in list(self.filters.items()):
            self.add_filter(name, func)

    def current(self) -> Budget:
        """The budget of the text being rendered; outside a render (constants folded while
        compiling) a fresh one, so that each operation is still held to the limits."""
        return active.get() or Budget(self.limits, self.seconds)

    def add_filter(self, name: str, func: Callable[..., Any]) -> None:
        estimate = ESTIMATES.get(name)

        # pass_context also keeps Jinja2 from running the filter at compile time.
        @pass_context
        def guarded(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
            budget = self.current()
            # What a filter reads counts as well (a campaign variable may be megabytes long),
            # which also bounds what an estimate below may turn into text to look at.
            budget.charge(budget.size((value, args, kwargs)))
            if estimate is not None:
                value = estimate(budget, value, args, kwargs)
            return budget.made(func(*_before(func, context), value, *args, **kwargs))

        guarded.__name__ = name
        self.filters[name] = guarded

    # -- hooks the sandbox and the compiled templates call --

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        if obj == self.loop_items:  # put there by the compiler, not by the text
            return self.loop_items(*args)
        budget = self.current()
        if isinstance(obj, LoopContext) and args:  # a recursive loop's next level
            args = (budget.iterate(args[0]), *args[1:])
        given = {k: v for k, v in kwargs.items() if k not in _INTERNAL_KWARGS}
        args = call_cost(budget, obj, args, given)
        budget.enter()
        try:
            result = super().call(context, obj, *args, **kwargs)
        finally:
            budget.leave()
        return budget.made(result)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        binop_cost(self.current(), operator, left, right)
        return super().call_binop(context, operator, left, right)

    def written(self, value: Any) -> Any:
        budget = self.current()
        budget.charge(budget.size(value))
        return value

    def loop_items(self, items: Iterable[Any]) -> Iterator[Any]:
        return self.current().iterate(items)

    def concatenated(self, parts: tuple[Any, ...]) -> str:
        budget = self.current()
        budget.charge(budget.size(parts))
        return "".join(map(str, parts))

    def sliced(self, value: Any) -> Any:
        budget = self.current()
        if isinstance(value, str | bytes | list | tuple):
            budget.charge(len(value))
        else:
            budget.tick()
        return value

    def ticked(self, value: Any) -> Any:
        self.current().tick()
        return value

    def nest_in(self) -> None:
        self.current().enter()

    def nest_out(self) -> None:
        self.current().leave()

    def counted_range(self, *args: int) -> range:
        numbers = range(*args)
        try:
            size = len(numbers)
        except OverflowError:  # more numbers than an index can hold
            size = self.limits.loops + 1
        if size > self.limits.loops:
            raise TooExpensive(
                "loop",
                f"a range of more than {self.limits.loops:,} numbers",
                "loop over fewer numbers",
            )
        return numbers
