"""The Jinja2 sandbox of campaign texts, made to keep within a ``Budget``.

Jinja2's sandbox stops templates from reaching Python internals, not from spending the
machine. Here every way a template can do much work passes the budget first:

- calls (functions, methods, macros, snippets, recursive loops) count their nesting, and the
  methods that can build large values from small arguments (``ljust``, ``replace``, ``join``,
  ``format``, ``to_bytes`` ...) are estimated before they run;
- the arithmetic operators are intercepted: ``'x' * n`` and ``[1] * n`` are charged before
  they are built, ``**`` and ``*`` on integers are held to a number of bits;
- every filter is wrapped the same way, with estimates for those that pad, repeat or join
  (the estimates are in ``scheduler.render.costs``);
- the compiler is extended so that every ``for`` loop counts its iterations, ``~`` and
  slices charge for what they build, comparisons and tests count as steps of work and
  ``include`` counts as nesting;
- everything written is charged, and the rendered text is streamed and stopped at its limit.

The environment is immutable (no ``append`` or ``update`` on lists and dicts), so a value can
only grow through the operations above.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any, cast

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Template
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_context

from scheduler.render.budgets import (
    Budget,
    Limits,
    TooExpensive,
    active,
    cpu_time,
    too_long,
    too_slow_together,
)
from scheduler.render.costs import ESTIMATES, add_numbers, binop_cost, call_cost


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

    def check_source(self, source: str) -> None:
        if len(source) > self.limits.source:
            raise too_long(len(source), self.limits.source)

    def from_text(self, source: str) -> Template:
        """A campaign text compiled. Compiling cannot be stopped half way, so the size of each
        template is bounded and the time spent counts towards the campaign's total."""
        self.check_source(source)
        if self.time_left <= 0:
            raise too_slow_together(self.limits.total_seconds)
        started = self.seconds()
        try:
            return self.from_string(source)
        finally:
            self.time_left -= self.seconds() - started

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
