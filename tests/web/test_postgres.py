"""The review pages over a PostgreSQL ledger: sign-in tables, decisions and voiding there too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler.draft import DraftKey
from tests.ledger.support import PgSchema, postgres_problem
from tests.web.conftest import Web, build_web, hidden_fields

pytestmark = pytest.mark.postgres

KEY = DraftKey("mhaw-test", "day1-story", "masto")


@pytest.fixture
def pg_web(tmp_path: Path) -> Iterator[Web]:
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    schema = PgSchema()
    try:
        built = build_web(tmp_path, ledger_url=schema.url)
        try:
            yield built
        finally:
            built.ledger.close()
    finally:
        schema.drop()


def test_the_review_flow_on_postgresql(pg_web: Web) -> None:
    web = pg_web
    token = web.invite("rui@example.org")
    rui = web.client()
    page = rui.get(f"/signin/{token}")
    assert rui.post("/signin", data=hidden_fields(page.text)).status_code == 303
    assert web.client().get(f"/signin/{token}").status_code == 410  # used

    html = rui.get("/c/mhaw-test/post/day1-story").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', html)
    shown = re.search(r'masto/approve".*?name="content_hash" value="([^"]+)"', html, re.S)
    assert csrf and shown
    done = rui.post(
        "/c/mhaw-test/post/day1-story/masto/approve",
        data={"csrf": csrf.group(1), "content_hash": shown.group(1)},
    )
    assert done.status_code == 303
    assert str(web.ledger.get(KEY).state) == "approved"

    web.edit("running as part of recovery.", "running as part of my recovery.")
    after = rui.get("/c/mhaw-test/post/day1-story").text
    assert str(web.ledger.get(KEY).state) == "draft"
    assert "Changed since the last approval" in after

    stale = rui.post(
        "/api/campaigns/mhaw-test/drafts/day1-story/masto/approve",
        json={"content_hash": shown.group(1)},
        headers={"X-CSRF-Token": csrf.group(1)},
    )
    assert stale.status_code == 409

    assert rui.post("/signout", data={"csrf": csrf.group(1)}).status_code == 303
    assert rui.get("/c/mhaw-test").status_code == 401


def test_expired_sign_ins_are_purged_as_the_server_starts_on_postgresql(pg_web: Web) -> None:
    from datetime import timedelta

    from starlette.testclient import TestClient

    web = pg_web
    old = web.clock.now() - timedelta(days=5)
    web.auth.create_invite("rui@example.org", "mhaw-test", now=old, ttl=timedelta(hours=1))
    live = web.invite("rui@example.org")
    with TestClient(web.app, base_url="http://127.0.0.1") as client:
        assert client.get(f"/signin/{live}").status_code == 200
    with web.ledger.engine.connect() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM web_invites")).scalar_one()
    assert left == 1


def test_a_nul_in_an_address_is_refused_before_the_ledger(pg_web: Web) -> None:
    # PostgreSQL refuses NUL in text: without the check this read is a "ledger unavailable".
    rui = pg_web.signed_in("rui@example.org")
    for path in (
        "/api/campaigns/mhaw-test/drafts/day1%00x/masto",
        "/c/mhaw-test/post/day1-story?done=approve&account=ma%00sto&v=1",
    ):
        assert rui.get(path).status_code == 400, path
    csrf = pg_web.csrf(rui)
    said = rui.post(
        "/api/campaigns/mhaw-test/drafts/day1-story/masto/comment",
        json={"content_hash": "d1:" + "a" * 64, "text": "nul \u0000 inside"},
        headers={"X-CSRF-Token": csrf},
    )
    assert said.status_code == 400 and said.json()["error"] == "bad_text"
