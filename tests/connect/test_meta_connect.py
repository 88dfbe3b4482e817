"""Connecting Meta's accounts (Facebook Pages, Instagram, Threads): the code flow with the
operator's app against loopback fakes of each sign-in, then the second exchange that trades
the hour-long token for a 60-day one; only that one is stored, with its ``expires_at``, and
the publisher's own check passes with it."""

from __future__ import annotations

import re
import shutil
import threading
import tomllib
import webbrowser
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from scheduler.accounts import AccountSpec
from scheduler.cli import main
from scheduler.clock import FixedClock
from scheduler.connect.flows import Prompts, connect_account
from scheduler.descriptors import get
from scheduler.errors import UsageError
from scheduler.platforms import build_publisher
from scheduler.platforms.base import AuthFailed
from tests.conftest import CAMPAIGNS
from tests.connect.support import Browser, query_of
from tests.connect.test_connect import context_for, prompts
from tests.fakes.facebook import FakeFacebook
from tests.fakes.instagram import FakeInstagram
from tests.fakes.oauth import LONG_SECONDS
from tests.fakes.threads import FakeThreads

Fake = FakeFacebook | FakeInstagram | FakeThreads


@dataclass(frozen=True)
class Case:
    platform: str
    make: Callable[[], Fake]
    settings: Callable[[str], dict[str, str]]
    scope: str
    authorize_path: str
    code_method: str  # how the code is exchanged
    long_param: str  # the query field carrying the short-lived token


CASES = [
    Case(
        "facebook",
        lambda: FakeFacebook(FixedClock(), user_token="none-yet"),
        lambda base: {"page": "104233215612345", "api": base},
        "pages_manage_posts pages_read_engagement pages_show_list",
        "/v24.0/dialog/oauth",
        "GET",
        "fb_exchange_token",
    ),
    Case(
        "instagram",
        lambda: FakeInstagram(FixedClock(), token="none-yet"),
        lambda base: {"user_id": "17841400008460056", "api": base},
        "instagram_business_basic instagram_business_content_publish "
        "instagram_business_manage_comments",
        "/oauth/authorize",
        "POST",
        "access_token",
    ),
    Case(
        "threads",
        lambda: FakeThreads(FixedClock(), token="none-yet"),
        lambda base: {"username": "mhaw.stories", "api": base},
        "threads_basic threads_content_publish threads_manage_replies",
        "/oauth/authorize",
        "POST",
        "access_token",
    ),
]


@pytest.fixture(params=CASES, ids=[c.platform for c in CASES])
def case(request: pytest.FixtureRequest) -> Iterator[tuple[Case, Fake]]:
    chosen: Case = request.param
    fake = chosen.make()
    with fake:
        yield chosen, fake


def app_secrets(tmp_path: Path, fake: Fake, account: str) -> Path:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'[accounts.{account}]\nclient_id = "{fake.client_id}"\n'
        f'client_secret = "{fake.client_secret}"\n',
        encoding="utf-8",
    )
    secrets.chmod(0o600)
    return secrets


def test_the_long_lived_token_is_stored_with_its_expiry_and_checks(
    case: tuple[Case, Fake], tmp_path: Path
) -> None:
    chosen, fake = case
    account = f"mhaw-{chosen.platform}"
    secrets = app_secrets(tmp_path, fake, account)
    base = fake.base_url
    spec = AccountSpec(account, chosen.platform, chosen.settings(base))
    context = context_for(tmp_path, secrets)
    browser, said = Browser(), list[str]()

    where = connect_account(spec, get(chosen.platform), context, secrets, prompts(browser, said))
    browser.join()

    expires = context.clock.now() + timedelta(seconds=LONG_SECONDS)
    assert where == (
        f"access token stored in {secrets} (it expires on {expires:%Y-%m-%d %H:%M} UTC)"
    )
    assert said[0].startswith("note: ") and "127.0.0.1" in said[0]  # the redirect rule, first
    opened = browser.opened[0]
    assert opened.startswith(base + chosen.authorize_path + "?")
    query = query_of(opened)
    assert query["scope"] == chosen.scope
    assert "code_challenge" not in query  # no PKCE: the app's secret proves the exchange
    (form,) = fake.token_forms
    assert form["client_secret"] == fake.client_secret
    assert form["redirect_uri"] == query["redirect_uri"]
    code_calls = [r for r in fake.requests if r.path.endswith("oauth/access_token")]
    assert code_calls and all(r.method == chosen.code_method for r in code_calls)
    (long_query,) = fake.long_queries
    assert long_query[chosen.long_param] == fake.short_tokens[0]
    stored = tomllib.loads(secrets.read_text(encoding="utf-8"))["accounts"][account]
    assert stored == {
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "access_token": fake.long_token,  # never the hour-long one
        "expires_at": expires.isoformat(timespec="seconds"),
    }
    assert secrets.stat().st_mode & 0o777 == 0o600
    publisher = build_publisher(spec, context_for(tmp_path, secrets))
    try:
        info = publisher.verify()
    finally:
        publisher.close()
    assert info.expires_at == expires


def test_a_refused_long_lived_exchange_stores_nothing(
    case: tuple[Case, Fake], tmp_path: Path
) -> None:
    chosen, fake = case
    account = f"mhaw-{chosen.platform}"
    secrets = app_secrets(tmp_path, fake, account)
    before = secrets.read_text(encoding="utf-8")
    fake.long_grant = "rotated"  # Meta refuses the second exchange
    spec = AccountSpec(account, chosen.platform, chosen.settings(fake.base_url))
    browser = Browser()
    with pytest.raises(AuthFailed, match="refused to exchange the token for a long-lived one"):
        connect_account(
            spec,
            get(chosen.platform),
            context_for(tmp_path, secrets),
            secrets,
            prompts(browser, []),
        )
    browser.join()
    assert fake.short_tokens and secrets.read_text(encoding="utf-8") == before


class Declines:
    """A person who reads Facebook's dialog and declines: the browser goes straight back to
    the loopback receiver with Facebook's answer, and nothing reaches Facebook here."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    def __call__(self, url: str) -> None:
        self.opened.append(url)
        asked = query_of(url)
        back = f"{asked['redirect_uri']}?error=access_denied&state={asked['state']}"
        threading.Thread(
            target=lambda: requests.get(back, timeout=10), daemon=True
        ).start()  # fmt: skip


@pytest.mark.parametrize("api", ["https://graph.facebook.com", "https://graph.facebook.com/"])
def test_an_instagram_account_on_facebook_login_signs_in_with_facebook(
    tmp_path: Path, api: str
) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[accounts.ig]\nclient_id = "1234"\nclient_secret = "s"\n')
    secrets.chmod(0o600)
    before = secrets.read_text()
    spec = AccountSpec("ig", "instagram", {"user_id": "17841400008460056", "api": api})
    person = Declines()
    said: list[str] = []
    with pytest.raises(UsageError, match=re.escape("did not authorise the app (access_denied)")):
        connect_account(
            spec,
            get("instagram"),
            context_for(tmp_path, secrets),
            secrets,
            Prompts(open_browser=person, say=said.append, ask_secret=str, timeout=10),
        )
    (url,) = person.opened
    assert url.startswith("https://www.facebook.com/v24.0/dialog/oauth?")
    asked = query_of(url)
    assert asked["client_id"] == "1234"
    assert asked["scope"].replace(",", " ").split() == [
        "instagram_basic",
        "instagram_content_publish",
        "instagram_manage_comments",
        "pages_read_engagement",
        "pages_show_list",
    ]
    assert asked["redirect_uri"].startswith("http://127.0.0.1:")
    assert any("Facebook Login sends the browser back" in line for line in said)
    assert secrets.read_text() == before  # nothing stored


def test_an_instagram_account_on_instagram_login_signs_in_with_instagram(
    tmp_path: Path,
) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[accounts.ig]\nclient_id = "1234"\nclient_secret = "s"\n')
    secrets.chmod(0o600)
    spec = AccountSpec("ig", "instagram", {"user_id": "17841400008460056"})
    person = Declines()
    with pytest.raises(UsageError, match="did not authorise"):
        connect_account(
            spec,
            get("instagram"),
            context_for(tmp_path, secrets),
            secrets,
            Prompts(open_browser=person, say=lambda _: None, ask_secret=str, timeout=10),
        )
    (url,) = person.opened
    assert url.startswith("https://www.instagram.com/oauth/authorize?")


def test_connect_then_check_for_the_examples_facebook_page(
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = FakeFacebook(FixedClock(), user_token="none-yet")
    with fake:
        folder = tmp_path / "mhaw"
        shutil.copytree(CAMPAIGNS / "mhaw-2026", folder)
        header = folder / "campaign.yaml"
        text = header.read_text(encoding="utf-8").replace(
            '    platform: facebook\n    page: "104233215612345"\n',
            f'    platform: facebook\n    page: "104233215612345"\n    api: {fake.base_url}\n',
        )
        assert fake.base_url in text
        header.write_text(text, encoding="utf-8")
        secrets = app_secrets(tmp_path, fake, "mhaw-facebook")
        browser = Browser()
        monkeypatch.setattr(webbrowser, "open", browser)

        code = main(
            ["accounts", "connect", str(folder), "mhaw-facebook", "--secrets", str(secrets)]
        )

        out = capsys.readouterr().out
        assert code == 0, out
        assert "note: Facebook Login sends the browser back to http://127.0.0.1 only" in out
        assert f"connected mhaw-facebook: access token stored in {secrets}" in out
        assert re.search(r"ok +mhaw-facebook \(facebook\).*\(in (59|60) days\)", out), out
        assert fake.long_token is not None and fake.long_token not in out
        assert fake.client_secret not in out and fake.short_tokens[0] not in out
