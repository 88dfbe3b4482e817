"""Recognisable secrets through every error path, then a search of everything the scheduler
wrote: the ledger, the state folder, the outbox, the logs (text and JSON, and the foreign
libraries' loggers), `status` and `status --json`, a pause's reason, `accounts check`,
webhook notices, and the review pages and API.

The platforms are one hostile loopback server that refuses every call (401, or 500) and
quotes the Authorization header, its bare value and the request body back in its answer; an
X OAuth 2.0 account starts with no access token, so its first call is a token refresh that
sends ``Basic base64(client_id:client_secret)``.
"""

from __future__ import annotations

import base64
import logging
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scheduler.cli import main
from scheduler.credentials import env_name
from scheduler.settings import X_API_BASE_VAR
from tests.fakes.echo import Capture, EchoServer

CLIENT_ID = "leak-client-id-0001"
CLIENT_SECRET = "LEAKXCLIENTSECRET-9f8e7d"
X_REFRESH = "LEAKXREFRESH-abcdef123"
MASTO_TOKEN = "LEAKMASTOTOKEN-0a1b2c3d"
SKY_PASSWORD = "leak-skyp-assw-ord1"
HOOK_PATH = "/hook/LEAKHOOKPATH-77aa"


def _b64(text: str) -> list[str]:
    raw = text.encode()
    forms = [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]
    return forms + [f.rstrip("=") for f in forms]


RAW = [CLIENT_SECRET, X_REFRESH, MASTO_TOKEN, SKY_PASSWORD, HOOK_PATH.rsplit("/", 1)[1]]
NEEDLES = sorted({*RAW, *_b64(f"{CLIENT_ID}:{CLIENT_SECRET}"), *(f for s in RAW for f in _b64(s))})

CAMPAIGN = """\
id: leak-test
title: Leak test
timezone: Etc/UTC
language: en
accounts:
  leak-x: {{platform: x, username: leakx}}
  leak-masto: {{platform: mastodon, instance: "{base}/masto"}}
  leak-sky: {{platform: bluesky, handle: leak.example.org, service: "{base}/sky"}}
team:
  - {{name: Author, email: author@example.org, roles: [writer]}}
  - {{name: Reviewer, email: rev@example.org, roles: [reviewer]}}
approval: {{required: 1, approvers: [reviewer]}}
posts:
  - id: one
    at: {at}
    author: author@example.org
    text: You are not alone.
"""


@pytest.fixture
def capture() -> Iterator[Capture]:
    with Capture() as running:
        yield running


def _pages(folder: Path, home: Path) -> dict[str, str]:
    """Every review page and API answer for the campaign, signed in as its reviewer."""
    from starlette.testclient import TestClient

    from scheduler.approval import Policy
    from scheduler.campaign import load_campaign
    from scheduler.clock import SystemClock
    from scheduler.ledger import open_ledger
    from scheduler.render import render_campaign
    from scheduler.web.app import create_app
    from scheduler.web.store import AuthStore
    from scheduler.web.workspace import Workspace

    clock = SystemClock()
    ledger = open_ledger(f"sqlite:///{home / 'data' / 'ledger.sqlite3'}", clock=clock)
    try:
        auth = AuthStore(ledger.engine)

        def sync(campaign: Any, drafts: list[Any]) -> object:
            rule = Policy.from_campaign(campaign).rule()
            return ledger.sync(campaign.id, drafts, now=clock.now(), rule=rule)

        workspace = Workspace(
            paths=[folder / "campaign.yaml"], load=load_campaign, render=render_campaign, sync=sync
        )
        workspace.refresh()
        app = create_app(ledger=ledger, workspace=workspace, auth=auth, clock=clock)
        client = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
        token, _ = auth.create_invite("rev@example.org", "leak-test", now=clock.now())
        page = client.get(f"/signin/{token}")
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
        assert client.post("/signin", data=fields).status_code == 303
        paths = [
            "/",
            "/c/leak-test",
            "/c/leak-test/post/one",
            "/api/campaigns",
            "/api/campaigns/leak-test/drafts",
        ]
        found: dict[str, str] = {}
        for path in paths:
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.status_code)
            found[f"page {path}"] = answer.text
        return found
    finally:
        ledger.close()


def _haystacks(home: Path, outputs: dict[str, str], capture: Capture) -> dict[str, str]:
    found = dict(outputs)
    for path in sorted(home.rglob("*")):
        if path.is_file() and path.suffix not in (".sqlite3-wal", ".sqlite3-shm"):
            found[f"file {path.relative_to(home)}"] = path.read_bytes().decode("utf-8", "replace")
    for path in home.rglob("*.sqlite3"):
        with sqlite3.connect(path) as conn:
            found[f"ledger dump {path.name}"] = "\n".join(conn.iterdump())
    for i, body in enumerate(capture.bodies):
        found[f"notice {i}"] = body
    return found


@pytest.mark.parametrize(("status", "log_json"), [(401, False), (500, True)])
def test_no_secret_is_written_anywhere(
    status: int,
    log_json: bool,
    capture: Capture,
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # the foreign libraries log headers at DEBUG
    outputs: dict[str, str] = {}

    def run(label: str, *argv: str) -> int:
        code = main(list(argv))
        out = capsys.readouterr()
        outputs[f"{label} stdout"] = out.out
        outputs[f"{label} stderr"] = out.err
        return code

    with EchoServer(status) as echo:
        at = (datetime.now(UTC) - timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M")
        folder = tmp_path / "leak"
        folder.mkdir()
        (folder / "campaign.yaml").write_text(
            CAMPAIGN.format(base=echo.base_url, at=at), encoding="utf-8"
        )
        env = {
            env_name("leak-x", "client_id"): CLIENT_ID,
            env_name("leak-x", "client_secret"): CLIENT_SECRET,
            env_name("leak-x", "refresh_token"): X_REFRESH,
            env_name("leak-masto", "access_token"): MASTO_TOKEN,
            env_name("leak-sky", "app_password"): SKY_PASSWORD,
            X_API_BASE_VAR: f"{echo.base_url}/x",
            "SCHEDULER_NOTIFY_WEBHOOK": capture.base_url + HOOK_PATH,
            "SCHEDULER_DAEMON_SWEEP_INTERVAL": "0.1",
            "SCHEDULER_DAEMON_RELOAD_INTERVAL": "0.5",
            "SCHEDULER_DAEMON_RETRY_BASE": "0.05",
            "SCHEDULER_DAEMON_RETRY_CAP": "0.1",
            "SCHEDULER_DAEMON_RETRY_MAX_ATTEMPTS": "2",
            "SCHEDULER_DAEMON_HTTP_TIMEOUT": "2",
            "SCHEDULER_DAEMON_GRACE": "2",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)

        assert run("accounts check", "accounts", "check", str(folder), "--timeout", "2") == 1
        assert run("approve", "approve", str(folder), "one", "--as", "rev@example.org") == 0
        run_args = ["run", str(folder), "--exit-when-done"] + (["--log-json"] if log_json else [])
        # Every call was refused, so the draft failed: --exit-when-done says so.
        assert run("run", *run_args) == 1
        # A person pastes a credential into a pause's reason: it is kept, and shown, masked.
        reason = f"rotate access_token={MASTO_TOKEN}, it was in a chat"
        assert (
            run("pause", "pause", str(folder), "--reason", reason, "--as", "ops@example.org") == 0
        )
        run("status", "status")
        run("status --json", "status", "--json")

    # The test can fail: the server was sent every secret, and quoted each one back.
    sent = " ".join(f"{s['authorization']} {s['body']}" for s in echo.seen)
    assert "Basic " + _b64(f"{CLIENT_ID}:{CLIENT_SECRET}")[0] in sent
    assert X_REFRESH in sent and MASTO_TOKEN in sent and SKY_PASSWORD in sent
    assert capture.bodies, "no notice reached the webhook"

    outputs.update(_pages(folder, data_home))
    outputs["python logging"] = caplog.text
    haystacks = _haystacks(data_home, outputs, capture)
    assert any("ledger dump" in name for name in haystacks)
    leaks = [
        f"{needle!r} in {name}"
        for name, text in haystacks.items()
        for needle in NEEDLES
        if needle in text
    ]
    assert leaks == []
    # And what was quoted is still there, masked: the texts were kept, not dropped.
    assert "***" in haystacks["status --json stdout"]
