"""Lexicons: the per-language word lists in ``data/*.yaml``, compiled once per process.

Each list entry is a regular expression matched case-insensitively on whole words; the lists
of a language are merged with the English ones (posts are often bilingual, and English
campaign vocabulary turns up everywhere) and compiled into one alternation per list. Nothing
here reads a file more than once.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from scheduler.care.base import CareError

LANGUAGES: tuple[str, ...] = ("en", "cy", "es", "fr")
BASE_LANGUAGE = "en"
FLAGS = re.IGNORECASE

# The pattern lists a lexicon may hold; the engine asks for these by name.
PATTERN_LISTS: tuple[str, ...] = (
    "gate_suicide",
    "gate_ed",
    "idioms",
    "sm_method",
    "sm_scene",
    "sm_committed",
    "sm_outcome",
    "sm_sensational",
    "sm_solution",
    "sm_single_cause",
    "sm_stigma",
    "sm_graphic_alt",
    "ed_numbers",
    "ed_behaviours",
    "ed_behaviours_gated",
    "ed_before_after_text",
    "ed_before_after_alt",
    "ed_compare_alt",
    "ed_diet_talk",
    "link_text",
    "link_before_url_only",
    "alt_prefix",
    "money_cues",
    "body_cues",
)
WORD_LISTS: tuple[str, ...] = (
    "negators",
    "meta_cues",
    "debunk_cues",
    "first_person",
    "alt_generic",
    "caps_allow",
    "hashtag_allow",
    "hashtag_words",
    "hashtag_stems_suicide",
    "hashtag_stems_ed",
)
PHRASE_LISTS: tuple[str, ...] = ("mention_before",)

_MACRO = re.compile(r"\{([A-Z]+)\}")


def _read_yaml(name: str) -> dict[str, Any]:
    try:
        text = resources.files("scheduler.care").joinpath("data").joinpath(name).read_text("utf-8")
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise CareError(
            f"care data file {name} cannot be read: {exc}",
            hint="reinstall the scheduler package; the file ships inside it",
        ) from exc
    if not isinstance(data, dict):
        raise CareError(f"care data file {name} is not a mapping")
    return data


@functools.cache
def raw_language(lang: str) -> dict[str, Any]:
    return _read_yaml(f"{lang}.yaml")


@functools.cache
def raw_support() -> dict[str, Any]:
    return _read_yaml("support.yaml")


def _expand(entry: str, macros: Mapping[str, str], source: str) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in macros:
            raise CareError(f"care data {source}: unknown macro {{{name}}} in {entry!r}")
        return macros[name]

    return _MACRO.sub(sub, entry)


def words_alternation(entries: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern matching any entry as whole words, or None if empty."""
    parts = [e for e in entries if e]
    if not parts:
        return None
    # Longer alternatives first, so "suicide note said" wins over "suicide" at one position.
    parts.sort(key=len, reverse=True)
    body = "|".join(f"(?:{p})" for p in parts)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", FLAGS)


_parser: Any = importlib.import_module("re._parser")
_TRIGGER_LEN = 3
_DIGIT = "\x00d"  # "a word starting with a digit", as a trigger


def _firsts(items: list[Any], i: int = 0, need: int = _TRIGGER_LEN) -> set[str]:
    """The literal text (up to ``need`` characters, lower case) any match of items[i:]
    starts with.

    An empty string in the result means a match can start with something that is not a
    fixed literal (a wildcard, a class), so the entry cannot be skipped by a cheap test.
    """
    if need <= 0 or i >= len(items):
        return {""}
    op, av = items[i]
    name = str(op)
    if name == "LITERAL":
        ch = chr(av).lower()
        return {ch if rest == _DIGIT else ch + rest for rest in _firsts(items, i + 1, need - 1)}
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return _firsts(items, i + 1, need)
    if name == "SUBPATTERN":
        return _firsts([*av[-1].data, *items[i + 1 :]], 0, need)
    if name == "BRANCH":
        out: set[str] = set()
        for branch in av[1]:
            out |= _firsts([*branch.data, *items[i + 1 :]], 0, need)
        return out
    if name == "IN" and any(str(o) == "CATEGORY" and str(a) == "CATEGORY_DIGIT" for o, a in av):
        return {_DIGIT}
    if name in ("MAX_REPEAT", "MIN_REPEAT"):
        low, _high, sub = av
        if low == 0:
            return _firsts([*sub.data, *items[i + 1 :]], 0, need) | _firsts(items, i + 1, need)
        if low == 1:
            return _firsts([*sub.data, *items[i + 1 :]], 0, need)
        return _firsts(list(sub.data), 0, need)
    return {""}


def triggers(entries: Iterable[str]) -> frozenset[str] | None:
    """Word-start prefixes one of which must be in a text for any entry to match, or None."""
    found: set[str] = set()
    for entry in entries:
        firsts = _firsts(list(_parser.parse(entry, FLAGS).data))
        if "" in firsts:
            return None
        found |= firsts
    return frozenset(found)


def word_start_prefixes(text: str) -> frozenset[str]:
    """Every 1-3 character slice starting a word of the text, lower case (see ``triggers``)."""
    out: set[str] = set()
    for m in _WORD_START.finditer(text):
        i = m.start()
        chunk = text[i : i + _TRIGGER_LEN].lower()
        out.update((chunk[:1], chunk[:2], chunk))
        if chunk[:1].isdigit():
            out.add(_DIGIT)
    return frozenset(out)


_WORD_START = re.compile(r"(?<!\w)\w")


class PatternList:
    """One named list of a lexicon: compiled on first use, skipped cheaply when it cannot match."""

    __slots__ = ("_compiled", "_triggers", "entries", "name")

    def __init__(self, name: str, entries: list[str]) -> None:
        self.name = name
        self.entries = entries
        self._compiled: re.Pattern[str] | None = None
        self._triggers: frozenset[str] | None = None

    def _ready(self) -> re.Pattern[str] | None:
        if self._compiled is None and self.entries:
            try:
                self._compiled = words_alternation(self.entries)
                self._triggers = triggers(self.entries)
            except re.error as exc:
                raise CareError(f"care data list {self.name} has a bad pattern: {exc}") from exc
        return self._compiled

    def finditer(self, text: str, prefixes: frozenset[str] | None = None) -> list[re.Match[str]]:
        pattern = self._ready()
        if pattern is None:
            return []
        if (
            prefixes is not None
            and self._triggers is not None
            and self._triggers.isdisjoint(prefixes)
        ):
            return []
        return list(pattern.finditer(text))

    def search(self, text: str) -> re.Match[str] | None:
        pattern = self._ready()
        return None if pattern is None else pattern.search(text)


@dataclass(frozen=True)
class Lexicon:
    """Everything the rules need for one post language, compiled on demand."""

    language: str
    languages: tuple[str, ...]  # the data files merged into this lexicon
    reviewed: bool  # False: entries are unchecked translations
    lists: Mapping[str, PatternList]
    words: Mapping[str, frozenset[str]]
    mention_before: re.Pattern[str] | None
    jargon: tuple[tuple[re.Pattern[str], str], ...]
    jargon_any: PatternList

    def list(self, name: str) -> PatternList:
        return self.lists[name]

    def has(self, list_name: str, word: str) -> bool:
        return word in self.words[list_name]


def _compile(lang: str) -> Lexicon:
    sources = (lang,) if lang == BASE_LANGUAGE else (lang, BASE_LANGUAGE)
    lists: dict[str, list[str]] = {name: [] for name in PATTERN_LISTS}
    words: dict[str, set[str]] = {name: set() for name in WORD_LISTS}
    phrases: list[str] = []
    jargon: list[tuple[re.Pattern[str], str]] = []
    jargon_raw: list[str] = []
    reviewed = True
    for source in sources:
        data = raw_language(source)
        macros = {str(k): str(v) for k, v in (data.get("macros") or {}).items()}
        reviewed = reviewed and bool(data.get("reviewed", False))
        for name in PATTERN_LISTS:
            for entry in data.get(name) or ():
                lists[name].append(_expand(str(entry), macros, f"{source}.yaml {name}"))
        for name in WORD_LISTS:
            words[name].update(str(w).lower() for w in data.get(name) or ())
        phrases.extend(str(p) for p in data.get("mention_before") or ())
        for item in data.get("jargon") or ():
            pattern = _expand(str(item["pattern"]), macros, f"{source}.yaml jargon")
            jargon_raw.append(pattern)
            jargon.append((re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", FLAGS), str(item["plain"])))
    try:
        mention = words_alternation(re.escape(p) for p in phrases)
    except re.error as exc:
        raise CareError(f"care data for {lang!r} has a bad pattern: {exc}") from exc
    return Lexicon(
        language=lang,
        languages=sources,
        reviewed=reviewed,
        lists={name: PatternList(name, entries) for name, entries in lists.items()},
        words={name: frozenset(ws) for name, ws in words.items()},
        mention_before=mention,
        jargon=tuple(jargon),
        jargon_any=PatternList("jargon", jargon_raw),
    )


@functools.cache
def lexicon_for(lang: str) -> Lexicon:
    """The compiled lexicon for a primary language subtag; unknown languages get English."""
    return _compile(lang if lang in LANGUAGES else BASE_LANGUAGE)


def primary_language(tag: str | None) -> str | None:
    """'en-GB' -> 'en'; None or '' -> None."""
    if not tag:
        return None
    return tag.replace("_", "-").split("-", 1)[0].lower() or None
