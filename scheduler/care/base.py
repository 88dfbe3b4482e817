"""What the care lint reports, what a rule is, and the care lint's errors.

A Finding points at the exact words (or image, or content warning) that need attention and
says, in words for an advocate, what to change and why. Severity ``block`` stops approval
until the wording is fixed or someone other than the author records a reasoned override;
``warn`` is shown to author and approver; ``info`` is a note (for example: no rules exist
for the post's language, so a person must read it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol

from scheduler.errors import SchedulerError

if TYPE_CHECKING:
    from scheduler.care.context import DraftContext

Severity = Literal["block", "warn", "info"]
Level = Literal["off", "warn", "block"]
Where = Literal["text", "alt", "cw", "draft"]

SEVERITY_ORDER: dict[str, int] = {"info": 0, "warn": 1, "block": 2}


class CareError(SchedulerError):
    """The care lint cannot run as configured (bad campaign care settings, bad data file)."""


class CareSettingsError(CareError):
    """A campaign's ``care`` block asks for something the lint does not allow."""


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    campaign: str
    post_id: str
    account: str
    platform: str
    where: Where  # the post text, an image's alt text, the content warning, or the whole draft
    part: int | None = None  # thread part index (0-based); None for the content warning
    media: int | None = None  # image index within the part, for alt text findings
    start: int | None = None  # character offsets into that text
    end: int | None = None
    excerpt: str = ""  # the exact words found
    source: str = ""  # "path:line" of the post in the campaign files
    reason: str = ""  # the campaign's reason, when its care settings changed this rule's level

    @property
    def location(self) -> str:
        """Where in the draft, for people: 'part 2', 'part 1 image 1 alt text', 'CW'."""
        if self.where == "cw":
            return "content warning"
        if self.where == "draft":
            return "whole post"
        label = f"part {(self.part or 0) + 1}"
        if self.where == "alt":
            label += f" image {(self.media or 0) + 1} alt text"
        return label

    def with_severity(self, severity: Severity, reason: str) -> Finding:
        return replace(self, severity=severity, reason=reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "campaign": self.campaign,
            "post": self.post_id,
            "account": self.account,
            "platform": self.platform,
            "where": self.where,
            "part": self.part,
            "media": self.media,
            "start": self.start,
            "end": self.end,
            "excerpt": self.excerpt,
            "source": self.source,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What a rule is, for the settings check, the docs and ``--json``."""

    id: str
    severity: Severity  # the strongest severity the rule reports by design
    summary: str
    # A rule that can block cannot be lowered or switched off in a campaign file: the way
    # past a block finding is a per-post override by someone other than the author.
    adjustable: bool = field(default=True)


class Rule(Protocol):
    """A rule may also set, as class attributes: ``topic`` ("suicide" | "ed" | "either":
    skipped for drafts not about it), ``needs`` ("media" | "hashtags" | "nonascii":
    skipped for drafts without it) and ``per_platform`` (True when it reads the draft's
    platform; other rules run once per distinct content, their findings shared by every
    account)."""

    @property
    def info(self) -> RuleInfo: ...

    def check(self, ctx: DraftContext) -> Iterable[Finding]:
        """Every finding of this rule on one draft."""
        ...
