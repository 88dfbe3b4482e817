"""Settings from the environment: the operator's X API base, and every other variable's type
and range."""

from __future__ import annotations

import re
from dataclasses import fields

import pytest

from scheduler.daemon.base import DaemonOptions
from scheduler.daemon.retry import RetryPolicy
from scheduler.errors import ConfigError
from scheduler.notify import notifiers_from_env
from scheduler.settings import (
    DAEMON_PREFIX,
    VARIABLES,
    X_API_BASE_VAR,
    Settings,
    api_base,
    family,
    read,
)
from tests.conftest import ROOT

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


# --- every other SCHEDULER_* variable: one typed reader, one table -----------------------------

GOOD = [
    ("SCHEDULER_DAEMON_LEASE", "0.5", 0.5),
    ("SCHEDULER_DAEMON_LEASE", " 300 ", 300.0),
    ("SCHEDULER_DAEMON_WORKERS", "1", 1),
    ("SCHEDULER_DAEMON_WORKERS", "256", 256),
    ("SCHEDULER_DAEMON_GRACE", "0", 0.0),
    ("SCHEDULER_DAEMON_THREAD_COMPLETION", "0", 0.0),
    ("SCHEDULER_DAEMON_EXIT_WHEN_DONE", "true", True),
    ("SCHEDULER_DAEMON_EXIT_WHEN_DONE", "TRUE", True),
    ("SCHEDULER_DAEMON_EXIT_WHEN_DONE", "1", True),
    ("SCHEDULER_DAEMON_EXIT_WHEN_DONE", "on", True),
    ("SCHEDULER_DAEMON_EXIT_WHEN_DONE", "no", False),
    ("SCHEDULER_DAEMON_EXIT_WHEN_DONE", "0", False),
    ("SCHEDULER_DAEMON_RETRY_JITTER", "0", 0.0),
    ("SCHEDULER_DAEMON_RETRY_JITTER", "1", 1.0),
    ("SCHEDULER_DAEMON_RETRY_MAX_ATTEMPTS", "3", 3),
    ("SCHEDULER_DAEMON_METRICS_PORT", "9464", 9464),
    ("SCHEDULER_DAEMON_OWNER", " host-a ", "host-a"),
    ("SCHEDULER_NOTIFY_SMTP_STARTTLS", "yes", True),
    ("SCHEDULER_DAEMON_LEASE", "", None),  # empty is unset: the default applies
]


@pytest.mark.parametrize(("name", "raw", "want"), GOOD)
def test_good_values_are_read_as_their_type(name: str, raw: str, want: object) -> None:
    value = read(name, {name: raw})
    assert value == want and type(value) is type(want)


BAD = [
    (
        "SCHEDULER_DAEMON_LEASE",
        "-5",
        "out of range; allowed: seconds, more than 0 and at most 86400",
    ),
    ("SCHEDULER_DAEMON_LEASE", "0", "out of range; allowed: seconds, more than 0"),
    ("SCHEDULER_DAEMON_LEASE", "5m", "is not a number"),
    ("SCHEDULER_DAEMON_WORKERS", "0", "out of range; allowed: a whole number from 1 to 256"),
    ("SCHEDULER_DAEMON_WORKERS", "1000", "out of range; allowed: a whole number from 1 to 256"),
    ("SCHEDULER_DAEMON_WORKERS", "2.5", "is not a whole number"),
    (
        "SCHEDULER_DAEMON_GRACE",
        "nan",
        "out of range; allowed: seconds, at least 0 and at most 3600",
    ),
    ("SCHEDULER_DAEMON_GRACE", "-inf", "out of range"),
    ("SCHEDULER_DAEMON_HTTP_TIMEOUT", "inf", "out of range"),
    ("SCHEDULER_DAEMON_SWEEP_INTERVAL", "0", "out of range"),
    ("SCHEDULER_DAEMON_EXIT_WHEN_DONE", "ture", "is not true or false"),
    ("SCHEDULER_DAEMON_EXIT_WHEN_DONE", "2", "is not true or false"),
    (
        "SCHEDULER_DAEMON_RETRY_JITTER",
        "1.5",
        "out of range; allowed: a fraction, at least 0 and at most 1",
    ),
    ("SCHEDULER_DAEMON_RETRY_FACTOR", "0.5", "out of range; allowed: a factor, at least 1"),
    (
        "SCHEDULER_DAEMON_RETRY_MAX_ATTEMPTS",
        "0",
        "out of range; allowed: a whole number from 1 to 1000",
    ),
    (
        "SCHEDULER_DAEMON_METRICS_PORT",
        "70000",
        "out of range; allowed: a whole number from 1 to 65535",
    ),
    ("SCHEDULER_NOTIFY_SMTP_STARTTLS", "sure", "is not true or false"),
]


@pytest.mark.parametrize(("name", "raw", "why"), BAD)
def test_a_bad_value_is_one_line_naming_the_variable_and_the_range(
    name: str, raw: str, why: str
) -> None:
    with pytest.raises(ConfigError) as info:
        read(name, {name: raw})
    shown = str(info.value)
    assert info.value.message.startswith(f"{name}=")
    assert why in shown
    assert "\n" not in shown


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"SCHEDULER_DAEMON_WORKER": "8"}, "did you mean SCHEDULER_DAEMON_WORKERS?"),
        (
            {"SCHEDULER_DAEMON_RETRY_MAX_ATTEMPT": "3"},
            "did you mean SCHEDULER_DAEMON_RETRY_MAX_ATTEMPTS?",
        ),
        ({"SCHEDULER_DAEMON_COLOUR": "blue"}, "SCHEDULER_DAEMON_COLOUR is not a setting"),
    ],
)
def test_a_misspelt_setting_is_refused_with_the_closest_name(env: dict[str, str], why: str) -> None:
    with pytest.raises(ConfigError) as info:
        family(DAEMON_PREFIX, env)
    assert why in str(info.value)


def test_a_family_reads_only_its_own_names() -> None:
    env = {
        "SCHEDULER_DAEMON_WORKERS": "8",
        "SCHEDULER_DAEMON_RETRY_BASE": "2",
        "SCHEDULER_LEDGER": "x.sqlite3",
        "SCHEDULER_SECRET_A_TOKEN": "t",
    }
    assert family(DAEMON_PREFIX, env) == {"workers": 8, "retry_base": 2.0}


DAEMON_ENV = [
    ({"SCHEDULER_DAEMON_LEASE": "-5"}, "SCHEDULER_DAEMON_LEASE=-5 is out of range"),
    ({"SCHEDULER_DAEMON_WORKERS": "0"}, "SCHEDULER_DAEMON_WORKERS=0 is out of range"),
    ({"SCHEDULER_DAEMON_GRACE": "nan"}, "SCHEDULER_DAEMON_GRACE=nan is out of range"),
    ({"SCHEDULER_DAEMON_EXIT_WHEN_DONE": "ture"}, "is not true or false"),
    ({"SCHEDULER_DAEMON_RETRY_CAP": "-1"}, "SCHEDULER_DAEMON_RETRY_CAP=-1 is out of range"),
]


@pytest.mark.parametrize(("env", "why"), DAEMON_ENV)
def test_the_daemon_options_refuse_bad_values(env: dict[str, str], why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        DaemonOptions.from_env(env)


def test_the_daemon_options_read_every_kind() -> None:
    options = DaemonOptions.from_env(
        {
            "SCHEDULER_DAEMON_LEASE": "12.5",
            "SCHEDULER_DAEMON_WORKERS": "8",
            "SCHEDULER_DAEMON_EXIT_WHEN_DONE": "yes",
            "SCHEDULER_DAEMON_OWNER": "host-a",
            "SCHEDULER_DAEMON_METRICS_PORT": "9464",
            "SCHEDULER_DAEMON_RETRY_MAX_ATTEMPTS": "3",
            "SCHEDULER_DAEMON_RETRY_BASE": "2",
        }
    )
    assert (options.lease, options.workers, options.exit_when_done) == (12.5, 8, True)
    assert (options.owner, options.metrics_port) == ("host-a", 9464)
    assert (options.retry.max_attempts, options.retry.base) == (3, 2.0)
    assert DaemonOptions.from_env({}).exit_when_done is False


def test_every_daemon_option_has_exactly_one_checked_variable() -> None:
    names = {f"{DAEMON_PREFIX}{f.name.upper()}" for f in fields(DaemonOptions) if f.name != "retry"}
    names |= {f"{DAEMON_PREFIX}RETRY_{f.name.upper()}" for f in fields(RetryPolicy)}
    table = {name for name in VARIABLES if name.startswith(DAEMON_PREFIX)}
    assert names == table


def test_every_variable_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in VARIABLES if not re.search(rf"\b{name}(?![A-Z_])", readme)]
    assert not missing, f"variables missing from README.md: {missing}"


def test_nothing_else_reads_scheduler_variables_from_the_process_environment() -> None:
    """The environment is read once, by Settings.load; every module is given the mapping."""
    offenders = []
    for path in sorted((ROOT / "scheduler").rglob("*.py")):
        if path.name == "settings.py" and path.parent.name == "scheduler":
            continue
        text = path.read_text(encoding="utf-8")
        if "os.environ" in text or "getenv(" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders


def test_the_notifiers_refuse_a_misspelt_switch() -> None:
    env = {"SCHEDULER_NOTIFY_SMTP": "mail.example:587", "SCHEDULER_NOTIFY_EMAIL_TO": "a@b.example"}
    [mail] = notifiers_from_env({**env, "SCHEDULER_NOTIFY_SMTP_STARTTLS": "true"})
    assert getattr(mail, "_starttls", None) is True
    with pytest.raises(ConfigError, match="SCHEDULER_NOTIFY_SMTP_STARTTLS='ture' is not true"):
        notifiers_from_env({**env, "SCHEDULER_NOTIFY_SMTP_STARTTLS": "ture"})
    with pytest.raises(ConfigError, match="did you mean SCHEDULER_NOTIFY_EMAIL_TO"):
        notifiers_from_env({**env, "SCHEDULER_NOTIFY_EMAIL_T0": "c@d.example"})
