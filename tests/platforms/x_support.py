"""What the X publisher's tests share: the fake X server, an account's credentials, a
publisher pointed at the fake, and small requests."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore, env_name
from scheduler.platforms import build_publisher
from scheduler.platforms.base import (
    AccountSpec,
    MediaUpload,
    PartRequest,
    PartResult,
    PlatformContext,
    PublishRequest,
)
from scheduler.platforms.x import XPublisher
from tests.fakes.x import FakeX

ACCOUNT = "mhaw-x"
CONSUMER_SECRET = "consumer-secret-value-123"
ACCESS_SECRET = "access-secret-value-456"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock("2026-05-11T08:00:00+00:00")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeX]:
    # One server per module: stopping one costs half a second (serve_forever's poll).
    with FakeX() as running:
        yield running


@pytest.fixture
def fake(server: FakeX, clock: FixedClock) -> FakeX:
    server.reset(clock)
    return server


def oauth1_env(fake: FakeX) -> dict[str, str]:
    return {
        env_name(ACCOUNT, "consumer_key"): "consumer-key-abc",
        env_name(ACCOUNT, "consumer_secret"): CONSUMER_SECRET,
        env_name(ACCOUNT, "access_token"): fake.oauth1_token,
        env_name(ACCOUNT, "access_token_secret"): ACCESS_SECRET,
    }


def oauth2_env(access: str, refresh: str) -> dict[str, str]:
    return {
        env_name(ACCOUNT, "client_id"): "client-id-xyz",
        env_name(ACCOUNT, "access_token"): access,
        env_name(ACCOUNT, "refresh_token"): refresh,
    }


def publisher(
    fake: FakeX,
    clock: FixedClock,
    tmp_path: Path,
    *,
    env: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    timeout: float = 2.0,
) -> XPublisher:
    context = PlatformContext(
        clock=clock,
        credentials=CredentialStore(oauth1_env(fake) if env is None else env, None),
        state_dir=tmp_path / "state",
        outbox=tmp_path / "outbox",
        timeout=timeout,
    )
    api_base = (settings or {}).get("api_base") or fake.base_url
    spec = AccountSpec(ACCOUNT, "x", {**(settings or {}), "api_base": api_base})
    pub = build_publisher(spec, context)
    assert isinstance(pub, XPublisher)
    return pub


def thread(clock: FixedClock, *texts: str, done: tuple[PartResult, ...] = ()) -> PublishRequest:
    return PublishRequest(
        account=ACCOUNT,
        parts=tuple(PartRequest(text=t) for t in texts),
        created_at=clock.now(),
        done=done,
    )


def image(tmp_path: Path, name: str, alt: str) -> MediaUpload:
    path = tmp_path / name
    data = b"\x89PNG\r\n\x1a\n" + name.encode() * 50
    path.write_bytes(data)
    return MediaUpload(
        file=path,
        mime="image/png",
        alt=alt,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
