"""Safe YAML to plain Python data, remembering where every value came from.

Built on the event stream of libyaml (``yaml.CSafeLoader``) rather than on PyYAML's composer
so that, in one linear pass and without recursion, it can:

* refuse duplicate keys (PyYAML keeps the last one silently),
* refuse explicit tags (``!!python/...`` and friends): campaign files are plain data,
* bound alias expansion, so a "billion laughs" file is refused instead of expanded,
* bound nesting depth,
* record the line and column of every key and item for error messages.

Scalars follow the YAML 1.2 core schema rather than PyYAML's YAML 1.1 rules, which people
trip over: ``no``, ``off`` and ``on`` stay strings (a language code, a care level), and
``8:30`` stays a string instead of becoming the sexagesimal number 510. Dates and times stay
strings too; the models parse them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

Loc = tuple[str | int, ...]

MAX_BYTES = 4_000_000  # a week of posts is a few hundred kilobytes
MAX_NODES = 500_000  # counted after alias expansion
MAX_DEPTH = 64

_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)|0x[0-9a-fA-F]+|0o[0-7]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


class YamlProblem(Exception):
    def __init__(self, line: int, col: int, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.line = line  # 1-based
        self.col = col
        self.message = message
        self.hint = hint


@dataclass
class Positions:
    """Where each value of one file is: ``loc -> (line, col)``, 1-based.

    For a mapping entry the position is the key's; for a sequence item, the item's start.
    ``text`` holds, for string values, the line where the string's own text begins (the line
    after ``|`` for block scalars), so template errors can point into the text.
    """

    path: str
    at: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    text: dict[Loc, int] = field(default_factory=dict)

    def find(self, loc: Loc) -> tuple[int, int]:
        """The position of ``loc``, or of its nearest recorded parent."""
        while True:
            pos = self.at.get(loc)
            if pos is not None:
                return pos
            if not loc:
                return (1, 1)
            loc = loc[:-1]


def _scalar(event: Any) -> Any:
    value: str = event.value
    if event.tag not in (None, "!"):
        line, col = event.start_mark.line + 1, event.start_mark.column + 1
        raise YamlProblem(
            line,
            col,
            f"YAML tag {event.tag!r} is not allowed",
            "campaign files are plain data: remove the tag",
        )
    if event.style or not event.implicit[0]:
        return value  # quoted or block scalar: always a string
    if value in _NULL:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT.fullmatch(value):
        return (
            int(value.replace("_", ""), 0)
            if value[:2] in ("0x", "0o")
            else int(value.replace("_", ""))
        )
    if _FLOAT.fullmatch(value) and any(c.isdigit() for c in value):
        return float(value.replace("_", ""))
    return value


class _Frame:
    __slots__ = ("anchor", "container", "depth_nodes", "is_map", "key", "key_pos", "loc", "seen")

    def __init__(self, container: Any, loc: Loc, anchor: str | None, nodes: int) -> None:
        self.container = container
        self.is_map = isinstance(container, dict)
        self.loc = loc
        self.anchor = anchor
        self.key: str | None = None
        self.key_pos: tuple[int, int] = (1, 1)
        self.seen: dict[str, int] = {}
        self.depth_nodes = nodes


def read_yaml(text: str, path: str) -> tuple[Any, Positions]:
    """Parse one YAML document. Raises YamlProblem (with a 1-based position)."""
    pos = Positions(path)
    try:
        events = yaml.parse(text, Loader=yaml.CSafeLoader)
        return _build(events, pos), pos
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = exc.problem or exc.context or "YAML syntax error"
        hint = "check the indentation and quoting on this line and the one before"
        lines = text.splitlines()
        here = lines[line - 1] if 0 < line <= len(lines) else ""
        if "tab" in message.lower() or "\t" in here[: len(here) - len(here.lstrip())]:
            hint = "indent with spaces, not tabs"
        raise YamlProblem(line, col, f"YAML syntax: {message}", hint) from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(1, 1, f"YAML: {exc}", None) from exc


def _build(events: Any, pos: Positions) -> Any:
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, int]] = {}
    root: Any = None
    have_root = False
    documents = 0
    nodes = 0

    def place(value: Any, size: int, mark: Any, is_text: bool, style: str | None) -> None:
        nonlocal root, have_root
        line, col = mark.line + 1, mark.column + 1
        if not stack:
            root, have_root = value, True
            pos.at[()] = (line, col)
            return
        top = stack[-1]
        if top.is_map:
            if top.key is None:
                if not isinstance(value, str | int | float | bool) and value is not None:
                    raise YamlProblem(line, col, "a key must be a plain word", None)
                key = _key_text(value, mark)
                if key in top.seen:
                    raise YamlProblem(
                        line,
                        col,
                        f"duplicate key {key!r} (first on line {top.seen[key]})",
                        "remove one of them, or merge them",
                    )
                top.seen[key] = line
                top.key = key
                top.key_pos = (line, col)
                return
            loc = (*top.loc, top.key)
            top.container[top.key] = value
            pos.at[loc] = top.key_pos
            if is_text:
                pos.text[loc] = line + 1 if style in ("|", ">") else line
            top.key = None
        else:
            loc = (*top.loc, len(top.container))
            top.container.append(value)
            pos.at[loc] = (line, col)
            if is_text:
                pos.text[loc] = line + 1 if style in ("|", ">") else line

    for event in events:
        kind = type(event)
        if kind is yaml.ScalarEvent:
            nodes += 1
            raw_key = bool(stack) and stack[-1].is_map and stack[-1].key is None
            value = event.value if raw_key else _scalar(event)
            if event.anchor:
                anchors[event.anchor] = (value, 1)
            place(value, 1, event.start_mark, isinstance(value, str), event.style)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            nodes += 1
            _check_tag(event)
            if len(stack) >= MAX_DEPTH:
                m = event.start_mark
                raise YamlProblem(
                    m.line + 1, m.column + 1, f"nesting deeper than {MAX_DEPTH} levels", None
                )
            if stack and stack[-1].is_map and stack[-1].key is None:
                m = event.start_mark
                raise YamlProblem(
                    m.line + 1, m.column + 1, "a key must be a plain word, not a list or mapping"
                )
            container: Any = {} if kind is yaml.MappingStartEvent else []
            place(container, 1, event.start_mark, False, None)
            top_loc: Loc = ()
            if len(stack) > 0:
                parent = stack[-1]
                if parent.is_map:
                    # place() has already cleared parent.key; recover the key we stored under.
                    top_loc = (*parent.loc, next(reversed(parent.container)))
                else:
                    top_loc = (*parent.loc, len(parent.container) - 1)
            stack.append(_Frame(container, top_loc, event.anchor, nodes))
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            frame = stack.pop()
            if frame.anchor:
                anchors[frame.anchor] = (frame.container, nodes - frame.depth_nodes + 1)
        elif kind is yaml.AliasEvent:
            m = event.start_mark
            found = anchors.get(event.anchor)
            if found is None:
                raise YamlProblem(
                    m.line + 1,
                    m.column + 1,
                    f"alias *{event.anchor} has no complete &{event.anchor} before it",
                    "define the anchor above the alias, outside the value that uses it",
                )
            value, size = found
            nodes += size
            if nodes > MAX_NODES:
                raise YamlProblem(
                    m.line + 1,
                    m.column + 1,
                    f"too many values after expanding aliases (over {MAX_NODES:,})",
                    "this file expands to far more data than a campaign needs; "
                    "use snippets instead of nested aliases",
                )
            if stack and stack[-1].is_map and stack[-1].key is None:
                raise YamlProblem(m.line + 1, m.column + 1, "an alias cannot be a key", None)
            place(value, size, m, isinstance(value, str), None)
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                m = event.start_mark
                raise YamlProblem(
                    m.line + 1,
                    m.column + 1,
                    "more than one YAML document in this file",
                    "remove the '---' line, or split the documents into separate files",
                )
        if nodes > MAX_NODES:
            m = event.start_mark
            raise YamlProblem(
                m.line + 1, m.column + 1, f"too many values (over {MAX_NODES:,})", None
            )
    return root if have_root else None


def _key_text(value: Any, mark: Any) -> str:
    if isinstance(value, str):
        return value
    raise YamlProblem(mark.line + 1, mark.column + 1, "a key must be a plain word", None)


def _check_tag(event: Any) -> None:
    if event.tag is not None and not event.implicit:
        m = event.start_mark
        raise YamlProblem(
            m.line + 1,
            m.column + 1,
            f"YAML tag {event.tag!r} is not allowed",
            "campaign files are plain data: remove the tag",
        )
