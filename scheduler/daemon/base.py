"""The daemon's interface: its options, what it is given, and its errors.

The daemon publishes approved drafts at their due times. It is given (by the composition root)
a ledger, a way to get the publisher of an account, the campaign folders, a clock, an event
log and an optional notifier; it builds nothing concrete itself.

Options come from defaults, overridden by ``SCHEDULER_DAEMON_*`` environment variables (so a
rehearsal or a test can shorten leases and backoff without code), overridden by arguments.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from scheduler.accounts import AccountSpec
from scheduler.approval import Policy
from scheduler.daemon.retry import RetryPolicy
from scheduler.daemon.windows import THREAD_COMPLETION
from scheduler.draft import Draft
from scheduler.errors import SchedulerError
from scheduler.ledger.base import ApprovalRule
from scheduler.platforms.base import Publisher
from scheduler.settings import DAEMON_PREFIX, family

__all__ = [
    "CampaignSource",
    "DaemonError",
    "DaemonOptions",
    "Loaded",
    "PublisherFor",
    "new_owner",
]


class DaemonError(SchedulerError):
    """The daemon cannot start or go on (for example: no campaign could be loaded)."""


def new_owner() -> str:
    """A name for this daemon process, unique among every daemon sharing a ledger."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class DaemonOptions:
    owner: str = field(default_factory=new_owner)
    lease: float = 300.0  # seconds a claim is held before another daemon may take it over
    sweep_interval: float = 5.0  # how often to look for due work the timers did not start
    reload_interval: float = 2.0  # how often campaign files are checked for changes
    remind_ahead: float = 3600.0  # report unapproved drafts this long before they are due
    # A draft without its own latest time may go out this late, and no later.
    max_lateness: float = 6 * 3600.0
    # A thread with a part already public may still be finished this long after its window
    # ends (see scheduler.daemon.windows); past that it is missed.
    thread_completion: float = THREAD_COMPLETION
    workers: int = 4  # posts published at the same time
    grace: float = 30.0  # on SIGTERM, how long in-flight posts may take to finish
    exit_when_done: bool = False  # stop once nothing is left to publish or to wait for
    http_timeout: float = 30.0  # seconds to connect, and to read, on every platform call
    # Where the daemon serves /healthz and /metrics; None serves nothing.
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def ledger_connections(self) -> int:
        """Ledger connections the daemon keeps open: one per worker, one for the dispatcher's
        claims and one for the timers and periodic jobs (``ledger.open_ledger``)."""
        return self.workers + 2

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DaemonOptions:
        """Defaults, then ``SCHEDULER_DAEMON_<FIELD>`` (``SCHEDULER_DAEMON_RETRY_<FIELD>``),
        each checked against its range in scheduler.settings. A caller that must decide a
        field itself uses ``dataclasses.replace``, which mypy checks field by field."""
        values: dict[str, Any] = {}
        retry_values: dict[str, Any] = {}
        for name, value in family(DAEMON_PREFIX, env).items():
            if name.startswith("retry_"):
                retry_values[name.removeprefix("retry_")] = value
            else:
                values[name] = value
        options = cls(**values)
        if retry_values:
            options = replace(options, retry=replace(options.retry, **retry_values))
        return options

    @property
    def lease_delta(self) -> timedelta:
        return timedelta(seconds=self.lease)


@dataclass(frozen=True)
class Loaded:
    """One campaign as the daemon needs it: its drafts, folder and approval rule."""

    campaign_id: str
    title: str
    root: Path  # the campaign folder; media paths resolve inside it
    timezone: str
    drafts: list[Draft]
    rule: ApprovalRule | None = None  # passed to Ledger.sync
    accounts: dict[str, AccountSpec] = field(default_factory=dict)
    policy: Policy | None = None  # for people's decisions


class CampaignSource(Protocol):
    """Where the campaigns come from; the daemon reloads them when ``changed()``."""

    def load(self) -> list[Loaded]:
        """Every campaign, loaded and rendered; raises CampaignError listing problems."""
        ...

    def changed(self) -> bool:
        """True when the files changed since the last ``load`` (cheap: file mtimes)."""
        ...


PublisherFor = Callable[[Draft], Publisher]
"""Returns the publisher for a draft's account (the composition root decides which)."""
