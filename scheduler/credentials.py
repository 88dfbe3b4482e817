"""Credentials for accounts, looked up by account name. Never in campaign files or the ledger.

Two sources, the environment first:

* environment variables ``SCHEDULER_SECRET_<ACCOUNT>_<FIELD>``: the account name upper-cased
  with every character that is not a letter or digit turned into ``_``. For the account
  ``mhaw-mastodon`` the access token is ``SCHEDULER_SECRET_MHAW_MASTODON_ACCESS_TOKEN``.
* a TOML secrets file (see scheduler.settings for its location), one table per account::

      [accounts.mhaw-mastodon]
      access_token = "..."

  The file is refused when its group or others may read it (``chmod 600`` it).

Values come back as ``Secret`` so that they cannot leak through repr, logs or messages.
"""

from __future__ import annotations

import re
import stat
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from scheduler.errors import ConfigError
from scheduler.redact import register, register_pair
from scheduler.settings import Secret

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")
# Fields that name rather than authenticate: masking them would blank out ordinary text.
# When an account's token runs out (ISO 8601), where the operator or `accounts connect` says.
EXPIRY_FIELD = "expires_at"
PUBLIC_FIELDS = frozenset({"client_id", "username", "handle", "identifier", "email"})


def env_prefix(account: str) -> str:
    return f"SCHEDULER_SECRET_{_NOT_ALNUM.sub('_', account).upper()}_"


def env_name(account: str, field: str) -> str:
    return env_prefix(account) + _NOT_ALNUM.sub("_", field).upper()


class CredentialStore:
    """Looks up the secret fields of an account in the environment, then the secrets file."""

    def __init__(self, env: Mapping[str, str], secrets_file: Path | None) -> None:
        self._env = env
        self._file = secrets_file
        self._file_data: dict[str, dict[str, str]] | None = None

    def _load_file(self) -> dict[str, dict[str, str]]:
        if self._file_data is not None:
            return self._file_data
        data: dict[str, dict[str, str]] = {}
        path = self._file
        if path is not None and path.exists():
            mode = path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise ConfigError(
                    f"{path}: the secrets file can be read by other users "
                    f"(mode {stat.filemode(mode)})",
                    hint=f"run: chmod 600 {path}",
                )
            try:
                raw = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                # The TOML error text may quote a line of the file, which may hold a secret.
                raise ConfigError(
                    f"{path}: cannot read the secrets file ({type(exc).__name__})",
                    hint="it must be TOML with one [accounts.NAME] table per account",
                ) from None
            accounts = raw.get("accounts", {})
            if not isinstance(accounts, dict):
                raise ConfigError(f"{path}: 'accounts' must be a table of tables")
            for name, fields in accounts.items():
                if not isinstance(fields, dict):
                    raise ConfigError(f"{path}: [accounts.{name}] must be a table")
                data[str(name)] = {str(k): str(v) for k, v in fields.items()}
        self._file_data = data
        return data

    def fields(self, account: str) -> dict[str, Secret]:
        """Every secret field known for ``account``; the environment wins over the file."""
        found = {k: Secret(v) for k, v in self._load_file().get(account, {}).items()}
        prefix = env_prefix(account)
        for key, value in self._env.items():
            if key.startswith(prefix) and value:
                found[key[len(prefix) :].lower()] = Secret(value)
        _register(found)
        return found

    def expires_at(self, account: str) -> datetime | None:
        """The account's ``expires_at`` field (ISO 8601; a date alone or a time without a zone
        is UTC): when its token runs out, as the operator recorded it. None if not given."""
        value = self.fields(account).get(EXPIRY_FIELD)
        if value is None:
            return None
        text = value.reveal().strip()
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(
                f"account {account!r}: expires_at {text!r} is not a date",
                hint="write it as 2026-07-01 or 2026-07-01T09:30:00Z",
            ) from None
        return when if when.tzinfo is not None else when.replace(tzinfo=UTC)

    def require(self, account: str, *names: str) -> dict[str, Secret]:
        """The named fields of ``account``, or a ConfigError naming every missing one."""
        have = self.fields(account)
        missing = [n for n in names if not have.get(n)]
        if missing:
            where = " or ".join(
                [
                    ", ".join(env_name(account, n) for n in missing),
                    f"[accounts.{account}] in {self._file}",
                ]
            )
            raise ConfigError(
                f"account {account!r}: missing credential{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}",
                hint=f"set {where}",
            )
        return have


def _register(fields: Mapping[str, Secret]) -> None:
    """Every secret handed out is masked wherever it may be echoed later, with the base64
    forms of each pair of this account's fields (HTTP Basic sends ``id:secret`` so)."""
    register(*(v.reveal() for k, v in fields.items() if k not in PUBLIC_FIELDS))
    values = [v.reveal() for v in fields.values() if v]
    for first in values:
        for second in values:
            if first is not second:
                register_pair(first, second)
