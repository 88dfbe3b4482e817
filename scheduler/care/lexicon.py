"""Lexicons: the per-language word lists in ``data/*.yaml``, compiled once per process.

Each list entry is a regular expression matched case-insensitively on whole words; the lists
of a language are merged with the English ones (posts are often bilingual, and English
campaign vocabulary turns up everywhere) and compiled into one alternation per list. Nothing
here reads a file more than once.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import ahocorasick
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

# The C loader when PyYAML was built with libyaml: the data files load several times faster.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MACRO = re.compile(r"\{([A-Z]+)\}")


def _read_yaml(name: str) -> dict[str, Any]:
    try:
        text = resources.files("scheduler.care").joinpath("data").joinpath(name).read_text("utf-8")
        data = yaml.load(text, Loader=_LOADER)
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


def _required(items: Iterable[Any]) -> set[str] | None:
    """Literal strings (lower case) one of which every match of this sequence contains, or
    None when nothing fixed is required. Picks, among the candidates, the set whose shortest
    string is longest: the most selective cheap test."""
    candidates: list[set[str]] = []
    run = ""
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            run += chr(av).lower()
            continue
        if run:
            candidates.append({run})
            run = ""
        found: set[str] | None = None
        if name == "SUBPATTERN":
            found = _required(av[-1].data)
        elif name == "BRANCH":
            alternatives = [_required(branch.data) for branch in av[1]]
            if all(alt for alt in alternatives):
                found = set().union(*(alt for alt in alternatives if alt))
        elif name in ("MAX_REPEAT", "MIN_REPEAT") and av[0] >= 1:
            found = _required(av[2].data)
        if found:
            candidates.append(found)
    if run:
        candidates.append({run})
    if not candidates:
        return None
    # On a tie the later literal wins: in "number, then unit" patterns it is the unit.
    ranked = [(_selectivity(c), i, c) for i, c in enumerate(candidates)]
    return max(ranked, key=lambda r: (r[0], r[1]))[2]


MAX_SPELLINGS = 4


def _opening(items: Iterable[Any]) -> set[str] | None:
    """Every spelling (lower case) of the fixed stretch an entry starts with, when it has
    only small choices in it ("binge[- ]eating" -> "binge eating", "binge-eating")."""
    found = {""}
    for op, av in items:
        exact = _exact(op, av)
        if exact is None or len(found) * len(exact) > MAX_SPELLINGS:
            break
        found = {f + e for f in found for e in exact}
    return None if "" in found else found


def _exact(op: Any, av: Any) -> set[str] | None:
    """Every string (lower case) one regex item can match, when that is a short list."""
    name = str(op)
    if name == "LITERAL":
        return {chr(av).lower()}
    if name == "IN" and all(str(o) == "LITERAL" for o, _ in av):
        return {chr(a).lower() for _, a in av}
    branches = [av[-1]] if name == "SUBPATTERN" else av[1] if name == "BRANCH" else []
    found: set[str] = set()
    for branch in branches:
        spellings = {""}
        for sub_op, sub_av in branch.data:
            exact = _exact(sub_op, sub_av)
            if exact is None or len(spellings) * len(exact) > MAX_SPELLINGS:
                return None
            spellings = {f + e for f in spellings for e in exact}
        found |= spellings
    return found if branches and len(found) <= MAX_SPELLINGS else None


# Literals this common say nothing about whether a text can match.
_COMMON = frozenset(
    {"a", "an", "and", "at", "by", "for", "from", "i", "in", "is", "it", "my", "of", "off"}
    | {"on", "or", "out", "over", "so", "the", "to", "up", "we", "with", "you", "your"}
)


def _selectivity(candidate: set[str]) -> tuple[int, int]:
    shortest = min(0 if x.strip() in _COMMON else len(x.strip()) for x in candidate)
    return shortest, -len(candidate)


def triggers(entries: Iterable[str]) -> frozenset[str] | None:
    """Strings one of which must occur in a (lower-cased) text for any entry to match, or
    None when some entry has no such string (the list must always run)."""
    found: set[str] = set()
    for entry in entries:
        items = _parser.parse(entry, FLAGS).data
        required = _required(items)
        if not required:
            return None
        # "ed (?:recovery|support)": the whole opening beats its most selective word
        # ("recovery" is in half of all campaign posts), if it needs no more strings.
        opening = _opening(items)
        if (
            opening
            and len(opening) <= len(required)
            and _selectivity(opening) > _selectivity(required)
        ):
            required = opening
        found |= required
    # A shorter trigger inside a longer one makes the longer redundant.
    return frozenset(t for t in found if not any(o != t and o in t for o in found))


# Working out the triggers parses every entry (about 8 ms per process for the lists one
# campaign needs), so they ship worked out in data/triggers.json, keyed by a hash of a list's
# entries; a list edited since falls back to working them out. Regenerate the file with
# ``python -m scheduler.care.write_triggers``; tests/care/test_prefilter.py checks it is current.
TRIGGERS_FILE = "triggers.json"
MISSING: Any = object()


def entries_key(entries: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(entries).encode("utf-8")).hexdigest()[:32]


@functools.cache
def known_triggers() -> dict[str, list[str] | None]:
    """The shipped triggers by ``entries_key``; empty if the file is missing or damaged."""
    try:
        path = resources.files("scheduler.care").joinpath("data").joinpath(TRIGGERS_FILE)
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    lists = data.get("lists") if isinstance(data, dict) else None
    return lists if isinstance(lists, dict) else {}


def trigger_table() -> dict[str, list[str] | None]:
    """The triggers of every list of every language's lexicon, worked out afresh."""
    table: dict[str, list[str] | None] = {}
    for lang in LANGUAGES:
        for plist in _compile(lang).lists.values():
            if plist.entries:
                found = triggers(plist.entries)
                table[entries_key(plist.entries)] = None if found is None else sorted(found)
    return dict(sorted(table.items()))


class PatternList:
    """One named list of a lexicon: compiled on first use, with the triggers that let a
    ``Prefilter`` rule it out for a text without scanning."""

    __slots__ = ("_compiled", "_tested", "_triggers", "entries", "name")

    def __init__(self, name: str, entries: list[str]) -> None:
        self.name = name
        self.entries = entries
        self._compiled: re.Pattern[str] | None = None
        self._triggers: frozenset[str] | None = None
        self._tested = False

    def _ready(self) -> re.Pattern[str] | None:
        if self._compiled is None and self.entries:
            try:
                self._compiled = words_alternation(self.entries)
            except re.error as exc:
                raise CareError(f"care data list {self.name} has a bad pattern: {exc}") from exc
        return self._compiled

    def _skip_test(self) -> frozenset[str] | None:
        if not self._tested and self.entries:
            known = known_triggers().get(entries_key(self.entries), MISSING)
            if known is MISSING:
                try:
                    self._triggers = triggers(self.entries)
                except re.error as exc:
                    raise CareError(f"care data list {self.name} has a bad pattern: {exc}") from exc
            else:
                self._triggers = None if known is None else frozenset(known)
            self._tested = True
        return self._triggers

    def triggers(self) -> frozenset[str] | None:
        """Strings one of which a lower-cased text must contain for the list to match (None:
        no such strings, the list always runs)."""
        return self._skip_test()

    def finditer(self, text: str) -> list[re.Match[str]]:
        """Matches in ``text`` (the pattern is compiled on first use; callers skip texts the
        list's ``Prefilter`` rules out, so most lists never are)."""
        pattern = self._ready() if self.entries else None
        return [] if pattern is None else list(pattern.finditer(text))

    def search(self, text: str) -> re.Match[str] | None:
        pattern = self._ready()
        return None if pattern is None else pattern.search(text)


class Prefilter:
    """Which lists can match a text, found in one pass over the text rather than one
    substring test per trigger per list.

    A list can match only if the text contains one of its triggers; an Aho-Corasick
    automaton of the triggers of every list finds every occurrence of every trigger in one
    scan (a regex alternation cannot: it reports one match per position and is slower in
    CPython than the substring tests it would replace)."""

    def __init__(self, lists: Iterable[PatternList]) -> None:
        owners: dict[str, set[str]] = {}
        always: set[str] = set()
        for plist in lists:
            if not plist.entries:
                continue
            found = plist.triggers()
            if found is None:
                always.add(plist.name)
                continue
            for trigger in found:
                owners.setdefault(trigger, set()).add(plist.name)
        self.always = frozenset(always)
        self._automaton: Any = None
        if owners:
            self._automaton = ahocorasick.Automaton()
            for trigger, names in owners.items():
                self._automaton.add_word(trigger, frozenset(names))
            self._automaton.make_automaton()

    def possible(self, lowered: str) -> frozenset[str]:
        """The names of the lists that may match a text, given the text in lower case."""
        if self._automaton is None:
            return self.always
        hits = {names for _, names in self._automaton.iter(lowered)}
        return self.always.union(*hits) if hits else self.always


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

    @functools.cached_property
    def hashtags_ok(self) -> frozenset[str]:
        """Tags that are fine in one case: known campaign tags and acronyms."""
        return self.words["hashtag_allow"] | self.words["caps_allow"]

    @functools.cached_property
    def prefilter(self) -> Prefilter:
        """The pre-filter of all the lists, built when a text first needs it (under a
        millisecond: the triggers ship worked out)."""
        return Prefilter(self.lists.values())

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
        lists={
            **{name: PatternList(name, entries) for name, entries in lists.items()},
            "jargon": PatternList("jargon", jargon_raw),
        },
        words={name: frozenset(ws) for name, ws in words.items()},
        mention_before=mention,
        jargon=tuple(jargon),
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
