"""The one endpoint rule, origins, and an account's destination."""

from __future__ import annotations

import pytest

from scheduler.accounts import AccountSpec
from scheduler.descriptors import destination_of
from scheduler.descriptors import endpoint_of as endpoint_for
from scheduler.destination import Destination, UnsafeEndpoint, endpoint, is_loopback, origin
from scheduler.errors import ConfigError

ACCEPTED = [
    ("https://mastodon.social", "https://mastodon.social"),
    ("https://mastodon.social/", "https://mastodon.social"),
    ("HTTPS://Bsky.Social", "https://bsky.social"),
    ("https://pds.example:8443/base/", "https://pds.example:8443/base"),
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ("http://127.8.9.1", "http://127.8.9.1"),
    ("http://[::1]:8080", "http://[::1]:8080"),
    ("http://localhost:9000", "http://localhost:9000"),
    ("  https://api.x.com  ", "https://api.x.com"),
]


@pytest.mark.parametrize(("raw", "want"), ACCEPTED)
def test_accepted(raw: str, want: str) -> None:
    assert endpoint(raw) == want


REFUSED = [
    ("http://mastodon.social", "plain http to a host that is not loopback"),
    ("http://capture.example:8080", "plain http to a host that is not loopback"),
    ("http://10.0.0.5", "plain http to a host that is not loopback"),
    ("http://0.0.0.0:8080", "plain http to a host that is not loopback"),
    ("http://127.0.0.1.example", "plain http to a host that is not loopback"),
    ("http://localhost.example", "plain http to a host that is not loopback"),
    ("https://user:pw@pds.example", "without credentials"),
    ("https://token@pds.example", "without credentials"),
    ("https://pds.example/?access_token=abc", "without a query or fragment"),
    ("https://pds.example/#x", "without a query or fragment"),
    ("ftp://pds.example", "is not a base URL"),
    ("pds.example", "is not a base URL"),
    ("https://", "is not a base URL"),
    ("https://pds.example:port", "is not a base URL"),
    ("https://pds .example", "is not a base URL"),
]


@pytest.mark.parametrize(("raw", "why"), REFUSED)
def test_refused(raw: str, why: str) -> None:
    with pytest.raises(UnsafeEndpoint, match=why) as info:
        endpoint(raw)
    for secret in ("pw", "abc", "token@"):
        assert secret not in str(info.value).replace("https", "")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("10.0.0.1", False),
        ("example.org", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("https://pds.example/base", "https://pds.example"),
        ("https://pds.example:443", "https://pds.example"),
        ("https://pds.example:8443/x", "https://pds.example:8443"),
        ("http://127.0.0.1:5000/", "http://127.0.0.1:5000"),
        ("http://[::1]:80", "http://[::1]"),
    ],
)
def test_origin(raw: str, want: str) -> None:
    assert origin(raw) == want


def test_destination_of_each_platform() -> None:
    masto = AccountSpec("m", "mastodon", {"instance": "https://Mastodon.Social/"})
    sky = AccountSpec("b", "bluesky", {"handle": "@mhaw.bsky.social"})
    x = AccountSpec("x", "x", {"username": "mhaw"})
    sandbox = AccountSpec("s", "sandbox", {"as_platform": "mastodon"})
    assert destination_of(masto) == Destination("mastodon", "https://mastodon.social")
    assert destination_of(sky) == Destination("bluesky", "https://bsky.social", "mhaw.bsky.social")
    assert destination_of(x) == Destination("x", "https://api.x.com", "mhaw")
    assert destination_of(sandbox) == Destination("sandbox", None)


def test_an_account_endpoint_under_the_rule_names_the_account() -> None:
    spec = AccountSpec("mhaw-bluesky", "bluesky", {"service": "http://capture.example"})
    with pytest.raises(ConfigError, match=r"mhaw-bluesky.*plain http"):
        endpoint_for(spec)


def test_the_operator_base_wins_for_x_and_passes_the_rule() -> None:
    spec = AccountSpec("x", "x", {})
    assert endpoint_for(spec, override="http://127.0.0.1:7000/") == "http://127.0.0.1:7000"
    with pytest.raises(ConfigError):
        endpoint_for(spec, override="http://x.example")


def test_destination_round_trips_and_describes() -> None:
    d = Destination("bluesky", "https://bsky.social", "mhaw.bsky.social")
    assert Destination.from_data(d.to_data()) == d
    assert Destination.from_data(None) is None
    assert d.describe() == "bluesky @mhaw.bsky.social at https://bsky.social"
    assert Destination("sandbox", None).describe() == "sandbox (local)"
