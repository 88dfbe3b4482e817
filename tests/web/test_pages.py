"""Every page needs sign-in; members see only their campaigns; pages are escaped, carry the
security headers, show times in the campaign's timezone and never show a secret."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import Web

PROTECTED_GETS = [
    "/",
    "/c/mhaw-test",
    "/c/mhaw-test/post/day1-story",
    "/c/mhaw-test/pause",
    "/c/mhaw-test/resume",
    "/media/mhaw-test/images/shoes.png",
    "/api/openapi.json",
    "/api/session",
    "/api/campaigns",
    "/api/campaigns/mhaw-test/drafts",
    "/api/campaigns/mhaw-test/drafts/day1-story/masto",
]
PROTECTED_POSTS = [
    "/signout",
    "/c/mhaw-test/pause",
    "/c/mhaw-test/resume",
    "/c/mhaw-test/post/day1-story/approve-all",
    "/c/mhaw-test/post/day1-story/masto/approve",
    "/c/mhaw-test/post/day1-story/masto/reject",
    "/c/mhaw-test/post/day1-story/masto/comment",
    "/api/campaigns/mhaw-test/drafts/day1-story/masto/approve",
    "/api/campaigns/mhaw-test/drafts/day1-story/masto/reject",
    "/api/campaigns/mhaw-test/drafts/day1-story/masto/comment",
]


@pytest.mark.parametrize("path", PROTECTED_GETS)
def test_every_page_needs_sign_in(web: Web, path: str) -> None:
    response = web.client().get(path)
    assert response.status_code == 401
    if path.startswith("/api/"):
        assert response.json()["error"] == "not_signed_in"
    else:
        assert "Sign in" in response.text or "sign in" in response.text
        assert "Samaritans" not in response.text


@pytest.mark.parametrize("path", PROTECTED_POSTS)
def test_every_action_needs_sign_in(web: Web, path: str) -> None:
    response = web.client().post(path, data={"csrf": "x", "content_hash": "d1:x"})
    assert response.status_code == 401
    record = web.ledger.get(_key("day1-story", "masto"))
    assert str(record.state) == "draft" and not web.ledger.approvals(record.key)


def _key(post: str, account: str) -> object:
    from scheduler.draft import DraftKey

    return DraftKey("mhaw-test", post, account)


def test_security_headers_on_every_response(web: Web) -> None:
    client = web.signed_in("rui@example.org")
    for path in ["/", "/c/mhaw-test", "/signin/nope", "/static/review.css", "/api/session"]:
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src" not in csp and "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
    assert client.get("/c/mhaw-test").headers["cache-control"] == "no-store"


def test_pages_carry_no_script_at_all(web: Web) -> None:
    client = web.signed_in("rui@example.org")
    for path in ["/", "/c/mhaw-test", "/c/mhaw-test/post/day2-support"]:
        html = client.get(path).text
        assert "<script" not in html  # post text shows as &lt;script
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", html)  # no inline event handlers


def test_post_text_is_escaped(web: Web) -> None:
    client = web.signed_in("rui@example.org")
    html = client.get("/c/mhaw-test/post/day2-support").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_calendar_shows_the_week_in_the_campaign_timezone(web: Web) -> None:
    html = web.signed_in("rui@example.org").get("/c/mhaw-test").text
    assert "Europe/London" in html
    assert "Week of Monday 11 May 2026" in html
    for day in ("Mon 11 May", "Tue 12 May", "Wed 13 May", "Sun 17 May"):
        assert day in html
    # 09:00 local (BST) is 08:00 UTC; the page shows local time.
    assert '<time datetime="2026-05-11T09:00:00+01:00">09:00</time>' in html
    assert "day1-story" in html and "day3-mind" in html
    assert "<strong>5</strong> drafts await your decision" in html


def test_only_approvers_have_drafts_awaiting_them(web: Web) -> None:
    html = web.signed_in("ana@example.org").get("/c/mhaw-test").text
    assert "Nothing awaits your decision." in html  # a writer, not an approver


def test_the_preview_shows_thread_media_alt_cw_and_counts(web: Web) -> None:
    html = web.signed_in("rui@example.org").get("/c/mhaw-test/post/day1-story").text
    assert html.count('class="draft"') == 2  # Mastodon and Bluesky
    assert "Part 1 of 2" in html and "Part 2 of 2" in html
    assert 'alt="A pair of worn blue running shoes by a front door."' in html
    assert "Content warning</span> eating disorders" in html
    assert '<span class="tag">#MentalHealthAwarenessWeek</span>' in html
    assert 'href="https://www.runtalkrun.com"' in html
    assert re.search(r"\d+ / 500 ", html) and re.search(r"\d+ / 300 ", html)
    assert "Mon 11 May 09:00 BST" in html
    assert "0 of 1 needed" in html


def test_an_unknown_post_is_not_found(web: Web) -> None:
    client = web.signed_in("rui@example.org")
    assert client.get("/c/mhaw-test/post/nope").status_code == 404


def test_members_see_only_their_campaigns(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    assert "Another team" not in rui.get("/").text
    for path in [
        "/c/other-campaign",
        "/c/other-campaign/post/hello",
        "/api/campaigns/other-campaign/drafts",
        "/api/campaigns/other-campaign/drafts/hello/masto",
    ]:
        response = rui.get(path)
        assert response.status_code == 404, path
        assert "Secret plans" not in response.text
    assert [c["id"] for c in rui.get("/api/campaigns").json()] == ["mhaw-test"]
    csrf = web.csrf(rui)
    refused = rui.post(
        "/c/other-campaign/post/hello/masto/comment",
        data={"csrf": csrf, "content_hash": "d1:x", "text": "hi"},
    )
    assert refused.status_code == 404


def test_media_is_served_only_for_images_of_the_campaign(web: Web) -> None:
    client = web.signed_in("rui@example.org")
    image = client.get("/media/mhaw-test/images/shoes.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    for path in [
        "/media/mhaw-test/notes-secret.txt",
        "/media/mhaw-test/campaign.yaml",
        "/media/mhaw-test/../ledger.sqlite3",
        "/media/mhaw-test/images/../campaign.yaml",
        "/media/other-campaign/images/shoes.png",
    ]:
        assert client.get(path).status_code == 404, path


def test_no_secret_reaches_a_page(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "hunter2-do-not-show"
    client = web.signed_in("rui@example.org")
    token = client.cookies.get("review_session")
    assert token
    pages = [
        "/",
        "/c/mhaw-test",
        "/c/mhaw-test/post/day1-story",
        "/api/session",
        "/api/campaigns/mhaw-test/drafts",
        "/nope",
    ]
    for path in pages:
        text = client.get(path).text
        assert token not in text, path  # the session token itself never appears
        assert secret not in text
        assert "sqlite" not in text and str(web.root.parent) not in text, path


def test_a_broken_edit_keeps_the_last_good_version_with_the_problem(web: Web) -> None:
    client = web.signed_in("rui@example.org")
    web.edit('    time: "12:30"', '    time: "25:99"')
    html = client.get("/c/mhaw-test").text
    assert "The campaign files have a problem" in html
    assert "25:99" in html
    assert "day2-support" in html


def test_a_costly_template_is_shown_as_a_problem(web: Web) -> None:
    client = web.signed_in("rui@example.org")
    web.edit("Mind has information", "{{ 'x' * 10**9 }}")
    html = client.get("/c/mhaw-test").text
    assert "The campaign files have a problem" in html
    assert "template too expensive" in html


def test_static_css_is_served(web: Web) -> None:
    css = web.client().get("/static/review.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]


def test_each_platforms_colour_comes_from_its_descriptor(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from scheduler import descriptors

    css = web.client().get("/static/platforms.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    coloured = [d for d in descriptors.descriptors() if d.colour]
    assert coloured
    for d in coloured:
        tag = f" --tag: {d.colour};" if d.colour_tags else ""
        assert f".preview-{d.name} {{ --platform: {d.colour};{tag} }}" in css.text
    # A colour that is not a hex colour never reaches the stylesheet.
    bad = replace(coloured[0], colour="red; } body { display: none")
    monkeypatch.setitem(descriptors.base._REGISTRY, bad.name, bad)
    assert f".preview-{bad.name} " not in web.client().get("/static/platforms.css").text
    html = web.signed_in("rui@example.org").get("/c/mhaw-test/post/day2-support").text
    assert '<link rel="stylesheet" href="/static/platforms.css">' in html


def test_pages_are_labelled_for_assistive_technology(web: Web) -> None:
    from html.parser import HTMLParser

    class Audit(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.fields: list[str] = []
            self.labels: set[str] = set()
            self.images_without_alt = 0
            self.h1 = 0
            self.lang = ""

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            if tag == "html":
                self.lang = a.get("lang") or ""
            if tag == "h1":
                self.h1 += 1
            if tag == "label" and a.get("for"):
                self.labels.add(str(a["for"]))
            if tag == "textarea" or (tag == "input" and a.get("type") != "hidden"):
                self.fields.append(str(a.get("id")))
            if tag == "img" and not a.get("alt"):
                self.images_without_alt += 1

    client = web.signed_in("rui@example.org")
    for path in ["/", "/c/mhaw-test", "/c/mhaw-test/post/day1-story", "/signed-out"]:
        audit = Audit()
        audit.feed(client.get(path).text)
        assert audit.lang == "en" and audit.h1 == 1, path
        assert all(f in audit.labels for f in audit.fields), (path, audit.fields)
        assert audit.images_without_alt == 0, path


def test_someone_taken_off_the_team_loses_access_at_once(web: Web) -> None:
    sam = web.signed_in("sam@example.org")
    assert sam.get("/c/mhaw-test").status_code == 200
    web.edit("  - name: Sam Second\n    email: sam@example.org\n    roles: [reviewer]\n", "")
    assert sam.get("/c/mhaw-test").status_code == 404
    assert sam.get("/api/campaigns").json() == []


def test_a_ledger_outage_shows_a_plain_page(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    from scheduler.ledger import LedgerUnavailable

    client = web.signed_in("rui@example.org")

    def unreachable(*args: object, **kwargs: object) -> None:
        raise LedgerUnavailable(
            "ledger postgresql+psycopg://review:***@db.internal:5432/ledger unavailable: timeout"
        )

    monkeypatch.setattr(web.ledger, "list", unreachable)  # fault injection at the store
    page = client.get("/c/mhaw-test")
    assert page.status_code == 503
    assert "cannot reach the ledger" in page.text
    assert "db.internal" not in page.text and "postgresql" not in page.text
    api = client.get("/api/campaigns/mhaw-test/drafts")
    assert api.status_code == 503 and "db.internal" not in api.text
