"""The OpenAPI document against the API it describes: requests generated from the document
(valid ones, and invalid ones that must be refused) are sent over real HTTP to the app served
on loopback, with a signed-in session and its CSRF token, so they reach the handlers. Every
response must be one the document lists, in the shape it gives, and never a server error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from scheduler.draft import HASH_PATTERN
from scheduler.web.openapi import document
from tests.web.conftest import CAMPAIGN, build_web, hidden_fields
from tests.web.server import serving

# The session cookie comes from a real sign-in, not from values generated for the security
# schemes (an unknown cookie is refused like none at all, which the auth check covers).
CONFIG = schemathesis.Config.from_dict(
    {"generation": {"with-security-parameters": False, "mode": "all"}}
)
schema = schemathesis.openapi.from_dict(document(), config=CONFIG)
pytestmark = pytest.mark.slow

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Live:
    url: str
    cookie: str  # the session cookie, passed with each call so the auth check can drop it
    csrf: str
    reader: requests.Session


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    web = build_web(Path(tmp_path_factory.mktemp("schema")))
    try:
        with serving(web.app) as url:
            session = requests.Session()
            page = session.get(f"{url}/signin/{web.invite('rui@example.org')}", timeout=10)
            done = session.post(
                f"{url}/signin", data=hidden_fields(page.text), allow_redirects=False, timeout=10
            )
            assert done.status_code == 303, done.text
            csrf = session.get(f"{url}/api/session", timeout=10).json()["csrf_token"]
            yield Live(url, session.cookies["review_session"], csrf, session)
    finally:
        web.ledger.close()


def _send(live: Live, case: Any) -> None:
    # The generated X-CSRF-Token would only ever be refused (403); the real one lets the
    # request through to the body checks and the decision itself.
    headers = {"X-CSRF-Token": live.csrf} if "X-CSRF-Token" in (case.headers or {}) else {}
    case.call_and_validate(
        base_url=live.url,
        headers=headers,
        cookies={"review_session": live.cookie},
        timeout=10,
    )


@schema.parametrize()
@SETTINGS
def test_generated_requests(live: Live, case: Any) -> None:
    _send(live, case)


_HASH = re.compile(HASH_PATTERN.removeprefix("^").removesuffix("$"))


@schema.parametrize()
@SETTINGS
def test_generated_requests_on_a_real_draft(live: Live, case: Any) -> None:
    """The same, aimed at a draft that exists, and with its current hash wherever the
    generated one is well formed, so decisions are recorded, refused by the policy or by
    the draft's state, not only turned away as unknown."""
    params = case.path_parameters or {}
    if "campaign" in params:
        params["campaign"] = CAMPAIGN
    if "post" in params:
        params.update(post="day2-support", account="masto")
    body = case.body
    shown = body.get("content_hash") if isinstance(body, dict) else None
    if isinstance(body, dict) and isinstance(shown, str) and _HASH.fullmatch(shown):
        path = f"{live.url}/api/campaigns/{CAMPAIGN}/drafts/day2-support/masto"
        body["content_hash"] = live.reader.get(path, timeout=10).json()["content_hash"]
    _send(live, case)
