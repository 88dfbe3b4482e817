"""Whether the claim lease outlasts a request that may create a post.

A worker renews its lease before each step that talks to a platform once half of it is
gone (``Worker._keep``), so a request may begin with only half the lease left. A create
request (up to the HTTP timeout to connect and as long again to read) that outlives the
lease lets another daemon take the draft over while it is still out: the new holder looks
for the post before posting, but a request that lands after that look is a second copy
where the platform has no idempotency key. The daemon says so once, at start.

Polling does not count (a container being built, an upload being processed: the
descriptors' ``polls_for``): it comes before the renewal made just ahead of the create
call (``before_create``), and the staged container or upload is in the ledger. A daemon
that takes a draft over during a long poll finds that container and publishes it; the
first holder then fails its renewal and stops. Polling longer than the lease only wastes
the first holder's wait, so it is reported with the step, not warned about on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from scheduler import descriptors
from scheduler.accounts import AccountSpec


@dataclass(frozen=True, slots=True)
class Step:
    """The longest step of one account: its request and its polling, in seconds."""

    account: str
    platform: str
    request: float
    polling: float
    setting: str | None = None  # the account setting that changes the polling

    @property
    def seconds(self) -> float:
        return self.request + self.polling


def longest_step(spec: AccountSpec, http_timeout: float) -> Step:
    known = descriptors.find(spec.platform)
    if known is not None and known.stands_in:  # the sandbox writes files: nothing to time out
        return Step(spec.name, spec.platform, 0.0, 0.0)
    if known is None:
        return Step(spec.name, spec.platform, 2 * http_timeout, 0.0)
    polling = known.polls_for(spec.settings)
    return Step(spec.name, spec.platform, 2 * http_timeout, polling, known.poll_setting)


def too_long(lease: float, http_timeout: float, accounts: Iterable[AccountSpec]) -> list[Step]:
    """The accounts whose create request can outlast the half lease it may begin with,
    longest step first."""
    steps = [longest_step(spec, http_timeout) for spec in accounts]
    over = [step for step in steps if step.request > lease / 2]
    return sorted(over, key=lambda step: (-step.seconds, step.account))


def warning(lease: float, http_timeout: float, over: list[Step]) -> dict[str, object]:
    """The fields of the one ``lease_too_short`` event for ``over`` (see ``too_long``)."""
    worst = over[0]
    return {
        "lease": lease,
        "account": worst.account,
        "platform": worst.platform,
        "step": worst.seconds,
        "accounts": len(over),
        "message": (
            f"the claim lease ({lease:g} s) is renewed when half is left, and one request "
            f"for account {worst.account} ({worst.platform}) can take {worst.request:g} s "
            f"(HTTP timeout {http_timeout:g} s to connect and to read): another daemon may "
            "take a draft over while its create request is out"
        ),
        "hint": (
            f"set SCHEDULER_DAEMON_LEASE to at least {2 * worst.request:g}, or lower "
            "SCHEDULER_DAEMON_HTTP_TIMEOUT"
        ),
    }
