"""``/healthz`` and ``/metrics`` of the review pages, for a load balancer and a monitor.

Neither needs a sign-in and neither shows anything of a campaign: ``/healthz`` is one line,
``/metrics`` the ledger's counts per state (scheduler.metrics) and the pages' own response
times per route. Put ``/metrics`` behind the proxy's allow-list when the pages are public
(docs/deploy.md).
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Histogram
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduler.clock import Clock
from scheduler.ledger.base import Ledger
from scheduler.metrics import CONTENT_TYPE, LedgerCollector, exposition, health

PROBE_PATHS = frozenset({"/healthz", "/metrics"})
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Probes:
    def __init__(self, ledger: Ledger, clock: Clock) -> None:
        self.ledger = ledger
        self.registry = CollectorRegistry()
        self.registry.register(LedgerCollector(ledger, clock))
        self.latency = Histogram(
            "scheduler_web_request_seconds",
            "Seconds to answer a request of the review pages, per handler and status class",
            ["route", "status"],
            buckets=BUCKETS,
            registry=self.registry,
        )

    def routes(self) -> list[Route]:
        return [Route("/healthz", self.healthz), Route("/metrics", self.metrics)]

    async def healthz(self, request: Request) -> Response:
        status, line = await run_in_threadpool(health, self.ledger)
        return PlainTextResponse(line, status_code=status)

    async def metrics(self, request: Request) -> Response:
        body = await run_in_threadpool(exposition, self.registry)
        return Response(body, media_type=CONTENT_TYPE)

    def timer(self, app: ASGIApp) -> ASGIApp:
        """Middleware timing every response but the probes' own."""
        return _Timer(app, self.latency)


class _Timer:
    def __init__(self, app: ASGIApp, latency: Histogram) -> None:
        self.app = app
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # The route's handler, never the path: paths carry sign-in tokens and post ids.
            endpoint = scope.get("endpoint")
            name = getattr(endpoint, "__name__", None) or type(endpoint).__name__
            route = "unmatched" if endpoint is None else name
            self.latency.labels(route, f"{status[0] // 100}xx").observe(time.perf_counter() - start)
