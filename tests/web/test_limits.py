"""Request handling over real HTTP (the app served by uvicorn on loopback): the session is
checked before a body is read, every body is capped while it streams in, malformed JSON and
strings (and a NUL in an address) are refused with 400, wrong methods get 405 with ``Allow``,
and an edit to a campaign file is seen even when it keeps the file's size and modification
time."""

from __future__ import annotations

import json
import os
import re
import select
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests

from scheduler.draft import DraftKey
from scheduler.web.bodies import MAX_BODY
from tests.web.conftest import Web, hidden_fields
from tests.web.server import serving

API = "/api/campaigns/mhaw-test/drafts/day1-story/masto"
PAGE_ACTION = "/c/mhaw-test/post/day1-story/masto"
KEY = DraftKey("mhaw-test", "day1-story", "masto")
BIG = 32 * 1024 * 1024


@dataclass
class Served:
    web: Web
    url: str

    def signed_in(self, email: str = "rui@example.org") -> requests.Session:
        session = requests.Session()
        page = session.get(f"{self.url}/signin/{self.web.invite(email)}", timeout=10)
        done = session.post(
            f"{self.url}/signin", data=hidden_fields(page.text), allow_redirects=False, timeout=10
        )
        assert done.status_code == 303, done.text
        return session

    def csrf(self, session: requests.Session) -> str:
        return str(session.get(f"{self.url}/api/session", timeout=10).json()["csrf_token"])

    def current_hash(self, session: requests.Session) -> str:
        return str(session.get(self.url + API, timeout=10).json()["content_hash"])


@pytest.fixture
def served(web: Web) -> Iterator[Served]:
    with serving(web.app) as url:
        yield Served(web, url)


@dataclass
class Raw:
    status: int
    headers: dict[str, str]
    sent: int  # body bytes the server let us send before it answered


def raw_post(
    url: str,
    path: str,
    headers: dict[str, str],
    *,
    chunk: bytes = b"",
    chunks: int = 0,
    chunked: bool = False,
) -> Raw:
    """POST by hand, so the body can be larger than it says, or never sent at all: send the
    head, then body chunks only while the server has not answered."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    if chunked:
        head.append("Transfer-Encoding: chunked")
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # A small send buffer, so what counts as sent is close to what the server took in.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        sock.settimeout(10)
        sock.connect((host, port))
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        for _ in range(chunks):
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                if chunked:
                    sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                else:
                    sock.sendall(chunk)
            except OSError:  # the server answered and closed while we were still sending
                break
            sent += len(chunk)
        data = b""
        deadline = time.monotonic() + 10
        while b"\r\n\r\n" not in data and time.monotonic() < deadline:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
    status_line, *lines = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    found = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return Raw(int(status_line.split()[1]), found, sent)


# --- the session first ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (API + "/approve", 401),
        (PAGE_ACTION + "/approve", 401),
        ("/signout", 401),
        ("/c/mhaw-test/post/day1-story/approve-all", 401),
        ("/c/mhaw-test/pause", 401),
        ("/c/mhaw-test/resume", 401),
        ("/signin", 403),  # no pre-sign-in cookie: this browser never opened a sign-in link
    ],
)
def test_no_body_is_read_before_the_session_is_checked(
    served: Served, path: str, status: int
) -> None:
    # 32 MB announced, not a byte of it sent: the answer comes anyway.
    answer = raw_post(
        served.url,
        path,
        {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(BIG)},
    )
    assert answer.status == status


def test_a_signed_in_client_announcing_a_huge_body_is_refused_unread(served: Served) -> None:
    rui = served.signed_in()
    cookie = f"review_session={rui.cookies['review_session']}"
    csrf = served.csrf(rui)
    form = "application/x-www-form-urlencoded"
    for path, kind in ((API + "/approve", "application/json"), ("/signout", form)):
        answer = raw_post(
            served.url,
            path,
            {
                "Cookie": cookie,
                "X-CSRF-Token": csrf,
                "Content-Type": kind,
                "Content-Length": str(BIG),
            },
        )
        assert answer.status == 413, path


# --- the cap, while streaming -----------------------------------------------------------


@pytest.mark.parametrize("target", ["api", "page", "signin"])
def test_a_chunked_body_is_cut_off_soon_after_the_cap(served: Served, target: str) -> None:
    if target == "signin":
        browser = requests.Session()
        browser.get(f"{served.url}/signin/{served.web.invite('sam@example.org')}", timeout=10)
        headers = {"Cookie": f"review_presignin={browser.cookies['review_presignin']}"}
        path, kind = "/signin", "application/x-www-form-urlencoded"
    else:
        rui = served.signed_in()
        headers = {
            "Cookie": f"review_session={rui.cookies['review_session']}",
            "X-CSRF-Token": served.csrf(rui),
        }
        path = API + "/approve" if target == "api" else PAGE_ACTION + "/comment"
        kind = "application/json" if target == "api" else "application/x-www-form-urlencoded"
    answer = raw_post(
        served.url,
        path,
        {**headers, "Content-Type": kind},
        chunk=b" " * 8192,
        chunks=BIG // 8192,
        chunked=True,
    )
    assert answer.status == 413
    # Refused at the cap, not after the whole 32 MB: what we managed to send is the cap plus
    # what the sockets buffer (about 128 KiB in all here).
    assert answer.sent < 2 * 1024 * 1024


def test_the_cap_is_64_kib_for_json(served: Served) -> None:
    rui = served.signed_in()
    headers = {"X-CSRF-Token": served.csrf(rui), "Content-Type": "application/json"}
    body = json.dumps({"content_hash": served.current_hash(rui), "text": "Fine."}).encode()
    at_cap = body + b" " * (MAX_BODY - len(body))
    said = rui.post(served.url + API + "/comment", data=at_cap, headers=headers, timeout=10)
    assert said.status_code == 200, said.text
    over = rui.post(served.url + API + "/comment", data=at_cap + b" ", headers=headers, timeout=10)
    assert over.status_code == 413 and over.json()["error"] == "too_large"
    assert len(served.web.ledger.approvals(KEY)) == 1  # the comment at the cap, only


def test_the_cap_is_64_kib_for_forms(served: Served) -> None:
    rui = served.signed_in()
    fields = {"csrf": served.csrf(rui), "content_hash": served.current_hash(rui)}
    fields["text"] = "x" * (MAX_BODY + 1)
    over = rui.post(
        served.url + PAGE_ACTION + "/comment", data=fields, allow_redirects=False, timeout=10
    )
    assert over.status_code == 413
    assert "larger than 64 KiB" in over.text and "<html" in over.text.lower()


def test_signin_forms_are_capped(served: Served) -> None:
    browser = requests.Session()
    page = browser.get(f"{served.url}/signin/{served.web.invite('sam@example.org')}", timeout=10)
    fields = {**hidden_fields(page.text), "padding": "x" * MAX_BODY}
    refused = browser.post(f"{served.url}/signin", data=fields, allow_redirects=False, timeout=10)
    assert refused.status_code == 413
    done = browser.post(
        f"{served.url}/signin", data=hidden_fields(page.text), allow_redirects=False, timeout=10
    )
    assert done.status_code == 303  # the invite was not spent by the refused request


# --- malformed JSON and strings ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"[" * 30_000 + b"]" * 30_000, "too_deep"),
        (b'{"x": ' + b"[" * 40 + b"]" * 40 + b"}", "too_deep"),
        (b'{"content_hash": "d1:ab", "text": "\\ud800"}', "bad_text"),
        (b'{"text": "\\udfff\\ud800"}', "bad_text"),
        (b'{"\\ud83d": "key"}', "bad_text"),
        (b'{"text": "nul \\u0000 inside"}', "bad_text"),
        (b'{"text": "\xff\xfe"}', "bad_json"),
    ],
)
def test_malformed_json_is_a_400(served: Served, raw: bytes, code: str) -> None:
    rui = served.signed_in()
    headers = {"X-CSRF-Token": served.csrf(rui), "Content-Type": "application/json"}
    refused = rui.post(served.url + API + "/comment", data=raw, headers=headers, timeout=10)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == code


def test_nesting_inside_strings_is_not_depth(served: Served) -> None:
    rui = served.signed_in()
    headers = {"X-CSRF-Token": served.csrf(rui), "Content-Type": "application/json"}
    text = '[[[ {{{ "quoted \\" [[[ ' * 20
    body = {"content_hash": served.current_hash(rui), "text": text}
    said = rui.post(served.url + API + "/comment", json=body, headers=headers, timeout=10)
    assert said.status_code == 200, said.text


def test_a_surrogate_a_valid_pair_is_fine(served: Served) -> None:
    rui = served.signed_in()
    headers = {"X-CSRF-Token": served.csrf(rui), "Content-Type": "application/json"}
    raw = json.dumps({"content_hash": served.current_hash(rui), "text": "ok \\ud83d\\ude00"})
    said = rui.post(served.url + API + "/comment", data=raw.encode(), headers=headers, timeout=10)
    assert said.status_code == 200, said.text


def test_a_nul_in_a_form_is_a_400_page(served: Served) -> None:
    rui = served.signed_in()
    fields = {"csrf": served.csrf(rui), "content_hash": served.current_hash(rui)}
    refused = rui.post(
        served.url + PAGE_ACTION + "/comment",
        data={**fields, "text": "a\x00b"},
        allow_redirects=False,
        timeout=10,
    )
    assert refused.status_code == 400 and "not text" in refused.text
    assert rui.get(served.url + API, timeout=10).json()["decisions"] == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"content_hash": "d1:abc"}, "not a content hash"),
        ({"content_hash": "d1:" + "a" * 64 + "\n"}, "not a content hash"),
        ({"content_hash": "d1:" + "a" * 64, "reason": "extra"}, "takes only"),
        ({"content_hash": "d1:" + "a" * 64, "comment": "x" * 4001}, "longer than"),
        ([], "JSON object"),
    ],
)
def test_bodies_are_held_to_the_openapi_document(
    served: Served, body: object, fragment: str
) -> None:
    rui = served.signed_in()
    headers = {"X-CSRF-Token": served.csrf(rui)}
    refused = rui.post(served.url + API + "/approve", json=body, headers=headers, timeout=10)
    assert refused.status_code == 400 and refused.json()["error"] == "bad_body"
    assert fragment in refused.json()["message"]


# --- methods ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", API + "/approve", "POST"),
        ("PUT", API + "/approve", "POST"),
        ("POST", "/api/session", "GET, HEAD"),
        ("DELETE", API, "GET, HEAD"),
        ("GET", PAGE_ACTION + "/approve", "POST"),
        ("GET", "/signin", "POST"),
        ("POST", "/c/mhaw-test", "GET, HEAD"),
        ("POST", "/static/review.css", "GET, HEAD"),
        ("DELETE", "/c/mhaw-test/pause", "GET, HEAD, POST"),
        ("PUT", "/c/mhaw-test/resume", "GET, HEAD, POST"),
        ("GET", "/c/mhaw-test/post/day1-story/approve-all", "POST"),
    ],
)
def test_a_wrong_method_is_a_405_with_allow(
    served: Served, method: str, path: str, allow: str
) -> None:
    rui = served.signed_in()
    answer = rui.request(method, served.url + path, allow_redirects=False, timeout=10)
    assert answer.status_code == 405
    assert sorted(answer.headers["Allow"].split(", ")) == sorted(allow.split(", "))
    if path.startswith("/api/"):
        assert answer.json()["error"] == "method_not_allowed"


# --- file changes by content ------------------------------------------------------------


def test_an_edit_keeping_size_and_mtime_is_seen(served: Served) -> None:
    rui = served.signed_in()
    csrf = served.csrf(rui)
    shown = served.current_hash(rui)
    done = rui.post(
        served.url + API + "/approve", json={"content_hash": shown}, headers={"X-CSRF-Token": csrf}
    )
    assert done.status_code == 200 and done.json()["state"] == "approved"

    file = served.web.campaign_file
    before = file.stat()
    text = file.read_text(encoding="utf-8")
    edited = text.replace("running as part of recovery.", "running as part of RECOVERY.")
    assert len(edited) == len(text) and edited != text
    file.write_text(edited, encoding="utf-8")
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = file.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)

    now = rui.get(served.url + API, timeout=10).json()
    assert now["content_hash"] != shown and "RECOVERY" in now["parts"][0]["text"]
    assert now["state"] == "draft"  # the approval of the old words is void
    page = rui.get(f"{served.url}/c/mhaw-test/post/day1-story", timeout=10)
    assert re.search(r"running as part of RECOVERY\.", page.text)


# --- addresses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/campaigns/mhaw-test/drafts/day1%00x/masto",
        "/c/mhaw-test/post/day1-story?done=approve&account=ma%00sto&v=1",
        "/c/mhaw-test/post/day1-story?account=ma%00sto",
    ],
)
def test_a_nul_in_the_address_is_a_400(served: Served, path: str) -> None:
    rui = served.signed_in()
    refused = rui.get(served.url + path, allow_redirects=False, timeout=10)
    assert refused.status_code == 400
    if path.startswith("/api/"):
        assert refused.json()["error"] == "bad_address"
