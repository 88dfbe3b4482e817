"""Runtime settings: where the ledger, the outbox and the secrets live.

Precedence, highest first: a command-line option, an environment variable, the default.

    ledger        --ledger    SCHEDULER_LEDGER    <data dir>/ledger.sqlite3
    data dir                  SCHEDULER_HOME      $XDG_DATA_HOME/campaign-scheduler
    outbox        --outbox    SCHEDULER_OUTBOX    <data dir>/outbox
    secrets file  --secrets   SCHEDULER_SECRETS   $XDG_CONFIG_HOME/campaign-scheduler/secrets.toml
    X API base                SCHEDULER_X_API_BASE  https://api.x.com (the publisher's default)

The ledger may be a path (an SQLite file) or a SQLAlchemy URL (``sqlite:///...``,
``postgresql://...``). A URL's password is redacted in ``repr`` and in every message.

The X API base is an operator's setting, never a campaign's: a campaign file in git must not
be able to send an account's tokens to another host. It exists for X-compatible test servers,
so plain http is accepted only for a loopback host.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scheduler.destination import UnsafeEndpoint, endpoint
from scheduler.errors import ConfigError
from scheduler.redact import redact

APP_DIR_NAME = "campaign-scheduler"
X_API_BASE_VAR = "SCHEDULER_X_API_BASE"


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
    if env.get("SCHEDULER_HOME"):
        return Path(env["SCHEDULER_HOME"]).expanduser()
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
        ledger_value = ledger or env.get("SCHEDULER_LEDGER") or str(home / "ledger.sqlite3")
        outbox_value = outbox or env.get("SCHEDULER_OUTBOX") or str(home / "outbox")
        secrets_value = (
            secrets or env.get("SCHEDULER_SECRETS") or str(config_dir(env) / "secrets.toml")
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
        raw = self.env.get(X_API_BASE_VAR, "")
        return api_base(X_API_BASE_VAR, raw) if raw.strip() else None

    def __repr__(self) -> str:
        return (
            f"Settings(ledger={redact_url(self.ledger)!r}, outbox={str(self.outbox)!r}, "
            f"secrets_file={str(self.secrets_file)!r})"
        )
