"""What a monitor asks from outside: is the ledger answering (``/healthz``), and what is
happening (``/metrics``, the Prometheus text format). Shared by the daemon and the review
pages, which each serve both.

Both processes report the ledger's own figures (drafts per state, how many are due and still
waiting for a daemon), read at scrape time with one small query each: these are the truth
across every daemon sharing the ledger. What one daemon did (posts published, retries, its
request latency) is counted by that daemon (scheduler.daemon.metrics).

Nothing here names a campaign, a post or an account: the labels are states and platforms,
so a scrape shows no more than counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from scheduler.errors import LedgerError

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from scheduler.ledger.health import Census

__all__ = ["CONTENT_TYPE", "Checkable", "LedgerCollector", "exposition", "health"]

# The classic text format, which every Prometheus version reads (the names here need no
# escaping, so the page is the same in the newer format).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Now(Protocol):
    def now(self) -> datetime: ...


class Checkable(Protocol):
    """The part of the ledger a probe uses (scheduler.ledger.health)."""

    def ping(self) -> None: ...

    def census(self, *, now: datetime) -> Census: ...


def health(ledger: Checkable) -> tuple[int, str]:
    """(HTTP status, one line): 200 when the ledger answers, 503 when it does not.

    The line never says where the ledger is or why it failed: that goes to the log.
    """
    try:
        ledger.ping()
    except LedgerError:
        return 503, "unavailable: the ledger does not answer\n"
    return 200, "ok\n"


class LedgerCollector(Collector):
    """The ledger's figures, read when scraped; ``scheduler_ledger_up`` 0 when it is down."""

    def __init__(self, ledger: Checkable, clock: _Now) -> None:
        self._ledger = ledger
        self._clock = clock

    def describe(self) -> Iterator[Metric]:
        # Described without a query, so that registering never touches the database.
        return iter(())

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("scheduler_ledger_up", "1 when the ledger answered this scrape")
        try:
            census = self._ledger.census(now=self._clock.now())
        except LedgerError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        drafts = GaugeMetricFamily(
            "scheduler_drafts", "Drafts in the ledger, per state", labels=["state"]
        )
        for state, count in sorted(census.states.items()):
            drafts.add_metric([state], count)
        yield drafts
        yield GaugeMetricFamily(
            "scheduler_queue_depth",
            "Approved drafts whose time has come, waiting for a daemon to claim them",
            value=census.due,
        )
        yield GaugeMetricFamily(
            "scheduler_publishing_paused",
            "Pauses of publishing a person has put in force (one per campaign, or one for all)",
            value=census.paused,
        )


def exposition(registry: CollectorRegistry) -> bytes:
    """The registry in the Prometheus text format (serve it as ``CONTENT_TYPE``)."""
    return generate_latest(registry)
