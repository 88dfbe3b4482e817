"""What a rehearsal finds: the week's timeline and its problems, each with a cause and a fix.

A rehearsal runs a campaign's own posts, moved to a chosen week, through the real daemon in
simulated time against simulated platforms (see ``scheduler.rehearsal.run``). Its result is
plain data, shown three ways: a terminal summary, a standalone HTML page, and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from scheduler.errors import SchedulerError

# Every kind of problem a rehearsal reports, in the order a person should deal with them,
# with the words the report uses for it.
KINDS: dict[str, str] = {
    "paused": "publishing is paused",
    "unapproved": "not approved",
    "care_block": "blocked by the care lint",
    "token": "account token expires",
    "media_host": "images have no public address",
    "quota": "platform quota exceeded",
    "failed": "would not be published",
    "too_close": "posts too close together",
    "dst": "clocks change",
}


class RehearsalError(SchedulerError):
    """The rehearsal cannot run (for example: a campaign without a single post)."""


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # a key of KINDS
    cause: str  # what is wrong, in a sentence
    fix: str  # what to do about it
    post: str | None = None
    account: str | None = None
    at: datetime | None = None  # when it bites, aware UTC

    @property
    def title(self) -> str:
        return KINDS[self.kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "post": self.post,
            "account": self.account,
            "at": _iso(self.at),
            "cause": self.cause,
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class Slot:
    """One draft in the moved week: when it is due, and what the rehearsal saw happen."""

    post: str
    account: str
    platform: str
    due: datetime  # aware UTC
    local: datetime  # aware, in the campaign's timezone
    outcome: str  # published | late | not published
    parts: int
    published_at: datetime | None = None  # the first part, in simulated time
    why: str = ""  # for a draft not published, or published late: the reason

    def to_json(self) -> dict[str, Any]:
        return {
            "post": self.post,
            "account": self.account,
            "platform": self.platform,
            "due": _iso(self.due),
            "local": self.local.isoformat(),
            "outcome": self.outcome,
            "parts": self.parts,
            "published_at": _iso(self.published_at),
            "why": self.why,
        }


@dataclass(frozen=True, slots=True)
class TokenInfo:
    account: str
    platform: str
    expires: datetime | None  # None: unknown
    source: str  # where the date comes from, or why it is unknown

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "platform": self.platform,
            "expires": _iso(self.expires) if self.expires else "unknown",
            "source": self.source,
        }


@dataclass
class Rehearsal:
    campaign: str
    title: str
    timezone: str
    original_start: date
    start: date
    end: date
    slots: list[Slot] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    tokens: list[TokenInfo] = field(default_factory=list)
    simulated_seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        return 0 if self.clean else 1

    def sorted_problems(self) -> list[Problem]:
        order = list(KINDS)
        return sorted(
            self.problems,
            key=lambda p: (
                order.index(p.kind),
                _iso(p.at) or "",
                p.post or "",
                p.account or "",
            ),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.clean,
            "campaign": self.campaign,
            "title": self.title,
            "timezone": self.timezone,
            "original_start": self.original_start.isoformat(),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "clean": self.clean,
            "exit_code": self.exit_code,
            "counts": {
                "drafts": len(self.slots),
                "published": sum(s.outcome == "published" for s in self.slots),
                "late": sum(s.outcome == "late" for s in self.slots),
                "not_published": sum(s.outcome == "not published" for s in self.slots),
                "problems": len(self.problems),
            },
            "timeline": [s.to_json() for s in self.slots],
            "problems": [p.to_json() for p in self.sorted_problems()],
            "tokens": [t.to_json() for t in self.tokens],
        }


def _iso(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.isoformat().replace("+00:00", "Z")
