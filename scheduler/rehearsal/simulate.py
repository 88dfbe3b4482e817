"""Simulated platforms: in-process publishers that behave like the real ones, in simulated time.

Each follows the Publisher protocol and takes its facts from the platform's descriptor, the
one place the project keeps them (``scheduler.descriptors``): the text and media limits the
real publishers check, and the quotas the platform publishes. What a real platform would
answer, the simulator answers the same way:

* a part the platform would refuse raises ``Invalid`` (the publishers' own check);
* every create passes the request gate first, as every real request does
  (``PlatformContext.gate``; in a rehearsal the daemon's own ``LedgerGate``): the account's
  pauses, and the quotas the ledger counts, hold a post back exactly as they would in the
  daemon, before anything reaches the platform. So the rehearsal and the daemon cannot
  disagree about a quota: it is the same code;
* the limits the platform counts itself and only its headers report (requests of every
  kind, uploads, an app's total over every account: a quota without ``counts``) answer
  ``RateLimited`` as a 429 with the wait the platform would ask for;
* after the account's token expires, every call raises ``AuthFailed``, as a 401;
* a part sent again with the same idempotency key returns the part already made.

Nothing leaves the process: posts are kept in memory, one record per account shared by every
publisher of that account, so a retry after a rebuild sees what was sent.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scheduler import descriptors
from scheduler.descriptors import Quota
from scheduler.platforms.base import (
    CREATE,
    OPEN_GATE,
    Absent,
    AccountInfo,
    AccountSpec,
    AuthFailed,
    BeforeCreate,
    CannotTell,
    Coverage,
    Found,
    Invalid,
    Lookup,
    PartCallback,
    PartResult,
    PublishRequest,
    PublishResult,
    RateLimited,
    RequestGate,
    StagedCallback,
)
from scheduler.platforms.rules import check_request

# Uploads and other requests are not simulated one by one: each part is one request, and
# each image one upload.
UPLOADS = "media uploads"


@dataclass(frozen=True, slots=True)
class Sent:
    account: str
    at: datetime
    index: int
    request: PublishRequest


@dataclass(frozen=True, slots=True)
class Refusal:
    """A call the simulated platform refused, for the report."""

    account: str
    at: datetime
    kind: str  # quota | token | invalid
    message: str
    due: datetime  # the due instant of the post it refused


@dataclass
class Platforms:
    """Every simulated account of one rehearsal, and what was sent to each."""

    clock: Any  # scheduler.clock.Clock
    gate: RequestGate = OPEN_GATE  # what every create passes first (the daemon's)
    expiry: dict[str, datetime] = field(default_factory=dict)  # account -> token expiry
    sent: dict[str, list[Sent]] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)
    platform_of: dict[str, str] = field(default_factory=dict)  # account -> platform
    _by_key: dict[tuple[str, str], PartResult] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publisher(self, spec: AccountSpec) -> SimulatedPublisher:
        publisher = SimulatedPublisher(spec, self)
        with self._lock:
            self.platform_of[spec.name] = publisher.platform
        return publisher

    def sent_times(self, account: str, due: datetime) -> list[datetime]:
        """When each part of the post due at ``due`` went out on ``account``, in order."""
        with self._lock:
            made = list(self.sent.get(account, ()))
        return sorted(s.at for s in made if s.request.created_at == due)


def simulated_platform(spec: AccountSpec) -> str:
    """The platform an account stands for (a stand-in account, the sandbox, names its own)."""
    if descriptors.get(spec.platform).stands_in:
        return spec.settings.get("as_platform") or spec.platform
    return spec.platform


def cost(quota: Quota, sent: Sent) -> int:
    """What one created part spends of a quota the platform counts itself (0: none)."""
    if quota.what == UPLOADS:
        return len(sent.request.parts[sent.index].media)
    return 1  # requests of every kind, or an app's total: the part is one request


class SimulatedPublisher:
    def __init__(self, spec: AccountSpec, platforms: Platforms) -> None:
        self.account = spec.name
        self.platform = simulated_platform(spec)
        self.rules = descriptors.rules_of(spec)
        self.handle = spec.settings.get("handle") or spec.settings.get("username") or spec.name
        tier = spec.settings.get("tier")
        # Only what the platform counts by itself: the gate holds the ones the ledger counts.
        self.quotas = tuple(
            q
            for q in self.rules.rate_limits.quotas
            if q.counts is None and (q.tier is None or q.tier == tier)
        )
        self._platforms = platforms

    def __repr__(self) -> str:
        return f"SimulatedPublisher(account={self.account!r}, platform={self.platform!r})"

    def preflight(self, request: PublishRequest) -> None:
        try:
            check_request(self.rules, request)
        except Invalid as exc:
            self._refuse(request, "invalid", exc.message)
            raise

    def publish(
        self,
        request: PublishRequest,
        on_part: PartCallback | None = None,
        before_create: BeforeCreate | None = None,
        on_staged: StagedCallback | None = None,
    ) -> PublishResult:
        self.preflight(request)
        results = list(request.done)
        for index in range(len(request.done), len(request.parts)):
            key = (self.account, request.parts[index].idempotency_key or f"{id(request)}:{index}")
            with self._platforms._lock:
                result = self._platforms._by_key.get(key)
            if result is None:
                self._check_token(request, index)
                if before_create is not None:
                    before_create(index)
                gate = self._platforms.gate
                gate.before(self.account, self.platform, CREATE)
                self._check_quota(request, index)
                result = self._create(request, index, key)
                gate.after(self.account, self.platform, CREATE, 200, {})
            results.append(result)
            if on_part is not None:
                on_part(result)
        return PublishResult(tuple(results))

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        """Exact: the simulated platform holds every post of the account, so its listing
        always ends, unless the token has expired (a refused read decides nothing)."""
        try:
            self._check_token(request, part_index)
        except AuthFailed as exc:
            return CannotTell.because(exc, "listing the account's posts")
        key = (self.account, request.parts[part_index].idempotency_key)
        with self._platforms._lock:
            found = self._platforms._by_key.get(key)
        if found is not None:
            return Found(found)
        return Absent(Coverage.listing_ended(since or request.created_at, 1))

    def verify(self) -> AccountInfo:
        now = self._platforms.clock.now()
        expires = self._platforms.expiry.get(self.account)
        if expires is not None and now >= expires:
            raise AuthFailed(
                f"the token of {self.account} expired on {expires:%Y-%m-%d %H:%M} UTC",
                platform=self.platform,
                status=401,
            )
        return AccountInfo(
            platform=self.platform,
            account=self.account,
            remote_id=f"rehearsal:{self.account}",
            handle=self.handle,
        )

    def close(self) -> None:
        pass

    # --- the platform's answers -------------------------------------------------------------

    def _refuse(self, request: PublishRequest, kind: str, message: str) -> None:
        with self._platforms._lock:
            self._platforms.refusals.append(
                Refusal(
                    self.account, self._platforms.clock.now(), kind, message, request.created_at
                )
            )

    def _check_token(self, request: PublishRequest, index: int) -> None:
        now = self._platforms.clock.now()
        expires = self._platforms.expiry.get(self.account)
        if expires is not None and now >= expires:
            message = f"the token of {self.account} expired on {expires:%Y-%m-%d %H:%M} UTC"
            self._refuse(request, "token", message)
            raise AuthFailed(message, platform=self.platform, status=401, part_index=index)

    def _check_quota(self, request: PublishRequest, index: int) -> None:
        now = self._platforms.clock.now()
        candidate = Sent(self.account, now, index, request)
        for quota in self.quotas:
            price = cost(quota, candidate)
            if price == 0:
                continue
            with self._platforms._lock:
                if quota.scope == "app":
                    sent = [s for made in self._platforms.sent.values() for s in made]
                    sent = [
                        s for s in sent if self._platforms.platform_of[s.account] == self.platform
                    ]
                else:
                    sent = list(self._platforms.sent.get(self.account, ()))
            inside = sorted((s.at, cost(quota, s)) for s in sent if s.at > now - quota.per)
            spent = sum(c for _, c in inside)
            if spent + price <= quota.requests:
                continue
            # Wait until enough of the oldest leave the window to make room for this one.
            until = now
            for at, c in inside:
                spent -= c
                until = at + quota.per
                if spent + price <= quota.requests:
                    break
            message = (
                f"{self.rules.label} allows {quota.requests} {quota.what} per "
                f"{_duration(quota.per.total_seconds())} ({quota.scope})"
            )
            self._refuse(request, "quota", message)
            raise RateLimited(
                message,
                retry_after=max((until - now).total_seconds(), 1.0),
                platform=self.platform,
                status=429,
                part_index=index,
            )

    def _create(self, request: PublishRequest, index: int, key: tuple[str, str]) -> PartResult:
        now = self._platforms.clock.now()
        with self._platforms._lock:
            found = self._platforms._by_key.get(key)
            if found is not None:
                return found
            made = self._platforms.sent.setdefault(self.account, [])
            number = len(made) + 1
            result = PartResult(
                index=index,
                remote_id=f"{self.account}-{number}",
                url=f"https://{self.platform}.rehearsal.invalid/{self.account}/{number}",
            )
            made.append(Sent(self.account, now, index, request))
            self._platforms._by_key[key] = result
        return result


def _duration(seconds: float) -> str:
    if seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return "hour" if hours == 1 else f"{hours} hours"
    minutes = int(seconds // 60)
    return f"{minutes} minutes"
