"""Writing the secrets file: other entries kept, values round-trip, a bad file left alone."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from scheduler.connect.secrets_file import save_account
from scheduler.credentials import CredentialStore
from scheduler.errors import ConfigError
from scheduler.settings import Secret

ODD = ['quote " and \\ backslash', "line\nbreak\ttab", "ünïcödé 🙂", "\x01control", "="]


@pytest.mark.parametrize("value", ODD)
def test_values_read_back_exactly(tmp_path: Path, value: str) -> None:
    path = tmp_path / "secrets.toml"
    save_account(path, "odd name.with dots", {"token": Secret(value)})
    assert CredentialStore({}, path).fields("odd name.with dots")["token"].reveal() == value


def test_other_accounts_and_fields_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    save_account(path, "a", {"one": Secret("1"), "two": Secret("2")})
    save_account(path, "b", {"x": Secret("y")})
    save_account(path, "a", {"two": Secret("22")})
    store = CredentialStore({}, path)
    assert {k: v.reveal() for k, v in store.fields("a").items()} == {"one": "1", "two": "22"}
    assert store.fields("b")["x"].reveal() == "y"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "text",
    ["[accounts.a\nbroken = ", "other = 1\n[accounts.a]\nx = 'y'\n", "[accounts.a]\nn = 1\n"],
)
def test_a_file_it_cannot_keep_whole_is_not_touched(tmp_path: Path, text: str) -> None:
    path = tmp_path / "secrets.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="not changed"):
        save_account(path, "b", {"k": Secret("v")})
    assert path.read_text(encoding="utf-8") == text
