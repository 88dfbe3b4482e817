"""The review pages' /healthz and /metrics, scraped over HTTP from a served app: ready while the
ledger answers and 503 when it stops; counts of the ledger and the pages' own response times;
nothing of a campaign shown and no sign-in asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.ledger.states import State
from tests.fakes.relay import Relay
from tests.ledger.support import PgSchema, postgres_problem
from tests.probes import get, samples, through, value
from tests.web.conftest import Web, build_web
from tests.web.server import serving


def test_healthz_and_metrics_over_http(web: Web) -> None:
    drafts = web.ledger.list()
    with serving(web.app) as base:
        status, ctype, body = get(f"{base}/healthz")
        assert (status, body) == (200, "ok\n") and ctype.startswith("text/plain")
        assert get(f"{base}/")[0] == 401  # a page, timed by its handler
        status, ctype, body = get(f"{base}/metrics")
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4")
    page = samples(body)
    assert value(page, "scheduler_ledger_up") == 1
    by_state = {s.value: value(page, "scheduler_drafts", state=s.value) for s in State}
    assert by_state["draft"] == len(drafts) > 0
    assert sum(by_state.values()) == len(drafts)
    assert value(page, "scheduler_queue_depth") == 0
    assert value(page, "scheduler_publishing_paused") == 0
    assert value(page, "scheduler_web_request_seconds_count", route="home", status="4xx") == 1
    web.ledger.pause("mhaw-test", actor="rui@example.org", reason="crisis", now=web.clock.now())
    with serving(web.app) as base:
        assert value(samples(get(f"{base}/metrics")[2]), "scheduler_publishing_paused") == 1
    # Counts only: no campaign, post or account is named.
    for word in ("mhaw-test", "day1-story", "masto", "ana@example.org"):
        assert word not in body


def test_probes_need_no_sign_in_and_pages_still_do(web: Web) -> None:
    client = web.client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/c/mhaw-test").status_code == 401


@pytest.mark.postgres
def test_healthz_is_503_while_the_ledger_is_gone(tmp_path: Path) -> None:
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    from sqlalchemy.engine import make_url

    schema = PgSchema()
    real = make_url(schema.url)
    try:
        with Relay(real.host or "127.0.0.1", real.port or 5432) as relay:
            web = build_web(tmp_path, through(schema.url, relay.port))
            try:
                with serving(web.app) as base:
                    assert get(f"{base}/healthz")[:1] == (200,)
                    relay.cut()
                    status, _, body = get(f"{base}/healthz")
                    assert (status, body) == (503, "unavailable: the ledger does not answer\n")
                    assert str(relay.port) not in body and "postgres" not in body
                    status, _, metrics = get(f"{base}/metrics")
                    assert status == 200
                    page = samples(metrics)
                    assert value(page, "scheduler_ledger_up") == 0
                    assert ("scheduler_queue_depth", ()) not in page
            finally:
                web.ledger.close()
    finally:
        schema.drop()
