"""Settings from the environment: the operator's X API base and its checks."""

from __future__ import annotations

import pytest

from scheduler.errors import ConfigError
from scheduler.settings import X_API_BASE_VAR, Settings, api_base

ACCEPTED = [
    ("https://api.x.com", "https://api.x.com"),
    ("https://x-compatible.example/", "https://x-compatible.example"),
    ("https://x-compatible.example:8443/api/", "https://x-compatible.example:8443/api"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("http://127.1.2.3:8080/", "http://127.1.2.3:8080"),
    ("http://[::1]:8080", "http://[::1]:8080"),
    ("http://localhost:9000", "http://localhost:9000"),
    ("HTTP://LOCALHOST:9000", "http://localhost:9000"),
    ("  https://api.x.com  ", "https://api.x.com"),
]


@pytest.mark.parametrize(("raw", "want"), ACCEPTED)
def test_accepted_bases(raw: str, want: str) -> None:
    assert api_base(X_API_BASE_VAR, raw) == want


REFUSED = [
    ("http://api.x.com", "plain http to a host that is not loopback"),
    ("http://10.0.0.5:8080", "plain http to a host that is not loopback"),
    ("http://localhost.example:8080", "plain http to a host that is not loopback"),
    ("http://127.0.0.1.example", "plain http to a host that is not loopback"),
    ("http://0.0.0.0:8080", "plain http to a host that is not loopback"),
    ("ftp://127.0.0.1", "is not a base URL"),
    ("api.x.com", "is not a base URL"),
    ("https://", "is not a base URL"),
    ("https://127.0.0.1:notaport", "is not a base URL"),
    ("https://api.x.com/?next=1", "without a query or fragment"),
    ("https://proxy.example/x?api_key=s3cr3t", "without a query or fragment"),
    ("http://proxy.example/k-s3cr3t", "plain http to a host that is not loopback"),
    ("https://api.x.com/#top", "without a query or fragment"),
    ("https://user:hunter22@api.x.com", "without credentials"),
]


@pytest.mark.parametrize(("raw", "why"), REFUSED)
def test_refused_bases_name_the_variable_on_one_line(raw: str, why: str) -> None:
    with pytest.raises(ConfigError) as info:
        api_base(X_API_BASE_VAR, raw)
    message = info.value.message
    assert message.startswith(X_API_BASE_VAR)
    assert why in message
    assert "\n" not in str(info.value)
    # what may be a secret (userinfo, path, query) is never repeated back
    assert "hunter22" not in str(info.value) and "s3cr3t" not in str(info.value)


def test_settings_read_the_base_on_use() -> None:
    assert Settings.load(env={"SCHEDULER_HOME": "/srv/scheduler"}).x_api_base is None
    assert Settings.load(env={X_API_BASE_VAR: " "}).x_api_base is None
    settings = Settings.load(env={X_API_BASE_VAR: "http://127.0.0.1:5000/"})
    assert settings.x_api_base == "http://127.0.0.1:5000"
    # A bad value loads (commands that never talk to X still work) and is refused on use.
    bad = Settings.load(env={X_API_BASE_VAR: "http://api.x.com"})
    with pytest.raises(ConfigError, match=X_API_BASE_VAR):
        _ = bad.x_api_base
