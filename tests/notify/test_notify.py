"""Notifiers against loopback servers the tests start: a webhook and an SMTP server."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from scheduler.errors import ConfigError, NotifyError
from scheduler.notify import FanOut, Notice, notifiers_from_env
from scheduler.notify.mail import EmailNotifier
from scheduler.notify.webhook import DISCORD_LIMIT, WebhookNotifier
from scheduler.settings import Secret

NOTICE = Notice(
    kind="failed",
    draft="mhaw-2026/day1-story@mhaw-mastodon",
    summary="the platform refused the post: Text character limit of 500 exceeded",
    when=datetime(2026, 5, 11, 8, 0, tzinfo=UTC),
    local_time="Mon 11 May 09:00 BST",
)


class _Hook(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    received: list[dict[str, Any]]
    status = 204

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        self.server.received.append({"path": self.path, "body": body})  # type: ignore[attr-defined]
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def hook() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.received = []  # type: ignore[attr-defined]
    server.status = 204  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server: ThreadingHTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_webhook_payload_suits_slack_and_discord(hook: ThreadingHTTPServer) -> None:
    WebhookNotifier(Secret(_url(hook, "/services/T000/B000/XXXX"))).send(NOTICE)
    [got] = hook.received  # type: ignore[attr-defined]
    body = got["body"]
    assert got["path"] == "/services/T000/B000/XXXX"
    assert body["text"] == body["content"]  # Slack reads text, Discord content
    assert "FAILED" in body["text"]
    assert "mhaw-2026/day1-story@mhaw-mastodon" in body["text"]
    assert "Text character limit of 500 exceeded" in body["text"]


def test_webhook_text_fits_discord(hook: ThreadingHTTPServer) -> None:
    long = Notice(kind="missed", draft="c/p@a", summary="x" * 5000, when=NOTICE.when)
    WebhookNotifier(Secret(_url(hook, "/h"))).send(long)
    assert len(hook.received[0]["body"]["content"]) == DISCORD_LIMIT  # type: ignore[attr-defined]


def test_webhook_refusal_is_a_notify_error_without_the_url(hook: ThreadingHTTPServer) -> None:
    hook.status = 500  # type: ignore[attr-defined]
    url = _url(hook, "/services/SECRET-PATH")
    with pytest.raises(NotifyError) as info:
        WebhookNotifier(Secret(url)).send(NOTICE)
    assert "HTTP 500" in str(info.value)
    assert "SECRET-PATH" not in str(info.value)
    assert info.value.__cause__ is None and info.value.retryable


def test_webhook_unreachable_is_a_notify_error() -> None:
    with socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler) as s:
        port = s.server_address[1]
    with pytest.raises(NotifyError, match="could not be reached"):
        WebhookNotifier(Secret(f"http://127.0.0.1:{port}/x"), timeout=2).send(NOTICE)


# --- a minimal SMTP server ------------------------------------------------------------------


class _Smtp(socketserver.StreamRequestHandler):
    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        server: Any = self.server
        self._say("220 loopback ESMTP")
        mail: dict[str, Any] = {"rcpt": [], "auth": None}
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250-loopback\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
            elif verb == "AUTH":
                mail["auth"] = line
                self._say("235 ok" if server.accept_auth else "535 bad credentials")
            elif verb == "MAIL":
                if server.refuse:
                    self._say("550 no thanks")
                    continue
                mail["from"] = line
                self._say("250 ok")
            elif verb == "RCPT":
                mail["rcpt"].append(line)
                self._say("250 ok")
            elif verb == "DATA":
                self._say("354 go on")
                data = []
                while True:
                    chunk = self.rfile.readline().decode()
                    if chunk in (".\r\n", ".\n", ""):
                        break
                    data.append(chunk)
                mail["data"] = "".join(data)
                server.received.append(dict(mail))
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 ok")


@pytest.fixture
def smtp() -> Iterator[Any]:
    server: Any = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.daemon_threads = True
    server.received = []
    server.refuse = False
    server.accept_auth = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_email_is_delivered(smtp: Any) -> None:
    EmailNotifier(
        host="127.0.0.1",
        port=smtp.server_address[1],
        sender="scheduler@example.org",
        recipients=["team@example.org", "lead@example.org"],
    ).send(NOTICE)
    [mail] = smtp.received
    assert len(mail["rcpt"]) == 2
    assert "Subject: [campaign scheduler] FAILED: mhaw-2026/day1-story@mhaw-mastodon" in mail[
        "data"
    ].replace("\r\n", "\n")
    assert "Text character limit of 500 exceeded" in mail["data"]


def test_email_login_failure_hides_the_password(smtp: Any) -> None:
    smtp.accept_auth = False
    notifier = EmailNotifier(
        host="127.0.0.1",
        port=smtp.server_address[1],
        sender="s@example.org",
        recipients=["t@example.org"],
        username="bot",
        password=Secret("hunter2-very-secret"),
    )
    with pytest.raises(NotifyError) as info:
        notifier.send(NOTICE)
    assert "hunter2" not in str(info.value)
    assert "535" in str(info.value)


def test_email_refused_is_a_notify_error(smtp: Any) -> None:
    smtp.refuse = True
    notifier = EmailNotifier(
        host="127.0.0.1", port=smtp.server_address[1], sender="s@x.org", recipients=["t@x.org"]
    )
    with pytest.raises(NotifyError, match="refused"):
        notifier.send(NOTICE)


def test_fan_out_delivers_to_the_rest_when_one_fails(hook: ThreadingHTTPServer, smtp: Any) -> None:
    hook.status = 500  # type: ignore[attr-defined]
    fan = FanOut(
        [
            WebhookNotifier(Secret(_url(hook, "/h"))),
            EmailNotifier(
                host="127.0.0.1", port=smtp.server_address[1], sender="s@x", recipients=["t@x"]
            ),
        ]
    )
    with pytest.raises(NotifyError, match="webhook"):
        fan.send(NOTICE)
    assert len(smtp.received) == 1


def test_notifiers_from_env() -> None:
    assert notifiers_from_env({}) == []
    found = notifiers_from_env(
        {
            "SCHEDULER_NOTIFY_WEBHOOK": "https://hooks.slack.com/services/T/B/C",
            "SCHEDULER_NOTIFY_SMTP": "127.0.0.1:2525",
            "SCHEDULER_NOTIFY_EMAIL_TO": "a@x.org, b@x.org",
        }
    )
    assert [n.name for n in found] == ["webhook", "email"]
    assert "hooks.slack.com" not in repr(found[0])
    with pytest.raises(ConfigError, match="host:port"):
        notifiers_from_env({"SCHEDULER_NOTIFY_SMTP": "nohost", "SCHEDULER_NOTIFY_EMAIL_TO": "a"})
    with pytest.raises(ConfigError, match="EMAIL_TO"):
        notifiers_from_env({"SCHEDULER_NOTIFY_SMTP": "h:25"})
    with pytest.raises(ConfigError, match="http"):
        notifiers_from_env({"SCHEDULER_NOTIFY_WEBHOOK": "ftp://x"})
