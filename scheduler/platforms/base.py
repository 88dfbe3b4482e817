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
    ├── OutcomeUnknown             the post may exist: ``find`` before any new attempt
    └── Permanent                  do not retry this content
        ├── AuthFailed             a person must reconnect the account
        ├── Invalid                the platform rejected the content
        ├── Duplicate              the platform says it already has this text
        └── Forbidden              the account may not do this
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from scheduler.accounts import AccountSpec
from scheduler.clock import Clock
from scheduler.credentials import CredentialStore
from scheduler.descriptors import Descriptor
from scheduler.draft import PartResult, Story
from scheduler.errors import PublishError
from scheduler.redact import redact_optional

if TYPE_CHECKING:
    from scheduler.platforms.public_media import PublicMedia as PublicMediaHost

__all__ = [
    "LOOKUP_SECONDS",
    "OPEN_GATE",
    "PAGE_TRIES",
    "Absent",
    "AccountInfo",
    "AccountPaused",
    "AccountSpec",
    "AuthFailed",
    "CannotTell",
    "Coverage",
    "Duplicate",
    "Forbidden",
    "Found",
    "Invalid",
    "LinkCardRequest",
    "Lookup",
    "MediaUpload",
    "OutcomeUnknown",
    "PartRequest",
    "PartResult",
    "Permanent",
    "PublishError",
    "PublishRequest",
    "PublishResult",
    "Publisher",
    "RateLimited",
    "Renewable",
    "RequestGate",
    "StagedCallback",
    "Story",
    "Transient",
    "page_coverage",
    "read_page",
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
        # The platform's own words, for people; servers echo what they were sent.
        self.platform_message = redact_optional(platform_message)
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
    # A comment to post under the first part once it exists (Instagram's first comment).
    first_comment: str | None = None
    # Parts already published by earlier attempts, in order; publishing resumes after them.
    done: tuple[PartResult, ...] = ()
    # What earlier attempts staged on the platform before making a part public (a Meta media
    # container), by part index: the publisher asks its status before staging again.
    staged: Mapping[int, str] = field(default_factory=dict)
    # A long-form story's title, HTML, slug and terms (its text and image are the part's).
    story: Story | None = None


@dataclass(frozen=True, slots=True)
class PublishResult:
    parts: tuple[PartResult, ...]
    # What did not go out with a published post (its first comment): a person is told, as
    # the post stands and is not published again for it.
    notes: tuple[str, ...] = ()

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
    warnings: tuple[str, ...] = ()  # works, but should be changed (e.g. a main password)
    # When the credentials stop working, where the platform's tokens run out (LinkedIn's
    # after 60 days) and the operator recorded it; None when unknown or never.
    expires_at: datetime | None = None


# --- lookups (reconciliation after a lost answer) ---------------------------------------------

_EVIDENCE = object()  # only Coverage's constructors below hold it


@dataclass(frozen=True, slots=True)
class Coverage:
    """The evidence that a lookup saw every post that could be the part it looked for.

    Built only by the constructors below, each of which checks its own evidence, so that an
    Absent cannot be made from a lookup that merely stopped (a page limit is no evidence).
    """

    how: str  # for people: what was seen
    pages: int = 0
    _token: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._token is not _EVIDENCE:
            raise TypeError("Coverage is made by listing_ended, reached or record_key only")

    @classmethod
    def listing_ended(cls, since: datetime, pages: int) -> Coverage:
        """The platform's listing of the account's posts since ``since`` ended."""
        return cls(
            f"read every post since {since.isoformat(timespec='seconds')} "
            f"({pages} page(s), to the end of the listing)",
            pages,
            _EVIDENCE,
        )

    @classmethod
    def reached(cls, oldest: datetime, since: datetime, pages: int) -> Coverage | None:
        """Paging newest first reached a post older than ``since``: the interval is covered.
        None when it has not (yet)."""
        if oldest >= since:
            return None
        return cls(
            f"read every post back to {oldest.isoformat(timespec='seconds')}, before "
            f"{since.isoformat(timespec='seconds')} ({pages} page(s))",
            pages,
            _EVIDENCE,
        )

    @classmethod
    def record_key(cls, key: str) -> Coverage:
        """The platform answered that the deterministic key ``key`` holds no record."""
        return cls(f"the platform has no record under key {key}", 0, _EVIDENCE)


def page_coverage(
    *, since: datetime, oldest: datetime | None, empty: bool, pages: int
) -> Coverage | None:
    """After reading ``pages`` pages newest first: the coverage they prove, or None to read on.

    ``oldest`` is the creation time of the last post of the latest page (None when it had
    none that could be read); ``empty`` says the latest page was empty, so the listing ended.
    """
    if empty:
        return Coverage.listing_ended(since, pages)
    if oldest is None:
        return None
    return Coverage.reached(oldest, since, pages)


@dataclass(frozen=True, slots=True)
class Found:
    """The part exists on the platform: record it, never post it again."""

    part: PartResult


@dataclass(frozen=True, slots=True)
class Absent:
    """The part provably does not exist: the only answer that allows a new post."""

    coverage: Coverage

    def __post_init__(self) -> None:
        if not isinstance(self.coverage, Coverage):
            raise TypeError("Absent needs the Coverage that proves it")


@dataclass(frozen=True, slots=True)
class CannotTell:
    """The lookup could not decide: look again later, then a person decides. Never a post."""

    reason: str
    retry_after: float | None = None  # seconds, when the platform said (a 429 on the read)
    status: int | None = None

    @classmethod
    def because(cls, error: PublishError, doing: str) -> CannotTell:
        """The answer when ``doing`` (e.g. "reading page 3") failed with ``error``; a 429
        anywhere in its chain gives its ``retry_after``, so the next look can honour it."""
        limited: BaseException | None = error
        while limited is not None and not isinstance(limited, RateLimited):
            limited = limited.__cause__
        return cls(
            f"{doing}: {error.message}",
            retry_after=limited.retry_after if isinstance(limited, RateLimited) else None,
            status=getattr(error, "status", None) or getattr(limited, "status", None),
        )


Lookup = Found | Absent | CannotTell

# How long one lookup may page through an account's posts (on the injected clock) before it
# answers "cannot tell": long enough for a busy account, short against a lease.
LOOKUP_SECONDS = 60.0
PAGE_TRIES = 3  # reads of one page before a lookup cannot tell
PAGE_RETRY_SECONDS = 0.5  # the first pause between them; doubled each time

T = TypeVar("T")


def read_page(read: Callable[[], T], *, what: str, clock: Clock, deadline: float) -> T | CannotTell:
    """One page of a lookup. A 5xx or a lost connection is read again (a read is safe to
    repeat) while the lookup has time; a 429 ends the lookup at once with the platform's
    reset, so the wait is honoured rather than spent holding a claim; anything else that
    fails is "cannot tell" too."""
    delay = PAGE_RETRY_SECONDS
    for attempt in range(1, PAGE_TRIES + 1):
        try:
            return read()
        except RateLimited as exc:
            return CannotTell.because(exc, what)
        except PublishError as exc:
            late = clock.monotonic() + delay >= deadline
            if not exc.retryable or attempt == PAGE_TRIES or late:
                return CannotTell.because(exc, what)
            clock.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


PartCallback = Callable[[PartResult], None]
# Called with a part's index just before the call that creates it (its media uploaded): the
# daemon renews its lease there, and an exception raised stops the publish before the create.
BeforeCreate = Callable[[int], None]
# Called with a part's index and the id of what the platform staged for it (a container to be
# published by a second call) before that call is made; it returns once the id is stored, so
# after a lost answer the next attempt asks the platform about that container first.
StagedCallback = Callable[[int, str], None]


class Publisher(Protocol):
    platform: str
    rules: Descriptor  # the platform's facts, with a server's own limits where it has them

    def publish(
        self,
        request: PublishRequest,
        on_part: PartCallback | None = None,
        before_create: BeforeCreate | None = None,
        on_staged: StagedCallback | None = None,
    ) -> PublishResult:
        """Publish every part not in ``request.done``, calling ``on_part`` as each one exists
        and ``before_create`` just before each part's create call, after its media uploads
        (uploading can take minutes; whoever holds a lease must know it still does).
        A platform that stages a part before publishing it (a container, then a publish call)
        calls ``on_staged`` with the staged id before the publish call.

        Raises a PublishError subclass; ``part_index`` on the error says which part failed.
        Whatever ``before_create`` raises propagates, with nothing created for that part.
        """
        ...

    def preflight(self, request: PublishRequest) -> None:
        """Raise Invalid if the platform would refuse a part not yet published; sends
        nothing. ``publish`` calls it first; it applies the same rule as ``check``."""
        ...

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        """After an OutcomeUnknown: whether part ``part_index`` exists on the platform.

        ``since`` is when the first attempt that may have created it began (the due instant
        when not given); the lookup must cover every post of the account from then to now.
        The answer is Found(part), Absent(coverage) only with the evidence that the whole
        interval was seen (or the platform's record key proves it), or CannotTell(reason),
        never an exception for a platform that could not answer: a 429, a 5xx, a dropped
        connection or a lookup out of time all mean "cannot tell".
        """
        ...

    def verify(self) -> AccountInfo:
        """Check the credentials; AuthFailed with a plain message when they do not work."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Renewable(Protocol):
    """A publisher whose platform exchanges a long-lived token for a fresh one (Instagram's
    and Threads' refresh endpoints); the daemon asks before the token runs out."""

    def renew(self) -> datetime | None:
        """Exchange the account's token for a fresh one and keep it (in the state folder,
        mode 600, where the publisher reads it first from then on); return when the new one
        expires (None if the platform does not say). AuthFailed when the platform refuses:
        a person must reconnect the account."""
        ...


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

    clock: Clock
    credentials: CredentialStore
    state_dir: Path  # where publishers persist sessions and rotated tokens (mode 600 files)
    outbox: Path  # the sandbox publisher's folder
    timeout: float = 30.0  # seconds for connect and for read, on every HTTP call
    lookup_seconds: float = LOOKUP_SECONDS  # the time one lookup may take (see Coverage)
    # The operator's X API base (SCHEDULER_X_API_BASE, checked by the settings); it wins over
    # an account's own, and OAuth 2.0 token refresh goes there too. Never from a campaign.
    x_api_base: str | None = None
    gate: RequestGate = OPEN_GATE  # the daemon passes its own; one-off commands need none
    # Where platforms that fetch images from a URL find them (``platforms.public_media``);
    # None when the operator has configured none, and such a platform then says so.
    public_media: PublicMediaHost | None = None


PublisherFactory = Callable[[AccountSpec, PlatformContext], Publisher]
