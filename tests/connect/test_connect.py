"""`accounts connect`: the browser flows against loopback fakes of the platforms' sign-in and
token endpoints, the app-password prompt, and what is stored where."""

from __future__ import annotations

import base64
import hashlib
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.accounts import AccountSpec
from scheduler.clock import FixedClock
from scheduler.connect.flows import Prompts, connect_account
from scheduler.credentials import CredentialStore
from scheduler.descriptors import get
from scheduler.errors import ConfigError, UsageError
from scheduler.platforms import build_publisher
from scheduler.platforms.base import PlatformContext
from scheduler.platforms.mastodon import clear_instance_cache
from scheduler.platforms.x_auth import token_store_for
from tests.connect.support import Browser, query_of, with_state
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.x import FakeX


def context_for(
    tmp_path: Path, secrets: Path, env: dict[str, str] | None = None, x_api: str | None = None
) -> PlatformContext:
    return PlatformContext(
        clock=FixedClock(),
        credentials=CredentialStore(env or {}, secrets),
        state_dir=tmp_path / "state",
        outbox=tmp_path / "outbox",
        timeout=5.0,
        x_api_base=x_api,
    )


def prompts(browser: Browser, said: list[str], timeout: float = 10.0) -> Prompts:
    def no_prompt(words: str) -> str:
        raise AssertionError("a browser flow must not prompt")

    return Prompts(open_browser=browser, say=said.append, ask_secret=no_prompt, timeout=timeout)


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    clear_instance_cache()
    with FakeMastodon(token="old-token") as fake:
        yield fake


def mastodon_spec(fake: FakeMastodon) -> AccountSpec:
    return AccountSpec("mhaw-mastodon", "mastodon", {"instance": fake.base_url})


def test_mastodon_registers_an_app_and_stores_a_working_token(
    mastodon: FakeMastodon, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[accounts.other]\napp_password = "keep-me"\n', encoding="utf-8")
    secrets.chmod(0o600)
    browser, said = Browser(), list[str]()
    context = context_for(tmp_path, secrets)

    where = connect_account(
        mastodon_spec(mastodon), get("mastodon"), context, secrets, prompts(browser, said)
    )
    browser.join()

    assert str(secrets) in where
    # The app asked only for what the publisher needs, with the loopback address.
    ((_, uris, scopes),) = mastodon.apps.values()
    assert scopes == "write:statuses write:media read:accounts"
    assert mastodon.client_auth == ["post"]  # the form, as every Mastodon version documents
    assert uris[0].startswith("http://127.0.0.1:") and uris[0].endswith("/callback")
    # The address was printed for a person without a browser, and is the one opened.
    assert any(browser.opened[0] in line for line in said)
    query = query_of(browser.opened[0])
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32 and query["redirect_uri"] == uris[0]
    assert browser.answers[0].status_code == 200
    assert "close this tab" in browser.answers[0].text
    stored = tomllib.loads(secrets.read_text(encoding="utf-8"))["accounts"]
    assert stored["other"] == {"app_password": "keep-me"}
    assert stored["mhaw-mastodon"] == {"access_token": mastodon.token}
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    publisher = build_publisher(mastodon_spec(mastodon), context_for(tmp_path, secrets))
    try:
        assert publisher.verify().handle == "mhaw"
    finally:
        publisher.close()


def test_the_code_is_refused_without_the_verifier_that_made_its_challenge(
    mastodon: FakeMastodon, tmp_path: Path
) -> None:
    # The fake's check is real: a verifier whose S256 does not match loses the code.
    browser, said = Browser(), list[str]()
    secrets = tmp_path / "secrets.toml"
    connect_account(
        mastodon_spec(mastodon),
        get("mastodon"),
        context_for(tmp_path, secrets),
        secrets,
        prompts(browser, said),
    )
    (grant,) = mastodon.grants.redeemed
    challenge = query_of(browser.opened[0])["code_challenge"]
    assert grant.challenge == challenge
    assert challenge != base64.urlsafe_b64encode(hashlib.sha256(b"x").digest()).decode()


def test_a_new_secrets_file_is_created_private(mastodon: FakeMastodon, tmp_path: Path) -> None:
    secrets = tmp_path / "config" / "secrets.toml"
    connect_account(
        mastodon_spec(mastodon),
        get("mastodon"),
        context_for(tmp_path, secrets),
        secrets,
        prompts(Browser(), []),
    )
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert not list(secrets.parent.glob(".*.tmp"))


def test_no_answer_from_the_browser_is_a_clear_timeout(
    mastodon: FakeMastodon, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets.toml"
    opened: list[str] = []
    quiet = Prompts(open_browser=opened.append, say=lambda _: None, ask_secret=input, timeout=0.3)
    with pytest.raises(UsageError, match=r"no answer from the browser within 0 s") as err:
        connect_account(
            mastodon_spec(mastodon), get("mastodon"), context_for(tmp_path, secrets), secrets, quiet
        )
    assert "nothing was stored" in err.value.message
    assert not secrets.exists()


def test_an_answer_with_another_state_is_refused(mastodon: FakeMastodon, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    browser = Browser(tamper=with_state("forged"))
    with pytest.raises(UsageError, match="state mismatch"):
        connect_account(
            mastodon_spec(mastodon),
            get("mastodon"),
            context_for(tmp_path, secrets),
            secrets,
            prompts(browser, []),
        )
    browser.join()
    assert browser.answers[0].status_code == 400
    assert not mastodon.grants.redeemed and not secrets.exists()


def test_a_refusal_in_the_browser_stores_nothing(mastodon: FakeMastodon, tmp_path: Path) -> None:
    mastodon.grants.deny = True
    secrets = tmp_path / "secrets.toml"
    with pytest.raises(UsageError, match=r"did not authorise the app \(access_denied\)"):
        connect_account(
            mastodon_spec(mastodon),
            get("mastodon"),
            context_for(tmp_path, secrets),
            secrets,
            prompts(Browser(), []),
        )
    assert not secrets.exists()


def test_the_receiver_takes_one_request_then_closes(mastodon: FakeMastodon, tmp_path: Path) -> None:
    import requests

    browser = Browser()
    secrets = tmp_path / "secrets.toml"
    connect_account(
        mastodon_spec(mastodon),
        get("mastodon"),
        context_for(tmp_path, secrets),
        secrets,
        prompts(browser, []),
    )
    redirect = query_of(browser.opened[0])["redirect_uri"]
    with pytest.raises(requests.ConnectionError):
        requests.get(redirect + "?code=again&state=x", timeout=2)


@pytest.mark.parametrize(
    "instance", ["http://mastodon.example", "ftp://mastodon.example", "https://u:p@m.example"]
)
def test_the_instance_must_be_https_or_loopback(instance: str, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    spec = AccountSpec("m", "mastodon", {"instance": instance})
    browser = Browser()
    with pytest.raises(ConfigError):
        connect_account(
            spec, get("mastodon"), context_for(tmp_path, secrets), secrets, prompts(browser, [])
        )
    assert not browser.opened


@pytest.fixture
def x() -> Iterator[FakeX]:
    fake = FakeX()
    with fake:
        yield fake


def x_spec(fake: FakeX) -> AccountSpec:
    return AccountSpec("mhaw-x", "x", {"username": fake.username})


@pytest.mark.parametrize("confidential", [False, True])
def test_x_oauth2_pair_goes_to_the_publishers_token_store(
    x: FakeX, tmp_path: Path, confidential: bool
) -> None:
    secrets = tmp_path / "secrets.toml"
    env = {"SCHEDULER_SECRET_MHAW_X_CLIENT_ID": x.client_id}
    if confidential:
        x.client_secret = "x-client-secret"
        env["SCHEDULER_SECRET_MHAW_X_CLIENT_SECRET"] = x.client_secret
    context = context_for(tmp_path, secrets, env, x_api=x.base_url)
    browser = Browser()

    where = connect_account(x_spec(x), get("x"), context, secrets, prompts(browser, []))

    query = query_of(browser.opened[0])
    assert browser.opened[0].startswith(f"{x.base_url}/i/oauth2/authorize?")
    assert "offline.access" in query["scope"].split()
    pair = token_store_for(x_spec(x), context).load()
    assert pair is not None and pair.refresh_token is not None and pair.expires_at is not None
    assert str(token_store_for(x_spec(x), context).path) in where
    assert not secrets.exists()  # nothing rotating is kept twice
    # The publisher reads the stored pair, and it refreshes like any other.
    publisher = build_publisher(x_spec(x), context)
    try:
        assert publisher.verify().handle == x.username
    finally:
        publisher.close()


def test_x_without_a_client_id_says_where_to_put_it(x: FakeX, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    browser = Browser()
    with pytest.raises(ConfigError, match="missing credential client_id") as err:
        connect_account(
            x_spec(x),
            get("x"),
            context_for(tmp_path, secrets, x_api=x.base_url),
            secrets,
            prompts(browser, []),
        )
    assert "SCHEDULER_SECRET_MHAW_X_CLIENT_ID" in (err.value.hint or "")
    assert not browser.opened


def test_x_account_on_oauth1_is_not_switched_silently(x: FakeX, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    spec = AccountSpec("mhaw-x", "x", {"username": x.username, "auth": "oauth1"})
    with pytest.raises(UsageError, match=r"OAuth 1\.0a"):
        connect_account(
            spec,
            get("x"),
            context_for(tmp_path, secrets, x_api=x.base_url),
            secrets,
            prompts(Browser(), []),
        )


def test_a_platform_without_a_way_to_connect_says_so(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    spec = AccountSpec("rehearsal", "sandbox", {})
    with pytest.raises(UsageError, match="Sandbox has no way to connect from the scheduler"):
        connect_account(
            spec,
            get("sandbox"),
            context_for(tmp_path, secrets),
            secrets,
            prompts(Browser(), []),
        )


def test_an_idle_browser_connection_does_not_hold_up_the_answer(
    mastodon: FakeMastodon, tmp_path: Path
) -> None:
    # Browsers open spare connections speculatively and may leave them silent.
    import socket
    from urllib.parse import urlsplit

    idle: list[socket.socket] = []
    browser = Browser()

    def speculative_then_real(url: str) -> None:
        port = urlsplit(query_of(url)["redirect_uri"]).port
        idle.append(socket.create_connection(("127.0.0.1", port or 0)))
        browser(url)

    secrets = tmp_path / "secrets.toml"
    quick = Prompts(
        open_browser=speculative_then_real, say=lambda _: None, ask_secret=input, timeout=10
    )
    try:
        connect_account(
            mastodon_spec(mastodon), get("mastodon"), context_for(tmp_path, secrets), secrets, quick
        )
    finally:
        for sock in idle:
            sock.close()
    assert tomllib.loads(secrets.read_text(encoding="utf-8"))["accounts"]["mhaw-mastodon"]


def test_what_the_flow_obtains_is_masked_everywhere(mastodon: FakeMastodon, tmp_path: Path) -> None:
    from scheduler.redact import redact

    secrets = tmp_path / "secrets.toml"
    connect_account(
        mastodon_spec(mastodon),
        get("mastodon"),
        context_for(tmp_path, secrets),
        secrets,
        prompts(Browser(), []),
    )
    ((client_secret, _, _),) = mastodon.apps.values()
    for value in (mastodon.token, client_secret):
        assert value not in redact(f"the server said {value}")
