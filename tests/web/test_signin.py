"""Sign-in from a one-time invite, the session cookie, sign-out, and refused links."""

from __future__ import annotations

from datetime import timedelta

from tests.web.conftest import Web, hidden_fields


def _cookie_header(response: object) -> str:
    headers = response.headers  # type: ignore[attr-defined]
    return "\n".join(v for k, v in headers.multi_items() if k == "set-cookie")


def test_an_invite_signs_in_with_a_safe_cookie(web: Web) -> None:
    client = web.client()
    token = web.invite("rui@example.org")
    page = client.get(f"/signin/{token}")
    assert page.status_code == 200
    assert "rui@example.org" in page.text and "Mental Health Awareness Week (test)" in page.text
    # Looking at the link does not use it up (mail scanners open links).
    assert client.get(f"/signin/{token}").status_code == 200
    done = client.post("/signin", data=hidden_fields(page.text))
    assert done.status_code == 303
    assert done.headers["location"] == "/c/mhaw-test"
    cookie = _cookie_header(done).lower()
    assert "review_session=" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert token not in cookie
    assert client.get("/c/mhaw-test").status_code == 200


def test_over_https_the_cookie_is_secure_and_host_only(web: Web) -> None:
    client = web.client("https://review.example.org")
    page = client.get(f"/signin/{web.invite('rui@example.org')}")
    done = client.post("/signin", data=hidden_fields(page.text))
    assert done.status_code == 303
    cookie = _cookie_header(done).lower()
    assert "__host-review_session=" in cookie and "secure" in cookie and "path=/" in cookie
    assert client.get("/c/mhaw-test").status_code == 200
    assert "strict-transport-security" in client.get("/c/mhaw-test").headers


def test_plain_http_away_from_this_machine_is_refused(web: Web) -> None:
    client = web.client("http://review.example.org")
    page = client.get(f"/signin/{web.invite('rui@example.org')}")
    refused = client.post("/signin", data=hidden_fields(page.text))
    assert refused.status_code == 400
    assert "https" in refused.text
    assert "review_session" not in _cookie_header(refused)


def test_a_used_link_is_refused_with_a_clear_page(web: Web) -> None:
    token = web.invite("rui@example.org")
    first = web.client()
    first.post("/signin", data=hidden_fields(first.get(f"/signin/{token}").text))
    second = web.client()
    again = second.get(f"/signin/{token}")
    assert again.status_code == 410
    assert "already been used" in again.text and "new link" in again.text


def test_a_link_used_between_page_and_button_is_refused(web: Web) -> None:
    token = web.invite("rui@example.org")
    a, b = web.client(), web.client()
    page_a, page_b = a.get(f"/signin/{token}"), b.get(f"/signin/{token}")
    assert a.post("/signin", data=hidden_fields(page_a.text)).status_code == 303
    late = b.post("/signin", data=hidden_fields(page_b.text))
    assert late.status_code == 410 and "already been used" in late.text
    assert b.get("/c/mhaw-test").status_code == 401


def test_an_expired_link_is_refused(web: Web) -> None:
    token = web.invite("rui@example.org")
    web.clock.advance(timedelta(hours=73))
    page = web.client().get(f"/signin/{token}")
    assert page.status_code == 410 and "expired" in page.text


def test_an_unknown_link_is_refused(web: Web) -> None:
    page = web.client().get("/signin/made-up-token")
    assert page.status_code == 404 and "not valid" in page.text


def test_someone_no_longer_on_the_team_cannot_sign_in(web: Web) -> None:
    token = web.invite("sam@example.org")
    web.edit("  - name: Sam Second\n    email: sam@example.org\n    roles: [reviewer]\n", "")
    page = web.client().get(f"/signin/{token}")
    assert page.status_code == 403 and "not on the team" in page.text


def test_sign_in_needs_the_form_token_from_the_same_browser(web: Web) -> None:
    token = web.invite("rui@example.org")
    victim = web.client()
    # A forged form posted from another site carries the token but not the browser's cookie.
    forged = victim.post("/signin", data={"token": token, "csrf": "x"})
    assert forged.status_code == 403
    # And the link was not used up by the forgery.
    assert victim.get(f"/signin/{token}").status_code == 200


def test_sign_out_ends_the_session(web: Web) -> None:
    client = web.signed_in("rui@example.org")
    csrf = web.csrf(client)
    assert client.post("/signout", data={"csrf": "wrong"}).status_code == 403
    assert client.get("/c/mhaw-test").status_code == 200
    out = client.post("/signout", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/signed-out"
    assert "signed out" in client.get("/signed-out").text
    assert client.get("/c/mhaw-test").status_code == 401


def test_a_stolen_cookie_stops_working_after_sign_out(web: Web) -> None:
    client = web.signed_in("rui@example.org")
    stolen = dict(client.cookies)
    client.post("/signout", data={"csrf": web.csrf(client)})
    thief = web.client()
    thief.cookies.update(stolen)
    assert thief.get("/c/mhaw-test").status_code == 401


def test_sessions_expire(web: Web) -> None:
    client = web.signed_in("rui@example.org")
    web.clock.advance(timedelta(days=8))
    assert client.get("/c/mhaw-test").status_code == 401


def test_a_new_sign_in_ends_the_previous_session_of_that_browser(web: Web) -> None:
    client = web.signed_in("rui@example.org")
    before = client.cookies.get("review_session")
    page = client.get(f"/signin/{web.invite('sam@example.org')}")
    assert client.post("/signin", data=hidden_fields(page.text)).status_code == 303
    assert client.get("/api/session").json()["email"] == "sam@example.org"
    old = web.client()
    old.cookies.set("review_session", before)
    assert old.get("/c/mhaw-test").status_code == 401
