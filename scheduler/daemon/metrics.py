"""The daemon's own figures for ``/metrics``, and the small HTTP server that shows them.

Counters are derived from the daemon's events, the same stream its log is written from
(``MetricsSink`` sits in front of the event log), so the log and the figures can never tell
two stories, and the daemon's code holds no metric calls of its own. ``EVENTS`` is the one
table of which event counts as what; a test checks that the daemon still emits each name.
Platform latency is timed around each publisher's calls (``timed``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from scheduler.clock import Clock
from scheduler.daemon.base import PublisherFor
from scheduler.descriptors import Descriptor
from scheduler.draft import Draft, PartResult
from scheduler.log import EventSink
from scheduler.metrics import CONTENT_TYPE, Checkable, LedgerCollector, exposition, health
from scheduler.platforms.base import (
    AccountInfo,
    BeforeCreate,
    Lookup,
    PartCallback,
    Publisher,
    PublishRequest,
    PublishResult,
    StagedCallback,
)

# Seconds; lateness is milliseconds when all is well and minutes after an outage.
LATENESS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30)

# Event name -> (counter, label value or ""). Notices are events of their kind's name.
EVENTS: dict[str, tuple[str, str]] = {
    "published": ("posts", "published"),
    "failed": ("posts", "failed"),
    "missed": ("posts", "missed"),
    "outcome_unknown": ("posts", "outcome_unknown"),
    "retry_wait": ("retries", "error"),
    "reconcile_later": ("retries", "reconcile"),
    "deferred": ("retries", "paused"),  # claimed, then found paused: no attempt was made
    "account_paused": ("pauses", ""),
    "lease_taken_over": ("takeovers", ""),
}
# The event that starts an attempt, with its lateness (``late``, seconds after the due time).
PUBLISHING = "publishing"
# A notice's field marking a reminder of a state the ledger already held (at start-up): it
# is not something this daemon did, so it is not counted.
STANDING = "standing"


class DaemonMetrics:
    """One daemon's counters and histograms, in a registry of its own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.counters: dict[str, Counter] = {
            "posts": Counter(
                "scheduler_posts",
                "Drafts this daemon settled, by outcome",
                ["outcome"],
                registry=r,
            ),
            "retries": Counter(
                "scheduler_retries",
                "Drafts put off to later: after an error, to look again for a lost answer, or "
                "because the account turned out to be paused (not counted as an attempt)",
                ["reason"],
                registry=r,
            ),
            "pauses": Counter(
                "scheduler_account_pauses",
                "Times an account was paused: a 429, headers saying nothing is left, a spent quota",
                registry=r,
            ),
            "takeovers": Counter(
                "scheduler_lease_takeovers",
                "Drafts this daemon took over from a daemon whose lease ran out mid-publish",
                registry=r,
            ),
        }
        for outcome in ("published", "failed", "missed", "outcome_unknown"):
            self.counters["posts"].labels(outcome)
        for reason in ("error", "reconcile", "paused"):
            self.counters["retries"].labels(reason)
        self.lateness = Histogram(
            "scheduler_publish_lateness_seconds",
            "Seconds from a draft's due time to the start of its first attempt",
            buckets=LATENESS_BUCKETS,
            registry=r,
        )
        self.latency = Histogram(
            "scheduler_platform_request_seconds",
            "Seconds per platform call: creating one part, or looking for one",
            ["platform", "call"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )

    def watch_ledger(self, ledger: Checkable, clock: Clock) -> None:
        self.registry.register(LedgerCollector(ledger, clock))

    def observe(self, name: str, fields: Mapping[str, Any]) -> None:
        """Count the event ``name``, if it is one that counts."""
        if name == PUBLISHING:
            late = fields.get("late")
            if fields.get("attempt") == 1 and not fields.get("resume_at") and late is not None:
                self.lateness.observe(max(0.0, float(late)))
            return
        found = EVENTS.get(name)
        if found is None or fields.get(STANDING):
            return
        counter, label = found
        metric = self.counters[counter]
        (metric.labels(label) if label else metric).inc()

    def timed(self, publisher_for: PublisherFor) -> PublisherFor:
        """``publisher_for`` whose publishers time each platform call."""

        def timed_for(draft: Draft) -> Publisher:
            return TimedPublisher(publisher_for(draft), self.latency)

        return timed_for


class MetricsSink:
    """An EventSink that counts each event in ``metrics`` and passes it on unchanged."""

    def __init__(self, inner: EventSink, metrics: DaemonMetrics) -> None:
        self._inner = inner
        self._metrics = metrics

    def event(self, name: str, /, level: str = "info", **fields: Any) -> None:
        self._metrics.observe(name, fields)
        self._inner.event(name, level, **fields)


class TimedPublisher:
    """A publisher whose create and find calls are timed, per platform.

    A create is timed from the moment ``before_create`` returns (media uploaded, lease
    renewed) to the moment the part exists (``on_part``) or the call fails, so neither the
    uploads nor the daemon's own ledger writes count as the platform's latency.
    """

    def __init__(self, inner: Publisher, latency: Histogram) -> None:
        self._inner = inner
        self._latency = latency
        self.platform: str = inner.platform
        self.rules: Descriptor = inner.rules

    def preflight(self, request: PublishRequest) -> None:
        self._inner.preflight(request)

    def publish(
        self,
        request: PublishRequest,
        on_part: PartCallback | None = None,
        before_create: BeforeCreate | None = None,
        on_staged: StagedCallback | None = None,
    ) -> PublishResult:
        creates = self._latency.labels(self.platform, "create")
        started: list[float] = []

        def timed_before(index: int) -> None:
            if before_create is not None:
                before_create(index)
            started[:] = [time.perf_counter()]

        def timed_part(part: PartResult) -> None:
            if started:
                creates.observe(time.perf_counter() - started.pop())
            if on_part is not None:
                on_part(part)

        try:
            return self._inner.publish(request, timed_part, timed_before, on_staged)
        finally:
            if started:  # the create call failed: its time counts too
                creates.observe(time.perf_counter() - started.pop())

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        start = time.perf_counter()
        try:
            return self._inner.find(request, part_index, since)
        finally:
            self._latency.labels(self.platform, "find").observe(time.perf_counter() - start)

    def verify(self) -> AccountInfo:
        return self._inner.verify()

    def close(self) -> None:
        self._inner.close()


class MetricsServer:
    """``/healthz`` and ``/metrics`` over plain HTTP, in a background thread."""

    def __init__(self, host: str, port: int, registry: CollectorRegistry, ledger: Checkable):
        handler = _handler(registry, ledger)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="metrics", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(registry: CollectorRegistry, ledger: Checkable) -> type[BaseHTTPRequestHandler]:
    routes: dict[str, Callable[[], tuple[int, bytes, str]]] = {
        "/healthz": lambda: _text(*health(ledger)),
        "/metrics": lambda: (200, exposition(registry), CONTENT_TYPE),
    }

    class Handler(BaseHTTPRequestHandler):
        server_version = "scheduler"
        sys_version = ""

        def do_GET(self) -> None:
            route = routes.get(self.path.split("?", 1)[0])
            status, body, ctype = route() if route else _text(404, "not found\n")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Probes every few seconds are not news; the daemon's log stays its own."""

    return Handler


def _text(status: int, line: str) -> tuple[int, bytes, str]:
    return status, line.encode(), "text/plain; charset=utf-8"
