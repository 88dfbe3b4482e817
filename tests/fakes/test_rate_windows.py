"""The fakes' rate-limit windows behave as the platforms' do: ``remaining`` falls with use and
comes back when the window's announced reset has passed (a daemon that waits for the reset
must find the window open again)."""

from __future__ import annotations

from datetime import datetime, timedelta

from scheduler.clock import FixedClock
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.x import FakeX

T0 = datetime.fromisoformat("2026-05-11T08:00:00+00:00")


def test_mastodon_window_resets_at_its_announced_time() -> None:
    clock = FixedClock(T0)
    fake = FakeMastodon(clock)
    fake.remaining = 0
    first = fake.rate_headers()
    assert first["X-RateLimit-Remaining"] == "0"
    reset = datetime.fromisoformat(first["X-RateLimit-Reset"].replace("Z", "+00:00"))
    assert reset == T0 + timedelta(minutes=5)
    clock.set(T0 + timedelta(minutes=4))
    assert fake.rate_headers()["X-RateLimit-Reset"] == first["X-RateLimit-Reset"]  # fixed
    clock.set(reset)
    again = fake.rate_headers()
    assert again["X-RateLimit-Remaining"] == "300"
    assert again["X-RateLimit-Reset"] != first["X-RateLimit-Reset"]


def test_x_window_resets_at_its_announced_time() -> None:
    clock = FixedClock(T0)
    fake = FakeX(clock=clock)
    fake.remaining = 1
    spent = fake._limits()
    assert spent["x-rate-limit-remaining"] == "0"
    assert int(spent["x-rate-limit-reset"]) == int((T0 + timedelta(minutes=15)).timestamp())
    clock.set(T0 + timedelta(minutes=15))
    assert fake._limits()["x-rate-limit-remaining"] == "199"
