"""The daemon renews a renewable token before it runs out (Instagram's refresh endpoint,
on the fake), keeps it in the state folder where the publishers read it first, and tells a
person when the platform refuses."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.accounts import AccountSpec
from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore, env_name
from scheduler.daemon.report import Reporter
from scheduler.daemon.tokens import TokenKeeper
from scheduler.log import MemoryLog
from scheduler.platforms import build_publisher, renewal
from scheduler.platforms.base import PlatformContext
from tests.daemon.support import CollectingNotifier
from tests.fakes.instagram import LIFETIME, FakeInstagram

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
TOKEN = "IGAA-first-token-0123456789"
USER_ID = "17841400008460056"


class Setup:
    def __init__(self, tmp_path: Path, fake: FakeInstagram, clock: FixedClock) -> None:
        self.fake = fake
        self.clock = clock
        self.state_dir = tmp_path / "state"
        self.log = MemoryLog()
        self.notifier = CollectingNotifier()
        self.reporter = Reporter(self.log, self.notifier)
        self.spec = AccountSpec(
            "mhaw-instagram", "instagram", {"user_id": USER_ID, "api": fake.base_url}
        )

    def context(self, expires: datetime) -> PlatformContext:
        env = {
            env_name(self.spec.name, "access_token"): TOKEN,
            env_name(self.spec.name, "expires_at"): expires.isoformat(),
        }
        return PlatformContext(
            clock=self.clock,
            credentials=CredentialStore(env, None),
            state_dir=self.state_dir,
            outbox=self.state_dir / "outbox",
            timeout=2.0,
        )

    def keeper(self, context: PlatformContext) -> TokenKeeper:
        return TokenKeeper(
            lambda spec: build_publisher(spec, context),
            lambda name: renewal.current(context.credentials, context.state_dir, name),
            self.clock,
            self.reporter,
        )


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    clock = FixedClock(NOW)
    fake = FakeInstagram(clock, token=TOKEN, user_id=USER_ID).start()
    try:
        yield Setup(tmp_path, fake, clock)
    finally:
        fake.stop()


@pytest.mark.parametrize(
    ("left", "renewed"),
    [
        (timedelta(days=30), False),  # plenty left
        (timedelta(days=15), False),
        (timedelta(days=13), True),  # within RENEW_WITHIN
        (timedelta(days=1), True),
        (timedelta(hours=-1), False),  # ran out: only a person can reconnect it
    ],
)
def test_a_token_is_renewed_once_it_is_due(setup: Setup, left: timedelta, renewed: bool) -> None:
    context = setup.context(NOW + left)
    keeper = setup.keeper(context)
    keeper.renew_due([setup.spec])
    keeper.renew_due([setup.spec])  # the next sweep: the renewed token is not due
    assert len(setup.fake.refreshed) == (1 if renewed else 0)
    if not renewed:
        return
    path = renewal.path_for(setup.state_dir, setup.spec.name)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert TOKEN not in path.read_text() and setup.fake.refreshed[0] in path.read_text()
    expires = renewal.expiry(context.credentials, setup.state_dir, setup.spec.name)
    assert expires == NOW + timedelta(seconds=LIFETIME)
    assert [e["account"] for e in setup.log.of("token_renewed")] == [setup.spec.name]


def test_publishers_use_the_renewed_token(setup: Setup) -> None:
    context = setup.context(NOW + timedelta(days=3))
    built_before = build_publisher(setup.spec, context)  # a worker's cached publisher
    setup.keeper(context).renew_due([setup.spec])
    setup.fake.tokens.discard(TOKEN)  # the old token no longer works
    for publisher in (built_before, build_publisher(setup.spec, context)):
        info = publisher.verify()
        assert info.expires_at == NOW + timedelta(seconds=LIFETIME)
        publisher.close()


def test_a_new_token_from_a_person_wins_over_an_older_renewal(setup: Setup) -> None:
    context = setup.context(NOW + timedelta(days=3))
    setup.keeper(context).renew_due([setup.spec])
    later = NOW + timedelta(days=90)
    reconnected = setup.context(later)  # stored with the credentials, lasting longer
    token = renewal.current(reconnected.credentials, setup.state_dir, setup.spec.name)
    assert token.value.reveal() == TOKEN and token.expires_at == later


def test_a_refused_renewal_is_told_and_asked_again_later(setup: Setup) -> None:
    context = setup.context(NOW + timedelta(days=10))
    setup.fake.tokens.discard(TOKEN)  # revoked by the account's owner
    keeper = setup.keeper(context)
    keeper.renew_due([setup.spec])
    keeper.renew_due([setup.spec])
    setup.reporter.flush()
    assert setup.notifier.kinds() == [("needs_reconnect", setup.spec.name)]
    setup.fake.tokens.add(TOKEN)
    setup.clock.advance(renewal.RETRY_AFTER.total_seconds() - 60)
    keeper.renew_due([setup.spec])
    assert setup.fake.refreshed == []  # not yet
    setup.clock.advance(120)
    keeper.renew_due([setup.spec])
    assert len(setup.fake.refreshed) == 1
    setup.reporter.close(timeout=2)


def test_facebook_login_tokens_are_not_renewed_here(setup: Setup) -> None:
    context = setup.context(NOW + timedelta(days=3))
    spec = AccountSpec(
        setup.spec.name, "instagram", {"user_id": USER_ID, "api": "https://graph.facebook.com"}
    )
    keeper = setup.keeper(context)
    assert not keeper.renews(spec)
    assert keeper.renews(setup.spec)


@pytest.mark.parametrize(
    ("expires", "issued", "due"),
    [
        (NOW + timedelta(days=10), None, True),
        (NOW + timedelta(days=10), NOW - timedelta(hours=23), False),  # less than a day old
        (NOW + timedelta(days=10), NOW - timedelta(hours=25), True),
        (NOW + timedelta(days=20), None, False),
        (None, None, False),
        (NOW - timedelta(seconds=1), None, False),
    ],
)
def test_renewal_due(expires: datetime | None, issued: datetime | None, due: bool) -> None:
    token = renewal.Token(renewal.Secret("t"), expires, issued)
    assert renewal.renewal_due(token, NOW, timedelta(days=60)) is due


def test_a_renewal_kept_elsewhere_is_not_asked_again_at_every_sweep(setup: Setup) -> None:
    """A publisher may keep its renewed token in a file of its own: the keeper goes by what
    the renewal returned, not only by the token it can read."""
    context = setup.context(NOW + timedelta(days=3))
    keeper = setup.keeper(context)
    keeper.renew_due([setup.spec])
    renewal.path_for(setup.state_dir, setup.spec.name).unlink()  # not where the keeper looks
    for _ in range(3):
        setup.clock.advance(3600 * 12)
        keeper.renew_due([setup.spec])
    assert len(setup.fake.refreshed) == 1
    assert keeper.expiry(setup.spec.name) == NOW + timedelta(seconds=LIFETIME)


def test_neither_token_shows_in_the_logs_of_a_renewal(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    context = setup.context(NOW + timedelta(days=3))
    setup.keeper(context).renew_due([setup.spec])
    assert setup.fake.refreshed and "refresh_access_token" in caplog.text
    assert TOKEN not in caplog.text and setup.fake.refreshed[0] not in caplog.text
