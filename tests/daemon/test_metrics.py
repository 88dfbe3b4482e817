"""The daemon's /healthz and /metrics, scraped over HTTP during real runs of ``scheduler run``
against the fake platforms; and the rule that every counted event is one the daemon emits."""

from __future__ import annotations

import ast
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scheduler.clock import SystemClock
from scheduler.daemon.metrics import (
    EVENTS,
    PUBLISHING,
    STANDING,
    DaemonMetrics,
    MetricsServer,
    MetricsSink,
)
from scheduler.daemon.report import Reporter
from scheduler.ledger import open_ledger
from scheduler.log import NullLog
from scheduler.notify.base import Notice
from tests.conftest import ROOT
from tests.daemon.process import Stage, check_exactly_once, stage, wait_exit
from tests.fakes.base import Fault
from tests.fakes.mastodon import STATUSES
from tests.fakes.relay import Relay
from tests.ledger.support import PgSchema, postgres_problem
from tests.probes import get, samples, through, value

__all__ = ["stage"]

DAEMON = ROOT / "scheduler" / "daemon"


def _strings(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def test_every_counted_event_is_one_the_daemon_emits() -> None:
    """A renamed event would silently stop its counter: the names must stay in step."""
    emitted: set[str] = set()
    for path in DAEMON.glob("*.py"):
        if path.name != "metrics.py":
            emitted |= _strings(path)
    missing = sorted(name for name in [*EVENTS, PUBLISHING, STANDING] if name not in emitted)
    assert not missing, f"counted but never emitted by the daemon: {missing}"


NOW = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)

# What each event adds to which sample: (event or notice, fields) -> (sample, labels, delta).
COUNTED = [
    ("published", {}, ("scheduler_posts_total", {"outcome": "published"}, 1)),
    ("failed", {}, ("scheduler_posts_total", {"outcome": "failed"}, 1)),
    ("missed", {}, ("scheduler_posts_total", {"outcome": "missed"}, 1)),
    ("outcome_unknown", {}, ("scheduler_posts_total", {"outcome": "outcome_unknown"}, 1)),
    # A reminder at start-up of a draft already waiting for a person is not a new outcome.
    (
        "outcome_unknown",
        {STANDING: "yes"},
        ("scheduler_posts_total", {"outcome": "outcome_unknown"}, 0),
    ),
    ("retry_wait", {"attempt": 1}, ("scheduler_retries_total", {"reason": "error"}, 1)),
    ("reconcile_later", {}, ("scheduler_retries_total", {"reason": "reconcile"}, 1)),
    ("deferred", {}, ("scheduler_retries_total", {"reason": "paused"}, 1)),
    ("account_paused", {"account": "a"}, ("scheduler_account_pauses_total", {}, 1)),
    ("lease_taken_over", {"attempt": 2}, ("scheduler_lease_takeovers_total", {}, 1)),
    (
        "publishing",
        {"attempt": 1, "late": 0.2},
        ("scheduler_publish_lateness_seconds_count", {}, 1),
    ),
    # Retries and resumed threads are late by design: only first attempts are lateness.
    (
        "publishing",
        {"attempt": 2, "late": 90.0},
        ("scheduler_publish_lateness_seconds_count", {}, 0),
    ),
    (
        "publishing",
        {"attempt": 1, "resume_at": 2, "late": 9.0},
        ("scheduler_publish_lateness_seconds_count", {}, 0),
    ),
    ("part_published", {}, ("scheduler_posts_total", {"outcome": "published"}, 0)),
]
NOTICE_KINDS = {"published", "failed", "missed", "outcome_unknown"}


@pytest.mark.parametrize(("name", "fields", "expect"), COUNTED)
def test_each_event_counts_where_it_should(
    name: str, fields: dict[str, Any], expect: tuple[str, dict[str, str], int]
) -> None:
    metrics = DaemonMetrics()
    reporter = Reporter(MetricsSink(NullLog(), metrics))
    if name in NOTICE_KINDS:
        extra = {k: str(v) for k, v in fields.items()}
        reporter.notice(Notice(kind=name, draft="c/p@a", summary="s", when=NOW, fields=extra))
    else:
        reporter.event(name, key="c/p@a", **fields)
    sample, labels, delta = expect
    assert (metrics.registry.get_sample_value(sample, labels) or 0) == delta


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scrape_until(
    base: str, done: int, timeout: float, stage: Stage
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Scrape every 0.2 s until the daemon counts ``done`` published drafts."""
    deadline = time.monotonic() + timeout
    page: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    while time.monotonic() < deadline:
        try:
            status, _, body = get(f"{base}/metrics")
        except OSError:  # not listening yet
            time.sleep(0.2)
            continue
        assert status == 200
        page = samples(body)
        if value(page, "scheduler_posts_total", outcome="published") >= done:
            return page
        time.sleep(0.2)
    raise AssertionError(f"not all published in time: {page}\n{stage.logs()}")


@pytest.mark.slow
def test_a_run_is_observed_from_outside(stage: Stage) -> None:
    posts, threads = 3, 1
    drafts = 3 * (posts + threads)
    stage.prepare(posts, threads)
    m = stage.masto
    m.inject("POST", STATUSES, m.rate_limit_fault(seconds=1))  # 429: the account pauses
    m.inject("POST", STATUSES, Fault.status(503, {"error": "please try again"}))  # a retry
    port = _free_port()
    stage.env["SCHEDULER_DAEMON_METRICS_PORT"] = str(port)
    base = f"http://127.0.0.1:{port}"
    proc = stage.start()
    try:
        page = _scrape_until(base, drafts, 120, stage)
        assert get(f"{base}/healthz")[:1] == (200,)
        assert get(f"{base}/nothing")[0] == 404
    finally:
        proc.send_signal(signal.SIGTERM)
    assert wait_exit(proc, 60) == 0, stage.logs()
    check_exactly_once(stage, posts, threads)

    assert value(page, "scheduler_posts_total", outcome="published") == drafts
    for outcome in ("failed", "missed", "outcome_unknown"):
        assert value(page, "scheduler_posts_total", outcome=outcome) == 0
    assert value(page, "scheduler_retries_total", reason="error") >= 2
    assert value(page, "scheduler_account_pauses_total") >= 1
    assert value(page, "scheduler_lease_takeovers_total") == 0
    # Every draft's first attempt, and how late it started.
    assert value(page, "scheduler_publish_lateness_seconds_count") == drafts
    assert value(page, "scheduler_publish_lateness_seconds_bucket", le="+Inf") == drafts
    # One create per part that went out, plus the refused ones, per platform.
    parts = posts + 3 * threads
    for platform in ("mastodon", "bluesky", "x"):
        count = value(
            page, "scheduler_platform_request_seconds_count", platform=platform, call="create"
        )
        assert count >= parts, platform
    assert (
        value(page, "scheduler_platform_request_seconds_count", platform="mastodon", call="create")
        == parts + 2
    )
    # The ledger's own figures, read at the scrape.
    assert value(page, "scheduler_ledger_up") == 1
    assert value(page, "scheduler_drafts", state="published") == drafts
    assert value(page, "scheduler_queue_depth") == 0


@pytest.mark.slow
def test_a_takeover_is_counted_by_the_daemon_that_took_over(stage: Stage) -> None:
    stage.prepare(1, 0)
    # The first create is stored at once and answered late: the kill lands in between.
    stage.masto.inject("POST", STATUSES, Fault.delay(3.0))
    first = stage.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not stage.masto.statuses:
        time.sleep(0.02)
    stage.kill(first)
    assert stage.masto.statuses, stage.logs()
    # Every draft the killed daemon held (the Mastodon one at least) is taken over once.
    states = [str(r.state) for r in stage.records()]
    held = states.count("publishing")
    assert held >= 1
    # What the first daemon finished before the kill is not the second's to count.
    left = len(states) - states.count("published")
    port = _free_port()
    stage.env["SCHEDULER_DAEMON_METRICS_PORT"] = str(port)
    second = stage.start()
    try:
        page = _scrape_until(f"http://127.0.0.1:{port}", left, 120, stage)
    finally:
        second.send_signal(signal.SIGTERM)
    assert wait_exit(second, 60) == 0, stage.logs()
    check_exactly_once(stage, 1, 0)
    assert value(page, "scheduler_lease_takeovers_total") == held
    # The taken-over draft was found on the platform, not posted again.
    assert (
        value(page, "scheduler_platform_request_seconds_count", platform="mastodon", call="find")
        >= 1
    )


def test_a_taken_metrics_port_stops_the_daemon_with_one_line(stage: Stage) -> None:
    stage.prepare(1, 0)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        stage.env["SCHEDULER_DAEMON_METRICS_PORT"] = str(taken.getsockname()[1])
        proc = stage.start()
        assert wait_exit(proc, 60) == 1
    log = stage.logs()
    assert "error: cannot serve metrics on 127.0.0.1:" in log and "Traceback" not in log


@pytest.mark.postgres
def test_the_daemons_healthz_is_503_while_the_ledger_is_gone() -> None:
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    from sqlalchemy.engine import make_url

    schema = PgSchema()
    real = make_url(schema.url)
    clock = SystemClock()
    try:
        with Relay(real.host or "127.0.0.1", real.port or 5432) as relay:
            ledger = open_ledger(through(schema.url, relay.port), clock=clock)
            metrics = DaemonMetrics()
            metrics.watch_ledger(ledger, clock)
            server = MetricsServer("127.0.0.1", 0, metrics.registry, ledger).start()
            base = f"http://127.0.0.1:{server.port}"
            try:
                assert get(f"{base}/healthz")[:3:2] == (200, "ok\n")
                relay.cut()
                assert get(f"{base}/healthz")[:3:2] == (
                    503,
                    "unavailable: the ledger does not answer\n",
                )
                page = samples(get(f"{base}/metrics")[2])
                assert value(page, "scheduler_ledger_up") == 0
                assert value(page, "scheduler_posts_total", outcome="published") == 0
            finally:
                server.close()
                ledger.close()
    finally:
        schema.drop()


def test_metrics_stay_out_of_cli_start_up() -> None:
    """prometheus-client is imported by `run` and `serve`, never by `scheduler --help`."""
    probe = (
        "import sys, scheduler.cli; "
        "bad = [m for m in ('prometheus_client', 'scheduler.metrics', 'scheduler.daemon', "
        "'pydantic') if m in sys.modules]; print(bad)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"
