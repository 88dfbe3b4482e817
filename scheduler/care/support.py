"""Support lines: which to suggest for an audience, and whether a post already gives one.

The data is ``data/support.yaml``. Suggested lines are only those the project's care notes
mark as confirmed; recognition is broader (any named service, its web address, or a phone or
text number next to a help word), because an author may rightly point to a local service we
do not ship.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from scheduler.care.base import CareError
from scheduler.care.lexicon import raw_support, words_alternation

DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[ \-.]?\d)*(?!\d)")


@dataclass(frozen=True)
class SupportLine:
    id: str
    locales: tuple[str, ...]
    topics: tuple[str, ...]  # "suicide", "ed"
    text: str
    numbers: tuple[str, ...]  # digits only


@dataclass(frozen=True)
class SupportData:
    lines: tuple[SupportLine, ...]
    numbers: frozenset[str]
    recogniser: re.Pattern[str]


@functools.cache
def support_data() -> SupportData:
    raw = raw_support()
    try:
        lines = tuple(
            SupportLine(
                id=str(item["id"]),
                locales=tuple(str(x) for x in item["locales"]),
                topics=tuple(str(x) for x in item["topics"]),
                text=str(item["text"]),
                numbers=tuple(str(x) for x in item["numbers"]),
            )
            for item in raw["lines"]
        )
        rec = raw["recognise"]
        entries = [
            *(str(x) for x in rec["names"]),
            *(str(x) for x in rec["contextual"]),
            *(str(x) for x in rec["domains"]),
            *(str(x) for x in rec["patterns"]),
        ]
        recogniser = words_alternation(entries)
    except (KeyError, TypeError, re.error) as exc:
        raise CareError(f"care data file support.yaml is malformed: {exc}") from exc
    assert recogniser is not None
    numbers = frozenset(n for line in lines for n in line.numbers)
    return SupportData(lines=lines, numbers=numbers, recogniser=recogniser)


def gives_support(texts: Iterable[str]) -> bool:
    """Does any of these texts point to a support service?"""
    data = support_data()
    for text in texts:
        if not text:
            continue
        if data.recogniser.search(text):
            return True
        for m in DIGIT_RUN.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            if digits in data.numbers:
                return True
    return False


def _locale_keys(locale: str | None, language: str | None) -> list[str]:
    keys: list[str] = []
    if locale:
        norm = locale.replace("_", "-")
        parts = norm.split("-")
        lang = parts[0].lower()
        region = parts[1].upper() if len(parts) > 1 else ""
        if region:
            keys += [f"{lang}-{region}", region]
            if language and language != lang:
                keys.insert(0, f"{language}-{region}")
    return keys


def suggest(topic: str, locale: str | None, language: str | None = None) -> list[SupportLine]:
    """Confirmed lines for this topic and audience, most specific first (may be empty)."""
    keys = _locale_keys(locale, language)
    out: list[SupportLine] = []
    for key in keys:
        for line in support_data().lines:
            if key in line.locales and topic in line.topics and line not in out:
                out.append(line)
    if topic == "ed":
        # An eating-disorder service first when there is one, then the general lines.
        out.sort(key=lambda line: line.topics != ("ed",))
    return out


def suggestion_text(topic: str, locale: str | None, language: str | None = None) -> str:
    lines = suggest(topic, locale, language)
    if lines:
        return "e.g. '" + lines[0].text + "'"
    if not locale:
        return (
            "a helpline for your audience's country (set care.locale in the campaign, "
            "e.g. 'en-GB', and the lint will suggest one)"
        )
    return (
        f"a helpline for your audience ({locale}): the lint ships no confirmed line for it, "
        "so check a current directory and add the service's number"
    )
