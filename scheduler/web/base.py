"""The web family's shared types and errors.

WebError                  (a SchedulerError)
├── SignInRefused         an invite link that is unknown, used or expired
├── NotSignedIn           a request without a valid session
└── BadRequest            a body that is too large, too deep, malformed or not text
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.errors import SchedulerError

INVITE_TTL = timedelta(hours=72)
SESSION_TTL = timedelta(days=7)
# Expired invites and sessions are deleted this long after they expire: a late click on an
# old link still hears that it expired, and servers whose clocks differ a little never
# delete what another still counts as live.
PURGE_AFTER = timedelta(days=1)
PURGE_EVERY = timedelta(hours=1)


class WebError(SchedulerError):
    """Base of the review pages' own errors."""


class SignInRefused(WebError):
    """An invite link cannot be used; ``reason`` is one of unknown, used, expired, not-member."""

    def __init__(self, reason: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class NotSignedIn(WebError):
    """The request carries no valid session."""


class BadRequest(WebError):
    """A request body the site will not take: answered with ``status`` (400 or 413) and the
    machine-readable ``code`` the JSON API returns beside the message."""

    def __init__(self, status: int, code: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code


@dataclass(frozen=True, slots=True)
class Invite:
    email: str
    campaign: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in person. ``token`` is the raw cookie value, kept only in memory."""

    email: str
    campaign: str
    expires_at: datetime
    token: str


@dataclass(frozen=True, slots=True)
class Purged:
    """What one purge deleted; ``skipped`` when another server was purging at that moment."""

    invites: int = 0
    sessions: int = 0
    skipped: bool = False
