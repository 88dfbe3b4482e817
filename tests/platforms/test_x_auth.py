"""The X publisher's sign-in against the loopback fake X: OAuth 2.0 refresh and rotation,
OAuth 1.0a refusals, missing credentials, and secrets kept out of the logs."""

from __future__ import annotations

import logging
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from scheduler.clock import FixedClock
from scheduler.credentials import env_name
from scheduler.platforms.base import (
    AuthFailed,
)
from tests.fakes.x import CREATE, FakeX
from tests.platforms.x_support import (
    ACCESS_SECRET,
    ACCOUNT,
    CONSUMER_SECRET,
    clock,
    fake,
    oauth1_env,
    oauth2_env,
    publisher,
    server,
    thread,
)

__all__ = ["clock", "fake", "server"]  # fixtures


# --- OAuth 2.0 --------------------------------------------------------------------------------


def test_oauth2_refreshes_on_401_and_persists_the_rotated_pair(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    access, refresh = fake.issue_tokens()
    env = oauth2_env(access, refresh)
    pub = publisher(fake, clock, tmp_path, env=env)
    pub.publish(thread(clock, "bearer one"))
    assert fake.calls("POST", CREATE)[0].headers["authorization"] == f"Bearer {access}"

    fake.expire_access_tokens()
    pub.publish(thread(clock, "bearer two"))
    assert fake.refresh_count == 1
    stored = tmp_path / "state" / f"x-{ACCOUNT}.tokens.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert refresh not in stored.read_text()

    # A new process with the same (now spent) credentials uses the stored pair instead.
    fake.expire_access_tokens()
    again = publisher(fake, clock, tmp_path, env=env)
    again.publish(thread(clock, "bearer three"))
    assert fake.refresh_count == 2
    assert fake.texts() == ["bearer one", "bearer two", "bearer three"]


def test_two_processes_never_spend_the_same_refresh_token(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    access, refresh = fake.issue_tokens()
    env = oauth2_env(access, refresh)
    first = publisher(fake, clock, tmp_path, env=env)
    second = publisher(fake, clock, tmp_path, env=env)  # same state folder, same old pair
    fake.expire_access_tokens()
    first.publish(thread(clock, "from the first"))
    # the second gets a 401 with the old token and takes the pair the first stored
    second.publish(thread(clock, "from the second"))
    assert fake.refresh_count == 1
    assert fake.texts() == ["from the first", "from the second"]


def test_confidential_client_refreshes_with_basic_auth(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    access, refresh = fake.issue_tokens()
    env = oauth2_env(access, refresh) | {env_name(ACCOUNT, "client_secret"): "client-secret-1"}
    fake.expire_access_tokens()
    publisher(fake, clock, tmp_path, env=env).publish(thread(clock, "confidential"))
    (token_call,) = fake.calls("POST", "/2/oauth2/token")
    assert token_call.headers["authorization"].startswith("Basic ")
    assert "client_id" not in token_call.form()


def test_no_credentials_names_both_ways(clock: FixedClock, tmp_path: Path) -> None:
    from scheduler.errors import ConfigError

    with FakeX(clock=clock) as fake, pytest.raises(ConfigError) as info:
        publisher(fake, clock, tmp_path, env={})
    assert "missing credentials" in info.value.message
    assert "SCHEDULER_SECRET_MHAW_X_CONSUMER_KEY" in (info.value.hint or "")
    assert "SCHEDULER_SECRET_MHAW_X_REFRESH_TOKEN" in (info.value.hint or "")


def test_oauth2_refreshes_before_expiry(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    access, refresh = fake.issue_tokens()
    pub = publisher(fake, clock, tmp_path, env=oauth2_env(access, refresh))
    fake.expire_access_tokens()
    pub.publish(thread(clock, "first"))  # 401, refresh, retry
    clock.advance(timedelta(hours=2))  # past expires_in: refreshed before the call
    pub.publish(thread(clock, "second"))
    assert fake.refresh_count == 2
    # the second post went out once, with the token from the proactive refresh
    (second,) = [r for r in fake.calls("POST", CREATE) if r.json() == {"text": "second"}]
    assert second.headers["authorization"] == f"Bearer {next(iter(fake.access_tokens))}"


def test_oauth2_with_only_a_refresh_token(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    _, refresh = fake.issue_tokens()
    env = {env_name(ACCOUNT, "client_id"): "cid", env_name(ACCOUNT, "refresh_token"): refresh}
    publisher(fake, clock, tmp_path, env=env).publish(thread(clock, "fresh"))
    assert fake.texts() == ["fresh"]


def test_oauth2_refused_refresh_token_needs_a_person(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    pub = publisher(fake, clock, tmp_path, env=oauth2_env("at-unknown", "rt-unknown"))
    with pytest.raises(AuthFailed, match="refresh token was refused") as info:
        pub.publish(thread(clock, "never"))
    assert "Value passed for the token was invalid" in (info.value.platform_message or "")
    assert fake.texts() == []


def test_oauth1_401_is_auth_failed(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    env = oauth1_env(fake) | {env_name(ACCOUNT, "access_token"): "1-revoked"}
    pub = publisher(fake, clock, tmp_path, env=env, settings={"username": "u", "user_id": "1"})
    with pytest.raises(AuthFailed) as info:
        pub.publish(thread(clock, "no"))
    assert info.value.status == 401


def test_missing_credentials_name_the_variables(clock: FixedClock, tmp_path: Path) -> None:
    from scheduler.errors import ConfigError

    with FakeX(clock=clock) as fake, pytest.raises(ConfigError, match="access_token_secret"):
        publisher(fake, clock, tmp_path, env={env_name(ACCOUNT, "consumer_key"): "ck"})


# --- secrets ------------------------------------------------------------------------------------


def test_secrets_never_reach_the_logs(
    fake: FakeX, clock: FixedClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    access, refresh = fake.issue_tokens()
    caplog.set_level(logging.DEBUG)
    pub = publisher(fake, clock, tmp_path, env=oauth2_env(access, refresh))
    pub.publish(thread(clock, "logged"))
    fake.expire_access_tokens()
    pub.publish(thread(clock, "logged again"))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Authorization" in text  # tweepy did log its headers...
    assert access not in text and refresh not in text  # ...without the token
    for token in list(fake.access_tokens) + list(fake.refresh_tokens):
        assert token not in text


def test_oauth1_secrets_never_reach_the_logs(
    fake: FakeX, clock: FixedClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    publisher(fake, clock, tmp_path).publish(thread(clock, "signed"))
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (CONSUMER_SECRET, ACCESS_SECRET, fake.oauth1_token):
        assert secret not in text
