"""Connecting a LinkedIn account: the 3-legged OAuth code flow with the operator's app,
against a loopback fake of LinkedIn's sign-in and token endpoints. No PKCE (LinkedIn takes
it only from apps it enables on request): the client secret proves the exchange. The
token's 60 days are stored as ``expires_at``, which ``accounts check`` shows."""

from __future__ import annotations

import re
import shutil
import tomllib
import webbrowser
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from scheduler.accounts import AccountSpec
from scheduler.cli import main
from scheduler.clock import FixedClock
from scheduler.connect.flows import connect_account
from scheduler.descriptors import get
from scheduler.errors import ConfigError
from scheduler.platforms import build_publisher
from tests.conftest import CAMPAIGNS
from tests.connect.support import Browser, query_of
from tests.connect.test_connect import context_for, prompts
from tests.fakes.linkedin import TOKEN_SECONDS, FakeLinkedIn

PAGE = "urn:li:organization:2414183"


@pytest.fixture
def linkedin() -> Iterator[FakeLinkedIn]:
    with FakeLinkedIn(FixedClock(), token="none-yet") as fake:
        yield fake


def app_secrets(tmp_path: Path, fake: FakeLinkedIn, account: str = "mhaw-linkedin") -> Path:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'[accounts.{account}]\nclient_id = "{fake.client_id}"\n'
        f'client_secret = "{fake.client_secret}"\n',
        encoding="utf-8",
    )
    secrets.chmod(0o600)
    return secrets


@pytest.mark.parametrize(
    ("author", "posting"),
    [(PAGE, "w_organization_social"), ("urn:li:person:yrGd8Wq5Ft", "w_member_social")],
)
def test_the_code_flow_stores_a_token_with_its_expiry(
    linkedin: FakeLinkedIn, tmp_path: Path, author: str, posting: str
) -> None:
    secrets = app_secrets(tmp_path, linkedin)
    spec = AccountSpec("mhaw-linkedin", "linkedin", {"author": author, "api": linkedin.base_url})
    context = context_for(tmp_path, secrets)
    browser, said = Browser(), list[str]()

    where = connect_account(spec, get("linkedin"), context, secrets, prompts(browser, said))
    browser.join()

    expires = context.clock.now() + timedelta(seconds=TOKEN_SECONDS)
    assert where == (
        f"access token stored in {secrets} (it expires on {expires:%Y-%m-%d %H:%M} UTC)"
    )
    query = query_of(browser.opened[0])
    assert query["scope"] == f"openid profile {posting}"  # only what this account needs
    assert "code_challenge" not in query and "code_challenge_method" not in query
    (form,) = linkedin.token_forms
    assert form["client_secret"] == linkedin.client_secret and "code_verifier" not in form
    assert form["redirect_uri"] == query["redirect_uri"]
    stored = tomllib.loads(secrets.read_text(encoding="utf-8"))["accounts"]["mhaw-linkedin"]
    assert stored == {
        "client_id": linkedin.client_id,
        "client_secret": linkedin.client_secret,
        "access_token": linkedin.token,
        "expires_at": expires.isoformat(timespec="seconds"),
    }
    publisher = build_publisher(spec, context_for(tmp_path, secrets))
    try:
        info = publisher.verify()
    finally:
        publisher.close()
    assert info.remote_id == linkedin.member and info.expires_at == expires


def test_without_the_apps_client_secret_nothing_is_opened(
    linkedin: FakeLinkedIn, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[accounts.mhaw-linkedin]\nclient_id = "{linkedin.client_id}"\n')
    secrets.chmod(0o600)
    spec = AccountSpec("mhaw-linkedin", "linkedin", {"author": PAGE, "api": linkedin.base_url})
    browser = Browser()
    with pytest.raises(ConfigError, match="client_secret"):
        connect_account(
            spec, get("linkedin"), context_for(tmp_path, secrets), secrets, prompts(browser, [])
        )
    assert browser.opened == [] and linkedin.token_forms == []


def test_a_wrong_client_secret_stores_nothing(linkedin: FakeLinkedIn, tmp_path: Path) -> None:
    secrets = app_secrets(tmp_path, linkedin)
    before = secrets.read_text(encoding="utf-8")
    linkedin.client_secret = "rotated-since"
    spec = AccountSpec("mhaw-linkedin", "linkedin", {"author": PAGE, "api": linkedin.base_url})
    browser = Browser()
    with pytest.raises(Exception, match="refused to exchange the code"):
        connect_account(
            spec, get("linkedin"), context_for(tmp_path, secrets), secrets, prompts(browser, [])
        )
    browser.join()
    assert secrets.read_text(encoding="utf-8") == before


def test_connect_then_check_shows_when_the_token_expires(
    linkedin: FakeLinkedIn,
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "mhaw"
    shutil.copytree(CAMPAIGNS / "mhaw-2026", folder)
    header = folder / "campaign.yaml"
    # The example's LinkedIn page, pointed at the fake.
    text = header.read_text(encoding="utf-8").replace(
        "  mhaw-linkedin:\n    platform: linkedin\n    author: urn:li:organization:2414183\n",
        f'  mhaw-linkedin:\n    platform: linkedin\n    author: "{PAGE}"\n'
        f"    api: {linkedin.base_url}\n",
    )
    assert linkedin.base_url in text
    header.write_text(text, encoding="utf-8")
    secrets = app_secrets(tmp_path, linkedin)
    browser = Browser()
    monkeypatch.setattr(webbrowser, "open", browser)

    code = main(["accounts", "connect", str(folder), "mhaw-linkedin", "--secrets", str(secrets)])

    out = capsys.readouterr().out
    assert code == 0, out
    assert f"connected mhaw-linkedin: access token stored in {secrets}" in out
    assert re.search(
        r"ok +mhaw-linkedin \(linkedin\).*the token expires at \S+ \S+ UTC \(in (59|60) days\)",
        out,
    ), out
    assert linkedin.token not in out and linkedin.client_secret not in out
