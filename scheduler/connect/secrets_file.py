"""Writing an account's fields into the TOML secrets file that scheduler.credentials reads.

The file is rewritten whole, atomically, with mode 600 and under a lock: the other accounts'
tables (and this account's other fields) stay as they were; a file that cannot be read is
left alone rather than replaced by one holding only the new account.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path

from scheduler.errors import ConfigError
from scheduler.platforms.statefile import locked, write_private
from scheduler.settings import Secret


def _string(value: str) -> str:
    # A JSON string without ASCII escaping is a valid TOML basic string: both escape quotes,
    # backslashes and control characters the same way.
    return json.dumps(value, ensure_ascii=False)


def dumps(accounts: Mapping[str, Mapping[str, str]]) -> str:
    lines: list[str] = []
    for name in sorted(accounts):
        if lines:
            lines.append("")
        lines.append(f"[accounts.{_string(name)}]")
        for key in sorted(accounts[name]):
            lines.append(f"{_string(key)} = {_string(accounts[name][key])}")
    return "\n".join(lines) + "\n"


def _read(path: Path) -> dict[str, dict[str, str]]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # The parser's text may quote a line holding a secret.
        raise ConfigError(
            f"{path}: cannot read the secrets file ({type(exc).__name__}); it was not changed",
            hint="fix it by hand (TOML, one [accounts.NAME] table per account), then connect again",
        ) from None
    accounts = raw.get("accounts", {})
    other = sorted(k for k in raw if k != "accounts")
    if other or not isinstance(accounts, dict):
        raise ConfigError(
            f"{path}: the secrets file holds more than [accounts.NAME] tables; it was not changed",
            hint="move the other entries out, then connect again",
        )
    out: dict[str, dict[str, str]] = {}
    for name, fields in accounts.items():
        if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
            raise ConfigError(
                f"{path}: [accounts.{name}] must hold only text values; the file was not changed"
            )
        out[str(name)] = {str(k): str(v) for k, v in fields.items()}
    return out


def save_account(path: Path, account: str, fields: Mapping[str, Secret]) -> None:
    """Set ``fields`` for ``account`` in the secrets file, creating it (mode 600) if need be."""
    try:
        with locked(path):
            accounts = _read(path)
            mine = dict(accounts.get(account, {}))
            mine.update({k: v.reveal() for k, v in fields.items()})
            accounts[account] = mine
            write_private(path, dumps(accounts).encode("utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot write the secrets file ({exc.strerror or type(exc).__name__})"
        ) from exc
