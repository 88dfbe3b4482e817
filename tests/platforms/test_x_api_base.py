"""The operator's X API base (SCHEDULER_X_API_BASE): every call and every token refresh goes
there, whatever the account's own settings say, and an unsafe value stops the command."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.clock import SystemClock
from scheduler.credentials import CredentialStore, env_name
from scheduler.platforms import build_publisher
from scheduler.platforms.base import AccountSpec, PartRequest, PlatformContext, PublishRequest
from scheduler.settings import X_API_BASE_VAR
from tests.fakes.x import CREATE, TOKEN, FakeX

ACCOUNT = "mhaw-x"

CAMPAIGN = """\
id: x-only
title: X only
timezone: Etc/UTC
language: en
accounts:
  mhaw-x: {platform: x, username: MHAWStories}
team:
  - {name: Author, email: author@example.org, roles: [writer]}
posts:
  - id: one
    at: 2026-05-11 08:00
    author: author@example.org
    text: You are not alone.
"""


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeX]:
    with FakeX(username="MHAWStories") as running:
        yield running


@pytest.fixture
def nowhere() -> Iterator[str]:
    """A loopback address where connections are refused: any call sent there fails."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{closed.getsockname()[1]}"


def oauth2_env(fake: FakeX) -> dict[str, str]:
    access, refresh = fake.issue_tokens()
    return {
        env_name(ACCOUNT, "client_id"): "client-id-xyz",
        env_name(ACCOUNT, "access_token"): access,
        env_name(ACCOUNT, "refresh_token"): refresh,
    }


def test_the_operators_base_wins_for_posts_and_token_refresh(
    fake: FakeX, nowhere: str, tmp_path: Path
) -> None:
    context = PlatformContext(
        clock=SystemClock(),
        credentials=CredentialStore(oauth2_env(fake), None),
        state_dir=tmp_path / "state",
        outbox=tmp_path / "outbox",
        timeout=2.0,
        x_api_base=fake.base_url,
    )
    # The account's own settings point elsewhere; the operator's base must win for both.
    settings = {"api_base": nowhere, "token_url": f"{nowhere}/2/oauth2/token"}
    publisher = build_publisher(AccountSpec(ACCOUNT, "x", settings), context)
    try:
        fake.expire_access_tokens()  # the first post needs a refresh
        refreshes = fake.refresh_count
        request = PublishRequest(
            account=ACCOUNT,
            parts=(PartRequest(text="Reached through the operator's base."),),
            created_at=datetime.now(UTC),
        )
        result = publisher.publish(request)
    finally:
        publisher.close()
    assert fake.refresh_count == refreshes + 1
    assert fake.calls("POST", TOKEN)
    assert result.parts[0].remote_id in {t.id for t in fake.tweets}
    assert fake.calls("POST", CREATE)


def write_campaign(tmp_path: Path) -> Path:
    folder = tmp_path / "x-only"
    folder.mkdir()
    (folder / "campaign.yaml").write_text(CAMPAIGN, encoding="utf-8")
    return folder


def test_accounts_check_reaches_an_x_compatible_server(
    fake: FakeX,
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in oauth2_env(fake).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(X_API_BASE_VAR, fake.base_url + "/")
    code = main(["accounts", "check", str(write_campaign(tmp_path)), "--timeout", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ok          mhaw-x (x): @MHAWStories" in out


@pytest.mark.parametrize("command", [["accounts", "check"], ["run", "--exit-when-done"]])
def test_plain_http_to_another_host_stops_the_command_with_one_line(
    command: list[str],
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(X_API_BASE_VAR, "http://x-compatible.example")
    code = main([*command, str(write_campaign(tmp_path))])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == [
        f"error: {X_API_BASE_VAR} (http://x-compatible.example) uses plain http to a host "
        "that is not loopback: use https, or http only to 127.0.0.1, ::1 or localhost"
    ]
