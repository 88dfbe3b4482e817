"""The JSON API: same sign-in, CSRF by header, the same policy and hash binding, and an
OpenAPI document that describes every route."""

from __future__ import annotations

from typing import Any

import pytest

from scheduler.draft import DraftKey
from tests.web.conftest import Web

DRAFT = "/api/campaigns/mhaw-test/drafts/day1-story/masto"
KEY = DraftKey("mhaw-test", "day1-story", "masto")


def post_json(client: Any, path: str, body: dict[str, Any], csrf: str | None) -> Any:
    headers = {"X-CSRF-Token": csrf} if csrf is not None else {}
    return client.post(path, json=body, headers=headers)


def test_session_and_campaigns(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    session = rui.get("/api/session").json()
    assert session["email"] == "rui@example.org"
    assert len(session["csrf_token"]) == 64 and session["campaigns"] == ["mhaw-test"]
    campaigns = rui.get("/api/campaigns").json()
    assert campaigns == [
        {
            "id": "mhaw-test",
            "title": "Mental Health Awareness Week (test)",
            "timezone": "Europe/London",
            "problem": None,
        }
    ]


def test_drafts_and_one_draft(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    drafts = rui.get("/api/campaigns/mhaw-test/drafts").json()
    assert {(d["post_id"], d["account"]) for d in drafts} == {
        ("day1-story", "masto"),
        ("day1-story", "bsky"),
        ("day2-support", "masto"),
        ("day2-support", "bsky"),
        ("day3-mind", "masto"),
    }
    one = rui.get(DRAFT).json()
    assert one["state"] == "draft" and one["content_warning"] == "eating disorders"
    assert one["due_local"] == "2026-05-11T09:00:00+01:00"
    assert one["parts"][0]["media"][0]["alt"].startswith("A pair of worn blue running shoes")
    assert one["parts"][0]["limit"] == 500 and one["may_approve"] is True
    assert rui.get("/api/campaigns/mhaw-test/drafts/nope/masto").status_code == 404


def test_approve_through_the_api(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    csrf = web.csrf(rui)
    current = rui.get(DRAFT).json()["content_hash"]
    done = post_json(rui, DRAFT + "/approve", {"content_hash": current, "comment": "ok"}, csrf)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "approved"
    assert done.json()["approvals"][0]["actor"] == "rui@example.org"


@pytest.mark.parametrize("csrf", [None, "", "nope"])
def test_api_posts_need_the_csrf_header(web: Web, csrf: str | None) -> None:
    rui = web.signed_in("rui@example.org")
    current = rui.get(DRAFT).json()["content_hash"]
    refused = post_json(rui, DRAFT + "/approve", {"content_hash": current}, csrf)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert not web.ledger.approvals(KEY)


def test_api_posts_must_be_json(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    csrf = web.csrf(rui)
    current = rui.get(DRAFT).json()["content_hash"]
    form = rui.post(
        DRAFT + "/approve", data={"content_hash": current}, headers={"X-CSRF-Token": csrf}
    )
    assert form.status_code == 415
    bad = rui.post(
        DRAFT + "/approve",
        content=b"{not json",
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert bad.status_code == 400 and bad.json()["error"] == "bad_json"
    wrong = post_json(rui, DRAFT + "/approve", {"content_hash": 5}, csrf)
    assert wrong.status_code == 400


def test_api_hash_binding(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    csrf = web.csrf(rui)
    old = rui.get(DRAFT).json()["content_hash"]
    web.edit("running as part of recovery.", "running as part of my recovery.")
    refused = post_json(rui, DRAFT + "/approve", {"content_hash": old}, csrf)
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "stale_hash"
    assert body["current"]["content_hash"] != old
    assert "my recovery" in body["current"]["parts"][0]["text"]
    assert post_json(rui, DRAFT + "/approve", {}, csrf).status_code == 400


def test_api_policy(web: Web) -> None:
    ana = web.signed_in("ana@example.org")
    csrf = web.csrf(ana)
    current = ana.get(DRAFT).json()["content_hash"]
    refused = post_json(ana, DRAFT + "/approve", {"content_hash": current}, csrf)
    assert refused.status_code == 403 and refused.json()["error"] == "policy"


def test_api_reject_and_comment(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    csrf = web.csrf(rui)
    current = rui.get(DRAFT).json()["content_hash"]
    no_reason = post_json(rui, DRAFT + "/reject", {"content_hash": current}, csrf)
    assert no_reason.status_code == 400 and no_reason.json()["error"] == "missing_field"
    said = post_json(rui, DRAFT + "/comment", {"content_hash": current, "text": "Nice"}, csrf)
    assert said.status_code == 200 and said.json()["state"] == "draft"
    rejected = post_json(
        rui, DRAFT + "/reject", {"content_hash": current, "reason": "Name a helpline"}, csrf
    )
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    detail = rui.get(DRAFT).json()
    assert [d["kind"] for d in detail["decisions"]] == ["comment", "reject"]
    assert post_json(rui, DRAFT + "/publish", {"content_hash": current}, csrf).status_code == 404


def test_the_openapi_document_describes_every_api_route(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    doc = rui.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    described = {(path, method.upper()) for path, item in doc["paths"].items() for method in item}
    from starlette.routing import Route

    served: set[tuple[str, str]] = set()
    for route in web.app.routes:
        if isinstance(route, Route) and route.path.startswith("/api/"):
            if route.path == "/api/openapi.json":
                continue
            for method in route.methods or ():
                if method == "HEAD":
                    continue
                if "{action:str}" in route.path:
                    for action in ("approve", "reject", "comment", "override"):
                        served.add((route.path.replace("{action:str}", action), method))
                else:
                    served.add((route.path, method))
    assert served == described
    # Every reference resolves.
    schemas = doc["components"]["schemas"]
    text = str(doc)
    import re

    for ref in set(re.findall(r"#/components/schemas/(\w+)", text)):
        assert ref in schemas


def test_the_openapi_document_says_what_a_content_hash_is(web: Web) -> None:
    import re

    rui = web.signed_in("rui@example.org")
    doc = rui.get("/api/openapi.json").json()
    real = rui.get(DRAFT).json()["content_hash"]
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("content_hash", "approved_hash") and "pattern" in value:
                    found.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(doc)
    assert len(found) == 6  # four decision bodies, and a draft's two hashes
    for schema in found:
        assert schema["minLength"] >= 1
        pattern = re.compile(schema["pattern"].removesuffix("$") + r"\Z")
        assert pattern.match(real) and not pattern.match("") and not pattern.match(real + "\n")
