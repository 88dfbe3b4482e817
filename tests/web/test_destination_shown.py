"""Reviewers see where each draft goes: the destination is part of what they approve."""

from __future__ import annotations

from tests.web.conftest import Web


def test_each_preview_names_its_destination(web: Web) -> None:
    html = web.signed_in("rui@example.org").get("/c/mhaw-test/post/day1-story").text
    assert "to mastodon at https://mastodon.example" in html
    assert "to bluesky @mhaw.bsky.social at https://bsky.social" in html


def test_the_api_gives_each_drafts_destination(web: Web) -> None:
    drafts = web.signed_in("rui@example.org").get("/api/campaigns/mhaw-test/drafts").json()
    found = {(d["account"], d["destination"]["host"]) for d in drafts}
    assert ("masto", "https://mastodon.example") in found
    assert ("bsky", "https://bsky.social") in found


def test_pointing_an_account_elsewhere_voids_its_approval(web: Web) -> None:
    client = web.signed_in("rui@example.org")
    record = next(r for r in web.ledger.list("mhaw-test") if r.key.account == "masto")
    web.ledger.decide(
        record.key,
        kind="approve",
        actor="rui@example.org",
        content_hash=record.content_hash,
        now=web.clock.now(),
    )
    assert str(web.ledger.get(record.key).state) == "approved"
    web.edit("instance: https://mastodon.example", "instance: https://other.example")
    html = client.get(f"/c/mhaw-test/post/{record.key.post_id}").text
    assert "to mastodon at https://other.example" in html
    assert str(web.ledger.get(record.key).state) == "draft"
