"""Approve, reject and comment from the pages: CSRF, the approval policy, and the binding of
an approval to the version the page showed."""

from __future__ import annotations

import re

import pytest

from scheduler.draft import DraftKey
from tests.web.conftest import Web

BASE = "/c/mhaw-test/post/day1-story/masto"
KEY = DraftKey("mhaw-test", "day1-story", "masto")


def shown_hash(html: str, account: str = "masto") -> str:
    action = f'action="/c/mhaw-test/post/day1-story/{account}/approve"'
    m = re.search(re.escape(action) + r'.*?name="content_hash" value="([^"]+)"', html, re.S)
    assert m, "no approve form for " + account
    return m.group(1)


def page_and_csrf(web: Web, client: object) -> tuple[str, str]:
    html = client.get("/c/mhaw-test/post/day1-story").text  # type: ignore[attr-defined]
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m
    return html, m.group(1)


def test_approve_records_the_shown_version(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    html, csrf = page_and_csrf(web, rui)
    done = rui.post(
        BASE + "/approve",
        data={"csrf": csrf, "content_hash": shown_hash(html), "comment": "Kind and clear"},
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith("/c/mhaw-test/post/day1-story?done=approve")
    record = web.ledger.get(KEY)
    assert str(record.state) == "approved"
    assert [a.actor for a in record.approvals] == ["rui@example.org"]
    after = rui.get(done.headers["location"]).text
    assert "Your approval is recorded." in after
    assert "Approved by <strong>Rui Reviewer</strong>" in after and "Kind and clear" in after
    assert 'class="state state-approved"' in after


@pytest.mark.parametrize("csrf", [None, "", "0" * 64])
def test_a_post_without_the_right_csrf_token_is_refused(web: Web, csrf: str | None) -> None:
    rui = web.signed_in("rui@example.org")
    html, _ = page_and_csrf(web, rui)
    data = {"content_hash": shown_hash(html)}
    if csrf is not None:
        data["csrf"] = csrf
    for action in ("approve", "reject", "comment"):
        refused = rui.post(f"{BASE}/{action}", data={**data, "reason": "r", "text": "t"})
        assert refused.status_code == 403
    assert not web.ledger.approvals(KEY)


def test_another_sessions_csrf_token_does_not_work(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    sam = web.signed_in("sam@example.org")
    html, _ = page_and_csrf(web, rui)
    _, sams_csrf = page_and_csrf(web, sam)
    refused = rui.post(
        BASE + "/approve", data={"csrf": sams_csrf, "content_hash": shown_hash(html)}
    )
    assert refused.status_code == 403


def test_a_cross_site_origin_is_refused_even_with_the_token(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    html, csrf = page_and_csrf(web, rui)
    refused = rui.post(
        BASE + "/approve",
        data={"csrf": csrf, "content_hash": shown_hash(html)},
        headers={"Origin": "https://evil.example"},
    )
    assert refused.status_code == 403
    assert not web.ledger.approvals(KEY)


def test_the_author_cannot_approve_their_own_post(web: Web) -> None:
    ana = web.signed_in("ana@example.org")
    html, csrf = page_and_csrf(web, ana)
    assert "/masto/approve" not in html  # no button offered
    record = web.ledger.get(KEY)
    refused = ana.post(BASE + "/approve", data={"csrf": csrf, "content_hash": record.content_hash})
    assert refused.status_code == 403
    assert "cannot approve" in refused.text or "may not approve" in refused.text
    assert str(web.ledger.get(KEY).state) == "draft"


def test_someone_outside_the_approvers_cannot_approve(web: Web) -> None:
    web.edit("  approvers: [reviewer]", "  approvers: [sam@example.org]")
    rui = web.signed_in("rui@example.org")
    html, csrf = page_and_csrf(web, rui)
    assert "/masto/approve" not in html
    record = web.ledger.get(KEY)
    refused = rui.post(BASE + "/approve", data={"csrf": csrf, "content_hash": record.content_hash})
    assert refused.status_code == 403
    assert not [d for d in web.ledger.approvals(KEY) if d.kind == "approve"]


def test_an_approval_of_a_changed_draft_is_refused_and_the_new_version_shown(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    html, csrf = page_and_csrf(web, rui)
    old_hash = shown_hash(html)
    web.edit("running as part of recovery.", "running as part of my recovery.")
    refused = rui.post(BASE + "/approve", data={"csrf": csrf, "content_hash": old_hash})
    assert refused.status_code == 409
    assert "changed after you loaded the page" in refused.text
    assert "running as part of my recovery." in refused.text
    new_hash = shown_hash(refused.text)
    assert new_hash != old_hash
    assert str(web.ledger.get(KEY).state) == "draft"
    assert not [d for d in web.ledger.approvals(KEY) if d.kind == "approve"]
    again = rui.post(BASE + "/approve", data={"csrf": csrf, "content_hash": new_hash})
    assert again.status_code == 303
    assert str(web.ledger.get(KEY).state) == "approved"


def test_an_edit_after_approval_voids_it_and_shows_the_diff(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    html, csrf = page_and_csrf(web, rui)
    rui.post(BASE + "/approve", data={"csrf": csrf, "content_hash": shown_hash(html)})
    assert str(web.ledger.get(KEY).state) == "approved"
    web.edit("running as part of recovery.", "running as part of my recovery.")
    after = rui.get("/c/mhaw-test/post/day1-story").text
    assert str(web.ledger.get(KEY).state) == "draft"
    assert "0 of 1 needed" in after
    assert "(an earlier version)" in after
    assert "Changed since the last approval" in after
    old, new = "running as part of recovery.", "running as part of my recovery."
    removed = f'<del><span class="sr">removed: </span>Lacing up again, and again: {old}</del>'
    added = f'<ins><span class="sr">added: </span>Lacing up again, and again: {new}</ins>'
    assert removed in after and added in after
    # The Bluesky draft was never approved: no diff there.
    bsky = after.split('id="draft-bsky"')[1].split("</article>")[0]
    assert "Changed since the last approval" not in bsky


def test_an_unchanged_approved_draft_says_so(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    html, csrf = page_and_csrf(web, rui)
    rui.post(BASE + "/approve", data={"csrf": csrf, "content_hash": shown_hash(html)})
    page = rui.get("/c/mhaw-test/post/day1-story").text
    assert "Unchanged since it was last approved." in page
    assert "Changed since the last approval" not in page


def test_reject_needs_a_reason(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    html, csrf = page_and_csrf(web, rui)
    empty = rui.post(
        BASE + "/reject", data={"csrf": csrf, "content_hash": shown_hash(html), "reason": "  "}
    )
    assert empty.status_code == 400 and "needs a reason" in empty.text
    assert str(web.ledger.get(KEY).state) == "draft"
    done = rui.post(
        BASE + "/reject",
        data={"csrf": csrf, "content_hash": shown_hash(html), "reason": "Add the <b>helpline</b>"},
    )
    assert done.status_code == 303
    assert str(web.ledger.get(KEY).state) == "rejected"
    page = rui.get(done.headers["location"]).text
    assert "asked for changes" in page and "Add the &lt;b&gt;helpline&lt;/b&gt;" in page


def test_comments_are_kept_and_shown_to_the_team(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    html, csrf = page_and_csrf(web, rui)
    empty = rui.post(BASE + "/comment", data={"csrf": csrf, "content_hash": shown_hash(html)})
    assert empty.status_code == 400
    done = rui.post(
        BASE + "/comment",
        data={"csrf": csrf, "content_hash": shown_hash(html), "text": "Could we name Beat too?"},
    )
    assert done.status_code == 303
    assert str(web.ledger.get(KEY).state) == "draft"
    ana = web.signed_in("ana@example.org")
    page = ana.get("/c/mhaw-test/post/day1-story").text
    assert "Rui Reviewer</strong>\n          commented" in page or "commented" in page
    assert "Could we name Beat too?" in page


def test_an_unknown_action_or_draft_is_not_found(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    html, csrf = page_and_csrf(web, rui)
    data = {"csrf": csrf, "content_hash": shown_hash(html)}
    assert rui.post(BASE + "/publish", data=data).status_code == 404
    missing = rui.post("/c/mhaw-test/post/day1-story/nope/approve", data=data)
    assert missing.status_code == 404


def test_two_reviewers_approving_at_once_both_count(web: Web) -> None:
    import threading

    import httpx

    from tests.web.conftest import hidden_fields
    from tests.web.server import serving

    web.edit("  required: 1", "  required: 2")
    with serving(web.app) as base:
        clients = []
        for email in ("rui@example.org", "sam@example.org"):
            client = httpx.Client(base_url=base, follow_redirects=False, timeout=10)
            page = client.get(f"/signin/{web.invite(email)}")
            assert client.post("/signin", data=hidden_fields(page.text)).status_code == 303
            clients.append(client)
        pages = [c.get("/c/mhaw-test/post/day1-story").text for c in clients]
        start = threading.Barrier(2)
        results: list[int] = []

        def approve(client: httpx.Client, html: str) -> None:
            _, csrf = page_and_csrf_text(html)
            start.wait()
            done = client.post(
                BASE + "/approve", data={"csrf": csrf, "content_hash": shown_hash(html)}
            )
            results.append(done.status_code)

        threads = [
            threading.Thread(target=approve, args=(c, h))
            for c, h in zip(clients, pages, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        for c in clients:
            c.close()
    assert results == [303, 303]
    record = web.ledger.get(KEY)
    assert sorted(a.actor for a in record.approvals) == ["rui@example.org", "sam@example.org"]
    assert str(record.state) == "approved"


def page_and_csrf_text(html: str) -> tuple[str, str]:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m
    return html, m.group(1)
