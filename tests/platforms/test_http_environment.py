"""What the HTTP client takes from the environment: proxies and NO_PROXY (read once per host),
never a .netrc password. Real requests to servers on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.platforms.base import OPEN_GATE
from scheduler.platforms.http import HttpClient
from tests.fakes.echo import EchoServer

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    yield


def _client(base_url: str) -> HttpClient:
    client = HttpClient(platform="p", base_url=base_url, timeout=5, account="a", gate=OPEN_GATE)
    client.use_bearer("env-test-token-0123456789")
    return client


@pytest.mark.usefixtures("clean_environment")
def test_a_proxy_in_the_environment_carries_the_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    with EchoServer(status=200) as proxy, EchoServer(status=200) as platform:
        monkeypatch.setenv("http_proxy", proxy.base_url)
        client = _client(platform.base_url)
        assert client.request("GET", "/api/v1/x").status_code == 200
        # A forward proxy is asked for the whole address; the platform hears nothing itself.
        assert [seen["path"] for seen in proxy.seen] == [platform.base_url + "/api/v1/x"]
        assert platform.seen == []


@pytest.mark.usefixtures("clean_environment")
def test_no_proxy_sends_the_host_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    with EchoServer(status=200) as proxy, EchoServer(status=200) as platform:
        monkeypatch.setenv("http_proxy", proxy.base_url)
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        client = _client(platform.base_url)
        assert client.request("GET", "/api/v1/x").status_code == 200
        assert proxy.seen == []
        assert [seen["path"] for seen in platform.seen] == ["/api/v1/x"]


@pytest.mark.usefixtures("clean_environment")
def test_the_environment_is_read_once_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read at the first request to a host: later changes to the variables are not seen by a
    client already made (a daemon is restarted to take a new proxy)."""
    with EchoServer(status=200) as proxy, EchoServer(status=200) as platform:
        client = _client(platform.base_url)
        client.request("GET", "/first")
        monkeypatch.setenv("http_proxy", proxy.base_url)
        client.request("GET", "/second")
        assert proxy.seen == []
        assert [seen["path"] for seen in platform.seen] == ["/first", "/second"]
        assert _client(platform.base_url).request("GET", "/third").status_code == 200
        assert [seen["path"] for seen in proxy.seen] == [platform.base_url + "/third"]


@pytest.mark.usefixtures("clean_environment")
def test_a_netrc_password_never_replaces_the_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with EchoServer(status=200) as platform:
        _client(platform.base_url).request("POST", "/api/v1/statuses", json={"status": "hi"})
        assert [seen["authorization"] for seen in platform.seen] == [
            "Bearer env-test-token-0123456789"
        ]
