"""Bluesky and WordPress: the app-password prompt, and what it refuses."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from scheduler.accounts import AccountSpec
from scheduler.clock import FixedClock
from scheduler.connect.flows import Prompts, connect_account
from scheduler.credentials import CredentialStore
from scheduler.descriptors import get
from scheduler.errors import UsageError
from scheduler.platforms.base import PlatformContext

SPEC = AccountSpec("mhaw-bluesky", "bluesky", {"handle": "mhaw.test"})


def run(tmp_path: Path, typed: str, spec: AccountSpec = SPEC) -> tuple[Path, list[str]]:
    secrets = tmp_path / "secrets.toml"
    asked: list[str] = []

    def ask(words: str) -> str:
        asked.append(words)
        return typed

    def no_browser(url: str) -> None:
        raise AssertionError("an app password needs no browser")

    context = PlatformContext(
        clock=FixedClock(),
        credentials=CredentialStore({}, secrets),
        state_dir=tmp_path / "state",
        outbox=tmp_path / "outbox",
    )
    prompts = Prompts(open_browser=no_browser, say=lambda _: None, ask_secret=ask)
    connect_account(spec, get(spec.platform), context, secrets, prompts)
    return secrets, asked


def test_an_app_password_is_stored(tmp_path: Path) -> None:
    secrets, asked = run(tmp_path, "abcd-efgh-ijkl-mnop\n")
    assert "mhaw-bluesky" in asked[0] and "not shown" in asked[0]
    stored = tomllib.loads(secrets.read_text(encoding="utf-8"))
    assert stored["accounts"]["mhaw-bluesky"] == {"app_password": "abcd-efgh-ijkl-mnop"}
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600


@pytest.mark.parametrize("typed", ["correct horse battery", "Abcd-efgh-ijkl-mnop", "", "abcd"])
def test_what_is_not_an_app_password_is_refused(tmp_path: Path, typed: str) -> None:
    with pytest.raises(UsageError, match="nothing was stored") as err:
        run(tmp_path, typed)
    assert typed.strip() == "" or typed not in err.value.message
    assert not (tmp_path / "secrets.toml").exists()


BLOG = AccountSpec(
    "mhaw-blog", "wordpress", {"site": "https://blog.example.org", "username": "bot"}
)


@pytest.mark.parametrize("typed", ["abcd EFGH ijkl MNOP qrst 1234", "abcdEFGHijklMNOPqrst1234"])
def test_a_wordpress_application_password_is_stored(tmp_path: Path, typed: str) -> None:
    secrets, _ = run(tmp_path, typed + "\n", BLOG)
    stored = tomllib.loads(secrets.read_text(encoding="utf-8"))
    assert stored["accounts"]["mhaw-blog"] == {"app_password": typed}


@pytest.mark.parametrize("typed", ["my login password", "abcd-efgh-ijkl-mnop", "wxyz 9876"])
def test_what_is_not_a_wordpress_application_password_is_refused(
    tmp_path: Path, typed: str
) -> None:
    with pytest.raises(UsageError, match="abcd efgh ijkl mnop qrst uvwx"):
        run(tmp_path, typed, BLOG)
    assert not (tmp_path / "secrets.toml").exists()
