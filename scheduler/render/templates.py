"""The sandboxed Jinja2 environment of campaign texts, its filters, the translation of
template errors into problems, and the direct rendering of texts that only substitute values.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jinja2 import BaseLoader, StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2 import Template as JinjaTemplate
from jinja2.utils import pass_context

from scheduler.render.budgets import Limits, TooExpensive, cpu_time
from scheduler.render.sandbox import BudgetedEnvironment

TEMPLATE_MARKS = ("{{", "{%", "{#")
# Names whose value differs per account; ``story`` gives the address of a post on the draft's
# own account where that post goes there too.
ACCOUNT_NAMES = frozenset({"account", "platform", "story"})


# --- filters ---------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def camelcase(value: Any) -> str:
    """'mental health awareness week' -> 'MentalHealthAwarenessWeek' (screen readers say each
    word of a CamelCase hashtag; existing capitals inside a word are kept: 'RunTalkRun')."""
    words = _WORD.findall(str(value))
    return "".join(w[:1].upper() + w[1:] for w in words)


def hashtag(value: Any) -> str:
    return "#" + camelcase(value)


def join_and(values: Any, last: str = "and") -> str:
    items = [str(v) for v in values]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


class _SnippetLoader(BaseLoader):
    def __init__(self, snippets: dict[str, str]) -> None:
        self.snippets = snippets

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        if template not in self.snippets:
            from jinja2 import TemplateNotFound

            raise TemplateNotFound(template)
        source = self.snippets[template]
        if isinstance(environment, BudgetedEnvironment):
            environment.check_source(source)
        return source, f"<snippet {template}>", lambda: True


def make_environment(
    snippets: dict[str, str],
    limits: Limits | None = None,
    seconds: Callable[[], float] = cpu_time,
) -> BudgetedEnvironment:
    env = BudgetedEnvironment(
        limits,
        seconds,
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        loader=_SnippetLoader(snippets),
        auto_reload=False,
    )
    env.add_filter("camelcase", camelcase)
    env.add_filter("hashtag", hashtag)
    env.add_filter("join_and", join_and)

    @pass_context
    def snippet(context: Any, name: str) -> str:
        return env.get_template(name).render(context.get_all()).strip()

    env.globals["snippet"] = snippet
    return env


# --- errors ----------------------------------------------------------------------------------

# What a template can raise: its own mistakes (a missing value, 1 / 0, a wrong type) and the
# limits of the machine it runs on, which the budgets should reach first.
TEMPLATE_ERRORS = (
    TemplateError,
    TooExpensive,
    ArithmeticError,
    LookupError,
    TypeError,
    AttributeError,  # a filter given the wrong kind of value: 5|wordwrap
    ValueError,
    RecursionError,
    MemoryError,
    SyntaxError,  # Python's, of the compiled template: blocks nested past its limit
)


class TextProblem(ValueError):
    """A function of ours refused what a text asked of it; says what to do instead."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass
class TemplateFailure(Exception):
    message: str
    lineno: int | None
    snippet: str | None  # the failure is inside this snippet
    hint: str | None = None


def _explain(exc: BaseException) -> tuple[str, str | None]:
    if isinstance(exc, TemplateSyntaxError):
        return f"template syntax: {exc.message}", "check the {{ }} and {% %} pairs"
    if isinstance(exc, TooExpensive | TextProblem):
        return exc.message, exc.hint
    if isinstance(exc, RecursionError | SyntaxError):
        return (
            "template too expensive: nested too deeply (recursion budget)",
            "nest fewer blocks, brackets, snippets or macros inside one another",
        )
    if isinstance(exc, MemoryError):
        return (
            "template too expensive: it ran out of memory (memory budget)",
            "repeat, pad or join less text, or loop over fewer items",
        )
    text = str(exc)
    if "is undefined" in text:
        return (
            f"template: {text}",
            "define it under 'vars' (campaign or post), or check the spelling",
        )
    if type(exc).__name__ == "SecurityError":
        return f"template: not allowed: {text}", "templates may only use values and filters"
    return f"template: {text}", None


def failure_from(exc: BaseException, snippet_names: set[str]) -> TemplateFailure:
    message, hint = _explain(exc)
    if isinstance(exc, TemplateSyntaxError):
        name = exc.filename or ""
        snip = name[len("<snippet ") : -1] if name.startswith("<snippet ") else None
        return TemplateFailure(message, exc.lineno, snip, hint)
    lineno: int | None = None
    snip = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            lineno, snip = frame.lineno, None
        elif frame.filename.startswith("<snippet "):
            name = frame.filename[len("<snippet ") : -1]
            if name in snippet_names:
                lineno, snip = frame.lineno, name
    return TemplateFailure(message, lineno, snip, hint)


# --- templates that only substitute values --------------------------------------------------
# Most campaign texts only insert variables ("Our guest, {{ guest }}, ..."). Compiling each
# with Jinja2 costs about half a millisecond, most of a large campaign's check; such texts
# are rendered here directly, with Jinja2's result for them. Anything else (filters, calls,
# statements, a missing value, a key that is also a dict method) goes to Jinja2.

_SUBSTITUTION = re.compile(r"\{\{ *([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*) *\}\}")
_Piece = str | tuple[str, ...]


@dataclass
class Compiled:
    template: JinjaTemplate | None
    per_account: bool
    simple: list[_Piece] | None  # literal text and variable paths, when that is all it is


def simple_pieces(source: str) -> list[_Piece] | None:
    pieces: list[_Piece] = []
    last = 0
    for m in _SUBSTITUTION.finditer(source):
        pieces.append(source[last : m.start()])
        pieces.append(tuple(m.group(1).split(".")))
        last = m.end()
    # Jinja2 drops one trailing newline of a template (keep_trailing_newline=False).
    tail = source[last:]
    pieces.append(tail[:-1] if tail.endswith("\n") else tail)
    literal = "".join(p for p in pieces if isinstance(p, str))
    if any(mark in literal for mark in (*TEMPLATE_MARKS, "}}", "%}", "#}")):
        return None
    if any(not isinstance(p, str) and any(n.startswith("_") for n in p) for p in pieces):
        return None
    return pieces


_PLAIN = (str, int, float, bool, type(None))


def render_simple(pieces: list[_Piece], scope: dict[str, Any]) -> str | None:
    out: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
            continue
        value: Any = scope
        for name in piece:
            if not isinstance(value, dict) or name not in value or hasattr(dict, name):
                return None
            value = value[name]
        if not isinstance(value, _PLAIN):
            return None
        out.append(str(value))
    return "".join(out)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def names_in(source: str) -> set[str]:
    """Every identifier-like word in a template's source: a superset of the variables it
    reads, found without parsing (a word in the plain text only makes caching stricter)."""
    return set(_IDENTIFIER.findall(source))
