"""A problem in a campaign file, with its place, and the map from values back to places."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from scheduler.campaign.yamlread import Loc, Positions


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int  # 1-based; 0 when the problem is about the whole file or folder
    col: int
    where: str  # e.g. "posts[3].text"; "" when the place says it all
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        place = f"{self.path}:{self.line}:{self.col}" if self.line else self.path
        what = f"{self.where}: {self.message}" if self.where else self.message
        tail = f" (hint: {self.hint})" if self.hint else ""
        return f"{place}: {what}{tail}"


def where_of(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


@dataclass
class PostSource:
    positions: Positions
    prefix: Loc  # ("posts", i) inside its file


@dataclass
class SourceMap:
    """Where the header and each post (by index in Campaign.posts) came from."""

    header: Positions
    posts: list[PostSource] = field(default_factory=list)

    def post_place(self, index: int, loc: Loc = ()) -> tuple[str, int, int]:
        src = self.posts[index]
        line, col = src.positions.find(src.prefix + loc)
        return src.positions.path, line, col

    def post_text_line(self, index: int, loc: Loc) -> tuple[str, int]:
        """The file and the line where the string at ``loc`` of a post starts its text."""
        src = self.posts[index]
        full = src.prefix + loc
        line = src.positions.text.get(full)
        if line is None:
            line = src.positions.find(full)[0]
        return src.positions.path, line

    def header_place(self, loc: Loc) -> tuple[str, int, int]:
        line, col = self.header.find(loc)
        return self.header.path, line, col

    def header_text_line(self, loc: Loc) -> tuple[str, int]:
        line = self.header.text.get(loc)
        if line is None:
            line = self.header.find(loc)[0]
        return self.header.path, line

    def post_problem(self, index: int, loc: Loc, message: str, hint: str | None = None) -> Problem:
        src = self.posts[index]
        path, line, col = self.post_place(index, loc)
        return Problem(path, line, col, where_of(src.prefix + loc), message, hint)

    def header_problem(self, loc: Loc, message: str, hint: str | None = None) -> Problem:
        path, line, col = self.header_place(loc)
        return Problem(path, line, col, where_of(loc), message, hint)


def _unwrap(tp: Any) -> list[Any]:
    """The concrete types a (possibly Optional/Annotated/Union) annotation can hold."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin is typing.Union or origin is types.UnionType:
        out: list[Any] = []
        for arg in typing.get_args(tp):
            out.extend(_unwrap(arg))
        return out
    return [tp]


def fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys allowed in the mapping at ``loc`` (relative to ``model``)."""
    current: list[Any] = [model]
    for part in loc:
        nxt: list[Any] = []
        for tp in current:
            origin = typing.get_origin(tp)
            if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
                f = tp.model_fields.get(part)
                if f is not None:
                    nxt.extend(_unwrap(f.annotation))
            elif origin is list and isinstance(part, int):
                nxt.extend(_unwrap(typing.get_args(tp)[0]))
            elif origin is dict and isinstance(part, str):
                nxt.extend(_unwrap(typing.get_args(tp)[1]))
        current = nxt
    keys: list[str] = []
    for tp in current:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            keys.extend(tp.model_fields)
    return keys


HIDDEN_FIELDS = frozenset({"local", "due", "latest_due", "source", "root", "files", "posts"})


def from_validation(
    exc: ValidationError, model: type[BaseModel], positions: Positions, prefix: Loc
) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(err["loc"])
        typ = err["type"]
        ctx = err.get("ctx") or {}
        hint: str | None = None
        at = loc
        if typ == "extra_forbidden":
            key = str(loc[-1])
            allowed = [k for k in fields_at(model, loc[:-1]) if k not in HIDDEN_FIELDS]
            message = f"unknown key {key!r}"
            hint = did_you_mean(key, allowed)
            if hint is None and allowed:
                hint = "allowed keys: " + ", ".join(allowed)
        elif typ == "missing":
            message = f"missing required key {loc[-1]!r}"
            hint = f"add {loc[-1]}: ..."
            at = loc[:-1]
            loc = loc[:-1]
        elif typ in ("int_parsing", "int_type", "int_from_float"):
            message = f"expected a whole number, found {_kind(err['input'])}"
            value = err["input"]
            if loc and loc[-1] == "day" and isinstance(value, str):
                hint = f"for a day of the week write weekday: {value.lower()}"
        elif typ == "campaign":
            message = str(ctx.get("message", err["msg"]))
            hint = str(ctx.get("hint") or "") or None
            if ctx.get("key"):  # a problem of one key of the mapping at ``loc``
                loc = at = (*loc, str(ctx["key"]))
        elif typ == "literal_error":
            message = f"{err['input']!r} is not one of the allowed values"
            hint = "allowed: " + str(ctx.get("expected", "")).replace("'", "")
        elif typ in ("model_type", "model_attributes_type", "dict_type"):
            message = f"expected a mapping of keys, found {_kind(err['input'])}"
        elif typ == "list_type":
            message = f"expected a list, found {_kind(err['input'])}"
            hint = "write each item on its own line starting with '- '"
        elif typ == "string_type":
            message = f"expected text, found {_kind(err['input'])}"
            hint = "put the value in quotes"
        else:
            msg = str(err["msg"])
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            message = msg[:1].lower() + msg[1:]
        full = prefix + at
        line, col = positions.find(full)
        problems.append(Problem(positions.path, line, col, where_of(prefix + loc), message, hint))
    return problems


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (yes/no)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    shown = repr(value)
    # A message names the value, it does not reprint a whole paragraph of it.
    return shown if len(shown) <= 60 else f"{shown[:50]}…' ({len(str(value))} characters)"


def problem(message: str, hint: str | None = None, key: str | None = None) -> PydanticCustomError:
    """A validation error the loader prints as ``message (hint: ...)``, at ``key`` of the
    mapping being validated when one is given."""
    context = {"message": message, "hint": hint or ""}
    if key is not None:
        context["key"] = key
    return PydanticCustomError("campaign", "{message}", context)
