"""The gate every request to an account passes, kept in the ledger.

Before each request (a new post, a later thread part, a lookup, an upload) the gate reads
the account's pause from the ledger and refuses with AccountPaused, sending nothing, while
one is in force. Before a post is created it also counts what the account published in each
quota's window (from the ledger, so every daemon's posts count) and, when the quota is
spent, pauses the account until the oldest counted part leaves the window: a burst is
spread out, not refused. After each answer it reads the rate-limit headers: a 429 pauses
the account until the platform's reset, and so does a window that has nothing left, before
the 429 comes.

Because the pause is a ledger row, every daemon sharing the ledger honours it, a restarted
daemon too, and the claim skips the drafts of a paused account.

The gate also counts, per worker thread, the requests it let through since the worker began
an attempt: an attempt refused before it sent anything is no attempt at all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scheduler import descriptors
from scheduler.accounts import AccountSpec
from scheduler.clock import Clock
from scheduler.daemon.report import Reporter
from scheduler.descriptors import Quota
from scheduler.errors import LedgerError
from scheduler.platforms import ratelimit
from scheduler.platforms.base import CREATE, AccountPaused
from scheduler.platforms.quota import next_allowed, quotas_for

# The count after a post is skipped while the count before it left room for at least this
# many more posts. That count only pauses the account early, so that its next drafts wait
# unclaimed; what keeps a quota is the count before every post, which is never skipped.
NEAR_QUOTA = 32
# How long a read made just before a request (``campaign_paused``) may stand in for the
# request's own: the publisher's preparation in between takes microseconds; one that takes
# longer (a large file read, say) has its request read afresh.
PRIMED_FOR_S = 0.5

QuotasFor = Callable[[str, str], tuple[Quota, ...]]
"""The quotas of an account, from its name and platform."""


@dataclass
class Sent:
    """What the gate let through on one thread since ``LedgerGate.begin``."""

    requests: int = 0
    creates: int = 0
    # Posts the account's fullest quota had room for after the one being created, as its
    # count before the request said (None: not counted, or no quota).
    room: int | None = None
    # The account's pause and counts, read with the campaign's pause just before the next
    # request (``LedgerGate.campaign_paused``); that request uses them, and only it.
    primed: _Primed | None = None


@dataclass(frozen=True)
class _Primed:
    account: str
    platform: str  # the quotas counted are this platform's
    pause: Any
    counts: tuple[int, ...]
    at: float  # time.monotonic() of the read: freshness, not the injected clock's time


def platform_quotas(account: str, platform: str) -> tuple[Quota, ...]:
    return quotas_for(platform)


def account_quotas(spec_of: Callable[[str], AccountSpec | None]) -> QuotasFor:
    """Quotas picked by the account's own settings (X's tier), from ``spec_of`` (the account
    as a campaign names it; None: no campaign does, and the platform's alone apply)."""

    def quotas(account: str, platform: str) -> tuple[Quota, ...]:
        spec = spec_of(account)
        if spec is not None and spec.platform == platform:
            return quotas_for(platform, spec.settings)
        return quotas_for(platform)

    return quotas


class LedgerGate:
    """``platforms.base.RequestGate`` over the ledger. Thread-safe.

    ``before`` lets a LedgerError through: a pause that cannot be read is no leave to send.
    """

    def __init__(
        self,
        ledger: Any,
        clock: Clock,
        *,
        quotas: QuotasFor = platform_quotas,
        reporter: Reporter | None = None,
    ) -> None:
        self.ledger = ledger
        self.clock = clock
        self.quotas = quotas
        self.reporter = reporter
        self._local = threading.local()

    # --- the RequestGate protocol -------------------------------------------------------------

    def before(self, account: str, platform: str, kind: str) -> None:
        now = self.clock.now()
        sent = self.sent()
        sent.room = None
        primed, sent.primed = sent.primed, None
        if primed is not None and (
            (primed.account, primed.platform) != (account, platform)
            or time.monotonic() - primed.at > PRIMED_FOR_S
        ):
            primed = None
        if kind == CREATE:
            # The pause and every quota's count in one read: it comes before every post.
            quotas = self.quotas(account, platform)
            if primed is not None:
                pause, counts = primed.pause, primed.counts
            else:
                pause, counts = self.ledger.account_gate(
                    account, now=now, since=[now - q.per for q in quotas]
                )
            if pause is None:
                pause = self._quota_pause(account, platform, now, extra=(), counts=counts)
            if pause is None and quotas:
                sent.room = min(
                    q.requests // q.cost - n - 1 for q, n in zip(quotas, counts, strict=True)
                )
        elif primed is not None:
            pause = primed.pause
        else:
            pause = self.ledger.account_pause(account, now=now)
        if pause is not None and pause.until <= now:
            pause = None
        if pause is not None:
            until = pause.until.isoformat(timespec="seconds")
            raise AccountPaused(
                f"{platform}: account {account} is paused until {until} ({pause.reason}); "
                "nothing was sent",
                retry_after=max((pause.until - now).total_seconds(), 0.0),
                platform=platform,
            )
        sent.requests += 1
        if kind == CREATE:
            sent.creates += 1

    def after(
        self, account: str, platform: str, kind: str, status: int, headers: Mapping[str, str]
    ) -> None:
        # The request was sent: a ledger that cannot be written now must not turn the answer
        # (say, a post that exists) into an error. The next answer's headers say it again.
        try:
            self._after(account, platform, kind, status, headers)
        except LedgerError as exc:
            if self.reporter is not None:
                self.reporter.event("ledger_error", "error", account=account, error=str(exc))

    def _after(
        self, account: str, platform: str, kind: str, status: int, headers: Mapping[str, str]
    ) -> None:
        now = self.clock.now()
        known = descriptors.find(platform)
        limits = ratelimit.read(headers, now, known.rate_limits if known else None)
        if status == 429:
            wait = limits.wait(now)
            if wait is not None:
                self.pause(
                    account,
                    now + timedelta(seconds=wait),
                    reason=f"{platform} answered 429 (rate limited)",
                    source="rate_limited",
                )
            return
        spent = limits.spent_until()
        if spent is not None and spent[0] > now:
            self.pause(account, spent[0], reason=f"{spent[1]} has nothing left", source="headers")
        room = self.sent().room
        if kind == CREATE and 200 <= status < 300 and (room is None or room < NEAR_QUOTA):
            # This post counts from now on: if it spent a quota, stop before the next one.
            self._quota_pause(account, platform, now, extra=((now, 0),))

    # --- for the daemon -----------------------------------------------------------------------

    def pause(self, account: str, until: datetime, *, reason: str, source: str) -> Any:
        """Pause ``account`` in the ledger (a later pause already stored stays)."""
        now = self.clock.now()
        stored = self.ledger.pause_account(
            account, until=until, reason=reason, source=source, now=now
        )
        if self.reporter is not None:
            self.reporter.event(
                "account_paused",
                "warning",
                account=account,
                until=stored.until,
                reason=stored.reason,
                source=stored.source,
            )
        return stored

    def campaign_paused(self, campaign: str, account: str, platform: str) -> bool:
        """Whether a person paused ``campaign``: the daemon asks just before a post's first
        request and before each later part. The account's pause and quota counts come in the
        same statement, and this thread's next request to ``account`` uses them instead of
        reading them again (only that request, and only within PRIMED_FOR_S): nothing runs in
        between but the publisher's own preparation, so they are as fresh as its own read."""
        now = self.clock.now()
        quotas = self.quotas(account, platform)
        pause, counts, paused = self.ledger.gate_with_campaign(
            account, campaign, now=now, since=[now - q.per for q in quotas]
        )
        sent = self.sent()
        sent.primed = (
            None if paused else _Primed(account, platform, pause, counts, time.monotonic())
        )
        return bool(paused)

    def paused(self, account: str) -> Any:
        """The account's pause in force now, if any."""
        return self.ledger.account_pause(account, now=self.clock.now())

    def begin(self) -> None:
        """A worker begins an attempt on this thread: count its requests from zero."""
        self._local.sent = Sent()

    def sent(self) -> Sent:
        found: Sent | None = getattr(self._local, "sent", None)
        if found is None:
            found = self._local.sent = Sent()
        return found

    # --- quotas -------------------------------------------------------------------------------

    def _quota_pause(
        self,
        account: str,
        platform: str,
        now: datetime,
        *,
        extra: tuple[tuple[datetime, int], ...],
        counts: tuple[int, ...] | None = None,
    ) -> Any:
        """Pause the account when one of its quotas has no room for another post (``counts``:
        each quota's count, when the caller read them already)."""
        quotas = self.quotas(account, platform)
        if not quotas:
            return None
        if counts is None:
            _, counts = self.ledger.account_gate(
                account, now=now, since=[now - q.per for q in quotas]
            )
        # Most checks end here: one count per quota, over every part (so never less than
        # what the quota counts), shows room for one more post.
        full = [
            q
            for q, n in zip(quotas, counts, strict=True)
            if (n + len(extra) + 1) * q.cost > q.requests
        ]
        if not full:
            return None
        longest = max(q.per for q in full)
        sent = [*self.ledger.published_parts(account, since=now - longest)]
        sent.extend(extra)
        latest: tuple[datetime, Quota] | None = None
        for quota in full:
            at = next_allowed(quota, sent, now)
            if at is not None and (latest is None or at > latest[0]):
                latest = (at, quota)
        if latest is None:
            return None
        at, quota = latest
        return self.pause(
            account,
            at,
            reason=f"its quota of {quota.requests} {quota.name} is spent",
            source="quota",
        )
