"""The values campaign files give, as pydantic types: ids, durations, hashtags, times of
day, web addresses, and the platform names a campaign may use. Every model of the format
builds on ``Strict``; validators raise ``problems.problem``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from scheduler import descriptors
from scheduler.campaign.problems import problem

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
_TAG = re.compile(r"#?(\w+)")
_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_DURATION = re.compile(r"\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


def names() -> tuple[str, ...]:
    """Every platform a campaign may name."""
    return descriptors.names()


def _either(values: list[str] | tuple[str, ...]) -> str:
    *rest, last = values
    return f"{', '.join(rest)} or {last}" if rest else last


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        m = _DURATION.fullmatch(value)
        if m and any(m.groups()):
            d, h, mins = (int(g) if g else 0 for g in m.groups())
            return timedelta(days=d, hours=h, minutes=mins)
        if value.strip().upper().startswith("P"):
            return value  # ISO 8601, parsed by pydantic
        raise problem(f"{value!r} is not a duration", "write e.g. 30m, 2h, 1h30m or 1d")
    if isinstance(value, bool):
        raise problem(f"{value!r} is not a duration", "write e.g. 30m, 2h, 1h30m or 1d")
    if isinstance(value, int):
        raise problem(
            f"{value!r} is not a duration", f"add a unit: {value}m for minutes, {value}h for hours"
        )
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def _hashtags(value: Any) -> Any:
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list):
        return value
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise problem(
                f"{item!r} is not a hashtag", "write hashtags as words, e.g. MentalHealth"
            )
        m = _TAG.fullmatch(item.strip())
        if not m:
            raise problem(
                f"{item!r} is not a hashtag",
                "a hashtag is letters, digits and _ only, e.g. MentalHealthAwarenessWeek",
            )
        if m.group(1).isdigit():
            raise problem(f"{item!r} is not a hashtag", "a hashtag needs at least one letter")
        out.append(m.group(1))
    return out


Hashtags = Annotated[list[str], BeforeValidator(_hashtags)]


def _declared(setting: str) -> Callable[[Any], Any]:
    """A post's (or the defaults') value for ``setting``: one of the choices a platform's
    descriptor declares for its account setting of that name (who sees a post, who may
    reply), so the words live with the platform that takes them."""

    def check(value: Any) -> Any:
        choices: list[str] = []
        for d in descriptors.descriptors():
            for rule in d.setting_rules:
                if rule.name == setting:
                    choices += [c for c in rule.choices if c not in choices]
        if value is None or value in choices:
            return value
        raise problem(f"{value!r} is not one of the allowed values", "allowed: " + _either(choices))

    return check


Visibility = Annotated[str, BeforeValidator(_declared("visibility"))]
ReplySettings = Annotated[str, BeforeValidator(_declared("reply_settings"))]


def _http_url(value: str, what: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+\.[^\s/]+(/\S*)?|https?://[^\s/]+(:\d+)?(/\S*)?", value):
        raise problem(f"{what} {value!r} is not a web address", "write it as https://host/...")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


def _check_hhmm(v: str) -> str:
    m = _HHMM.fullmatch(v.strip())
    if not m:
        raise problem(f"{v!r} is not a time of day", "write it as HH:MM, e.g. 08:30 or 19:00")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def parse_hhmm(v: str) -> dt.time:
    hh, mm = v.split(":")
    return dt.time(int(hh), int(mm))
