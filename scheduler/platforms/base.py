"""The Publisher protocol, its request and result types, and the platform errors.

A publisher turns one PublishRequest (a thread of one or more parts for one account) into
posts, and reports each part as soon as it exists so the caller can store it and resume a
thread after a crash. It never imports the campaign, the ledger or approval code.

Errors raised by publishers are always one of the classes below, chained (``from``) to the
foreign exception (requests, tweepy) that caused them:

    PublishError
    ├── RateLimited(retry_after)   wait, then retry; other posts of the account wait too
    │   └── AccountPaused          the account's gate refused: nothing was sent
    ├── Transient                  nothing was applied; retry with backoff
    ├── OutcomeUnknown             the post may exist: call ``find`` before any new attempt
    └── Permanent                  do not retry this content
        ├── AuthFailed             a person must reconnect the account
        ├── Invalid                the platform rejected the content
        ├── Duplicate              the platform says it already has this text
        └── Forbidden              the account may not do this
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from scheduler.accounts import AccountSpec
from scheduler.draft import PartResult
from scheduler.errors import PublishError

__all__ = [
    "OPEN_GATE",
    "AccountInfo",
    "AccountPaused",
    "AccountSpec",
    "AuthFailed",
    "Duplicate",
    "Forbidden",
    "Invalid",
    "LinkCardRequest",
    "MediaUpload",
    "OutcomeUnknown",
    "PartRequest",
    "PartResult",
    "Permanent",
    "PlatformRules",
    "PublishError",
    "PublishRequest",
    "PublishResult",
    "Publisher",
    "Quota",
    "RateLimited",
    "RequestGate",
    "Transient",
]


# --- errors -------------------------------------------------------------------------------


class _PlatformError(PublishError):
    def __init__(
        self,
        message: str,
        *,
        platform: str = "",
        platform_message: str | None = None,
        status: int | None = None,
        part_index: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.platform = platform
        self.platform_message = platform_message  # the platform's own words, for people
        self.status = status
        self.part_index = part_index


class RateLimited(_PlatformError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after  # seconds from now, when the platform said so


class AccountPaused(RateLimited):
    """The account is paused (a platform's reset or a quota still pending): the request was
    not sent, so waiting for it is not an attempt."""


class Transient(_PlatformError):
    retryable = True


class OutcomeUnknown(_PlatformError):
    """The request may have been applied. Reconcile (``Publisher.find``) before retrying."""

    retryable = False


class Permanent(_PlatformError):
    retryable = False


class AuthFailed(Permanent):
    """Credentials were refused; a person must reconnect the account."""


class Invalid(Permanent):
    pass


class Duplicate(Permanent):
    pass


class Forbidden(Permanent):
    pass


# --- requests and results -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MediaUpload:
    file: Path  # absolute path of the file to upload
    mime: str
    alt: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class LinkCardRequest:
    url: str
    title: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class PartRequest:
    text: str
    media: tuple[MediaUpload, ...] = ()
    # Bluesky facets: (kind, byte_start, byte_end, value) with kind in link|mention|tag.
    facets: tuple[tuple[str, int, int, str], ...] = ()
    # Stable per (draft, content hash, part): the same on every attempt.
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class PublishRequest:
    account: str
    parts: tuple[PartRequest, ...]
    created_at: datetime  # the due instant (aware UTC); Bluesky TIDs and createdAt use it
    content_warning: str | None = None
    language: str | None = None
    labels: tuple[str, ...] = ()
    visibility: str | None = None
    reply_settings: str | None = None
    link: LinkCardRequest | None = None
    # Parts already published by earlier attempts, in order; publishing resumes after them.
    done: tuple[PartResult, ...] = ()


@dataclass(frozen=True, slots=True)
class PublishResult:
    parts: tuple[PartResult, ...]

    @property
    def url(self) -> str:
        return self.parts[0].url if self.parts else ""


@dataclass(frozen=True, slots=True)
class AccountInfo:
    platform: str
    account: str
    remote_id: str
    handle: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class Quota:
    """A publishing quota the platform enforces per account over a rolling window.

    Each published part costs ``cost`` (Bluesky counts write points: a post costs 3); the
    account may spend ``limit`` in any ``window`` seconds. ``counts`` says which parts count:
    every part, only first parts (a platform that counts replies apart), or only replies.
    ``tier`` limits the quota to accounts whose ``tier`` setting names it (X's API tiers).
    """

    name: str
    limit: int
    window: float  # seconds
    cost: int = 1
    counts: str = "every part"  # every part | first part | replies
    tier: str | None = None


@dataclass(frozen=True, slots=True)
class PlatformRules:
    """What a platform accepts; used by ``check`` and by the publisher itself."""

    platform: str
    max_chars: int
    max_media: int = 4
    max_image_bytes: int = 5_000_000
    max_alt_chars: int = 1000
    image_mimes: tuple[str, ...] = ("image/png", "image/jpeg", "image/gif", "image/webp")
    max_gif_bytes: int | None = None  # None: a GIF is an image like any other
    gif_alone: bool = False  # a GIF must be the only media item of its post
    supports_cw: bool = False
    supports_language: bool = False
    supports_labels: bool = False
    quotas: tuple[Quota, ...] = ()


PartCallback = Callable[[PartResult], None]
# Called with a part's index just before the call that creates it (its media uploaded): the
# daemon renews its lease there, and an exception raised stops the publish before the create.
BeforeCreate = Callable[[int], None]


class Publisher(Protocol):
    platform: str
    rules: PlatformRules

    def publish(
        self,
        request: PublishRequest,
        on_part: PartCallback | None = None,
        before_create: BeforeCreate | None = None,
    ) -> PublishResult:
        """Publish every part not in ``request.done``, calling ``on_part`` as each one exists
        and ``before_create`` just before each part's create call, after its media uploads
        (uploading can take minutes; whoever holds a lease must know it still does).

        Raises a PublishError subclass; ``part_index`` on the error says which part failed.
        Whatever ``before_create`` raises propagates, with nothing created for that part.
        """
        ...

    def find(self, request: PublishRequest, part_index: int) -> PartResult | None:
        """After an OutcomeUnknown: the part if it exists on the platform, else None.

        Raises OutcomeUnknown again when the platform cannot tell.
        """
        ...

    def verify(self) -> AccountInfo:
        """Check the credentials; AuthFailed with a plain message when they do not work."""
        ...

    def close(self) -> None: ...


# --- the gate every request passes ------------------------------------------------------------

# What a request does, for the gate: quotas count creates; a pause stops every kind.
CREATE = "create"
READ = "read"
WRITE = "write"  # uploads, sessions, metadata: writes that publish nothing


class RequestGate(Protocol):
    """Asked before every request to an account, and told the rate-limit headers of every
    answer. The daemon's gate keeps the account's pause in the ledger, so every request of
    every daemon honours it; the platforms know nothing of where it is kept."""

    def before(self, account: str, platform: str, kind: str) -> None:
        """Raise AccountPaused (nothing is sent) while the account must not be called."""
        ...

    def after(
        self, account: str, platform: str, kind: str, status: int, headers: Mapping[str, str]
    ) -> None:
        """An answer came back (any status): its headers may pause the account."""
        ...


class _OpenGate:
    """No pauses at all: for one-off commands (``accounts check``) and tests."""

    def before(self, account: str, platform: str, kind: str) -> None:
        return None

    def after(
        self, account: str, platform: str, kind: str, status: int, headers: Mapping[str, str]
    ) -> None:
        return None


OPEN_GATE: RequestGate = _OpenGate()


# --- construction ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformContext:
    """What the composition root hands every publisher factory."""

    clock: Any  # scheduler.clock.Clock
    credentials: Any  # scheduler.credentials.CredentialStore
    state_dir: Path  # where publishers persist sessions and rotated tokens (mode 600 files)
    outbox: Path  # the sandbox publisher's folder
    timeout: float = 30.0  # seconds for connect and for read, on every HTTP call
    # The operator's X API base (SCHEDULER_X_API_BASE, checked by the settings); it wins over
    # an account's own, and OAuth 2.0 token refresh goes there too. Never from a campaign.
    x_api_base: str | None = None
    gate: RequestGate = OPEN_GATE  # the daemon passes its own; one-off commands need none


PublisherFactory = Callable[[AccountSpec, PlatformContext], Publisher]
