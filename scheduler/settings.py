"""Runtime settings: where the ledger, the outbox and the secrets live.

Precedence, highest first: a command-line option, an environment variable, the default.

    ledger        --ledger    SCHEDULER_LEDGER    <data dir>/ledger.sqlite3
    data dir                  SCHEDULER_HOME      $XDG_DATA_HOME/campaign-scheduler
    outbox        --outbox    SCHEDULER_OUTBOX    <data dir>/outbox
    secrets file  --secrets   SCHEDULER_SECRETS   $XDG_CONFIG_HOME/campaign-scheduler/secrets.toml
    X API base                SCHEDULER_X_API_BASE  https://api.x.com (the publisher's default)

Every other ``SCHEDULER_*`` variable (the daemon's tuning, its metrics port, the notifiers) is
listed once in ``VARIABLES`` below, with its type and allowed range. ``read`` checks a value
against it, so a bad value stops the command with one line naming the variable and the range
instead of being taken as something else (``EXIT_WHEN_DONE=ture`` as false, ``GRACE=nan``).
It is a small reader of our own rather than pydantic-settings: this module is on the start-up
path of every command, and the table is short.

The ledger may be a path (an SQLite file) or a SQLAlchemy URL (``sqlite:///...``,
``postgresql://...``). A URL's password is redacted in ``repr`` and in every message.

The X API base is an operator's setting, never a campaign's: a campaign file in git must not
be able to send an account's tokens to another host. It exists for X-compatible test servers,
so plain http is accepted only for a loopback host.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scheduler.destination import UnsafeEndpoint, endpoint
from scheduler.errors import ConfigError
from scheduler.redact import redact

APP_DIR_NAME = "campaign-scheduler"
X_API_BASE_VAR = "SCHEDULER_X_API_BASE"
DAEMON_PREFIX = "SCHEDULER_DAEMON_"
NOTIFY_PREFIX = "SCHEDULER_NOTIFY_"
MEDIA_PREFIX = "SCHEDULER_MEDIA_"

_DAY = 86400.0
_TEN_YEARS = 10 * 365 * _DAY


@dataclass(frozen=True, slots=True)
class Variable:
    """One environment variable: its type and the range a value must lie in."""

    name: str
    kind: type  # float, int, bool or str
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # the low bound itself is not allowed
    unit: str = "seconds"  # what a float counts, in the message

    def allowed(self) -> str:
        """The allowed values in words, for the error message."""
        if self.kind is bool:
            return "true, false, 1, 0, yes, no, on, off"
        if self.kind is str:
            return "a non-empty value"
        low, high = _number(self.low), _number(self.high)
        if self.kind is int:
            return f"a whole number from {low} to {high}"
        above = f"more than {low}" if self.low_open else f"at least {low}"
        return f"{self.unit}, {above} and at most {high}"


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _seconds(name: str, low: float, high: float, *, low_open: bool = False) -> Variable:
    return Variable(name, float, low, high, low_open)


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable("SCHEDULER_HOME", str),
        Variable("SCHEDULER_LEDGER", str),
        Variable("SCHEDULER_OUTBOX", str),
        Variable("SCHEDULER_SECRETS", str),
        Variable(X_API_BASE_VAR, str),  # checked further, on use, by ``api_base``
        _seconds("SCHEDULER_DAEMON_LEASE", 0, _DAY, low_open=True),
        _seconds("SCHEDULER_DAEMON_SWEEP_INTERVAL", 0, 3600, low_open=True),
        _seconds("SCHEDULER_DAEMON_RELOAD_INTERVAL", 0, 3600, low_open=True),
        _seconds("SCHEDULER_DAEMON_REMIND_AHEAD", 0, 30 * _DAY),
        _seconds("SCHEDULER_DAEMON_MAX_LATENESS", 0, _TEN_YEARS),
        _seconds("SCHEDULER_DAEMON_THREAD_COMPLETION", 0, _TEN_YEARS),
        Variable("SCHEDULER_DAEMON_WORKERS", int, 1, 256),
        _seconds("SCHEDULER_DAEMON_GRACE", 0, 3600),
        Variable("SCHEDULER_DAEMON_EXIT_WHEN_DONE", bool),
        _seconds("SCHEDULER_DAEMON_HTTP_TIMEOUT", 0, 3600, low_open=True),
        Variable("SCHEDULER_DAEMON_OWNER", str),
        Variable("SCHEDULER_DAEMON_METRICS_PORT", int, 1, 65535),
        Variable("SCHEDULER_DAEMON_METRICS_HOST", str),
        _seconds("SCHEDULER_DAEMON_RETRY_BASE", 0, _DAY, low_open=True),
        Variable("SCHEDULER_DAEMON_RETRY_FACTOR", float, 1, 10, unit="a factor"),
        _seconds("SCHEDULER_DAEMON_RETRY_CAP", 0, 7 * _DAY, low_open=True),
        Variable("SCHEDULER_DAEMON_RETRY_JITTER", float, 0, 1, unit="a fraction"),
        Variable("SCHEDULER_DAEMON_RETRY_MAX_ATTEMPTS", int, 1, 1000),
        _seconds("SCHEDULER_DAEMON_RETRY_RESET_SPREAD", 0, 3600),
        Variable("SCHEDULER_NOTIFY_WEBHOOK", str),
        Variable("SCHEDULER_NOTIFY_SMTP", str),
        Variable("SCHEDULER_NOTIFY_EMAIL_TO", str),
        Variable("SCHEDULER_NOTIFY_EMAIL_FROM", str),
        Variable("SCHEDULER_NOTIFY_SMTP_USER", str),
        Variable("SCHEDULER_NOTIFY_SMTP_PASSWORD", str),
        Variable("SCHEDULER_NOTIFY_SMTP_STARTTLS", bool),
        # Public media for platforms that fetch images from a URL (scheduler.media.config).
        Variable("SCHEDULER_MEDIA_HOST", str),  # s3 | site
        Variable("SCHEDULER_MEDIA_S3_BUCKET", str),
        Variable("SCHEDULER_MEDIA_S3_ENDPOINT", str),  # checked further by ``api_base``
        Variable("SCHEDULER_MEDIA_S3_REGION", str),
        Variable("SCHEDULER_MEDIA_S3_PREFIX", str),
        Variable("SCHEDULER_MEDIA_S3_EXPIRES", int, 3600, 7 * 24 * 3600),  # SigV4: 7 days at most
        Variable("SCHEDULER_MEDIA_S3_PATH_STYLE", bool),
        Variable("SCHEDULER_MEDIA_SITE_URL", str),  # checked further by ``api_base``
    )
}

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def read(name: str, env: Mapping[str, str]) -> float | int | bool | str | None:
    """The value of the variable ``name`` from ``env``, checked; None when unset or empty.

    Raises ConfigError naming the variable and its allowed range when the value is bad.
    """
    variable = VARIABLES[name]
    raw = env.get(name)
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if variable.kind is str:
        return text
    if variable.kind is bool:
        lowered = text.lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE
        raise ConfigError(f"{name}={text!r} is not true or false; allowed: {variable.allowed()}")
    try:
        value: float = int(text) if variable.kind is int else float(text)
    except ValueError:
        what = "a whole number" if variable.kind is int else "a number"
        raise ConfigError(f"{name}={text!r} is not {what}; allowed: {variable.allowed()}") from None
    low, high = variable.low, variable.high
    if (
        not math.isfinite(value)
        or (low is not None and (value < low or (variable.low_open and value == low)))
        or (high is not None and value > high)
    ):
        raise ConfigError(f"{name}={text} is out of range; allowed: {variable.allowed()}")
    return value


def text(name: str, env: Mapping[str, str]) -> str | None:
    """The text variable ``name`` (a path, a URL, a name), stripped; None when unset or empty."""
    assert VARIABLES[name].kind is str, name
    value = read(name, env)
    return value if isinstance(value, str) else None


def family(prefix: str, env: Mapping[str, str]) -> dict[str, float | int | bool | str]:
    """Every variable of the family ``prefix`` that ``env`` sets, checked, keyed by the rest
    of its name in lower case (``SCHEDULER_DAEMON_WORKERS=8`` -> ``{"workers": 8}``).

    A name of the family that is not a setting (a typo) is an error too, naming the closest
    real one: silently ignoring it would run with the default the operator meant to change.
    """
    found: dict[str, float | int | bool | str] = {}
    for name in sorted(env):
        if not name.startswith(prefix):
            continue
        if name not in VARIABLES:
            close = difflib.get_close_matches(name, list(VARIABLES), n=1)
            raise ConfigError(
                f"{name} is not a setting",
                hint=f"did you mean {close[0]}?" if close else "see the README's Tuning table",
            )
        value = read(name, env)
        if value is not None:
            found[name.removeprefix(prefix).lower()] = value
    return found


class Secret:
    """A string that never shows itself in repr, str, logs or error messages."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def redact_url(url: str) -> str:
    """``postgresql://u:pw@host/db`` -> ``postgresql://u:***@host/db``."""
    return redact(url)


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    home = text("SCHEDULER_HOME", env)
    if home:
        return Path(home).expanduser()
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / APP_DIR_NAME


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / APP_DIR_NAME


def ledger_url(value: str | None) -> str:
    """Turn a path or URL into a SQLAlchemy URL."""
    if value is None:
        raise ValueError("no ledger given")
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def api_base(name: str, value: str) -> str:
    """An operator's API base URL from the variable ``name``, checked by the one endpoint rule
    (``scheduler.destination.endpoint``), without a trailing slash."""
    try:
        return endpoint(value)
    except UnsafeEndpoint as exc:
        raise ConfigError(f"{name} {exc}") from None


@dataclass(frozen=True)
class Settings:
    ledger: str
    outbox: Path
    secrets_file: Path
    data_dir: Path
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def load(
        cls,
        *,
        ledger: str | None = None,
        outbox: str | None = None,
        secrets: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Settings:
        env = dict(os.environ if env is None else env)
        home = data_dir(env)
        ledger_value = ledger or text("SCHEDULER_LEDGER", env) or str(home / "ledger.sqlite3")
        outbox_value = outbox or text("SCHEDULER_OUTBOX", env) or str(home / "outbox")
        secrets_value = (
            secrets or text("SCHEDULER_SECRETS", env) or str(config_dir(env) / "secrets.toml")
        )
        return cls(
            ledger=ledger_url(ledger_value),
            outbox=Path(outbox_value).expanduser(),
            secrets_file=Path(secrets_value).expanduser(),
            data_dir=home,
            env=env,
        )

    @property
    def x_api_base(self) -> str | None:
        """The operator's X API base (``SCHEDULER_X_API_BASE``), checked; None when unset.

        Read on use rather than on load, so that a bad value stops only the commands that
        would talk to X.
        """
        raw = text(X_API_BASE_VAR, self.env)
        return api_base(X_API_BASE_VAR, raw) if raw else None

    def __repr__(self) -> str:
        return (
            f"Settings(ledger={redact_url(self.ledger)!r}, outbox={str(self.outbox)!r}, "
            f"secrets_file={str(self.secrets_file)!r})"
        )
