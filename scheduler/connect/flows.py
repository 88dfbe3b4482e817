"""``accounts connect``: one account, by the way its platform's descriptor says it connects.

* ``oauth`` with ``register_path`` (Mastodon): the scheduler registers itself as an app on
  the account's server for this loopback address, then runs the code flow with PKCE; the
  access token goes to the secrets file.
* ``oauth`` without (X, LinkedIn): the operator's app (its ``client_id``, and
  ``client_secret`` for a confidential client, from the credentials) runs the code flow, with
  PKCE where the platform takes it from every app (LinkedIn does not: its client secret
  proves the exchange). X rotates refresh tokens, so the pair goes where the X publisher
  keeps them (its token store, which it reads before the credentials); LinkedIn's token goes
  to the secrets file with its ``expires_at``, which ``accounts check`` shows.
  Meta's (Facebook, Instagram, Threads) go the same way, then trade the hour-long token the
  code gives for a 60-day one (the descriptor's ``long_lived`` exchange) before storing it.
* ``app_password`` (Bluesky, WordPress): a prompt that does not echo; a value not in the shape
  the descriptor gives is refused, since it is most likely the account's own password.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import requests

from scheduler import redact
from scheduler.accounts import AccountSpec
from scheduler.connect.oauth import (
    Client,
    Opener,
    Say,
    Tokens,
    authorize,
    exchange_long_lived,
    post_json,
)
from scheduler.connect.secrets_file import save_account
from scheduler.credentials import EXPIRY_FIELD
from scheduler.descriptors.base import Connect, Descriptor, LongLived, endpoint_of
from scheduler.errors import ConfigError, UsageError
from scheduler.platforms.base import AuthFailed, PlatformContext
from scheduler.platforms.x_auth import TokenPair, token_store_for
from scheduler.settings import Secret

APP_NAME = "Campaign scheduler"


@dataclass(frozen=True)
class Prompts:
    open_browser: Opener
    say: Say
    ask_secret: Callable[[str], str]
    timeout: float = 300.0
    port: int = 0


def way_of(spec: AccountSpec, descriptor: Descriptor) -> Connect:
    if descriptor.connect is None:
        raise UsageError(
            f"account {spec.name!r}: {descriptor.label} has no way to connect from the "
            "scheduler (no browser sign-in and no app password)",
            hint="put its credentials in the secrets file or the environment by hand "
            "(see Accounts in the README)",
        )
    return descriptor.connect


def connect_account(
    spec: AccountSpec,
    descriptor: Descriptor,
    context: PlatformContext,
    secrets_file: Path,
    prompts: Prompts,
) -> str:
    """Connect ``spec``; returns one line saying where the credentials went."""
    way = way_of(spec, descriptor)
    if way.kind == "app_password":
        return _app_password(spec, way, secrets_file, prompts)
    if way.kind != "oauth":
        raise UsageError(f"account {spec.name!r}: unknown way to connect {way.kind!r}")
    with requests.Session() as session:
        if way.register_path:
            return _registered_app(spec, descriptor, way, session, context, secrets_file, prompts)
        return _own_app(spec, descriptor, way, session, context, secrets_file, prompts)


def _registered_app(
    spec: AccountSpec,
    descriptor: Descriptor,
    way: Connect,
    session: requests.Session,
    context: PlatformContext,
    secrets_file: Path,
    prompts: Prompts,
) -> str:
    setting = descriptor.endpoint_setting or "server"
    base = endpoint_of(spec)  # the one endpoint rule: https, or http only to loopback
    if not base:
        raise ConfigError(
            f"account {spec.name!r}: no {setting} to connect to",
            hint=f"add `{setting}: https://...` to the account in the campaign",
        )
    base = base.rstrip("/")
    assert way.register_path and way.authorize_path and way.token_path

    def register(redirect_uri: str) -> Client:
        body = post_json(
            session,
            base + way.register_path,  # type: ignore[operator]
            "register the scheduler as an app",
            data={
                "client_name": APP_NAME,
                "redirect_uris": redirect_uri,
                "scopes": " ".join(way.scopes),
            },
            platform=descriptor.name,
            timeout=context.timeout,
        )
        client_id, client_secret = body.get("client_id"), body.get("client_secret")
        if not isinstance(client_id, str) or not client_id:
            raise AuthFailed(
                f"{descriptor.name}: the app registration answer has no client id",
                platform=descriptor.name,
            )
        return Client(client_id, Secret(client_secret) if isinstance(client_secret, str) else None)

    tokens = authorize(
        authorize_url=base + way.authorize_path,
        token_url=base + way.token_path,
        client=register,
        scopes=way.scopes_of(spec.settings),
        session=session,
        platform=descriptor.name,
        open_browser=prompts.open_browser,
        say=prompts.say,
        timeout=prompts.timeout,
        port=prompts.port,
        http_timeout=context.timeout,
        client_auth=way.client_auth,
        pkce=way.pkce,
    )
    save_account(secrets_file, spec.name, {"access_token": tokens.access_token})
    return f"access token stored in {secrets_file}"


def _own_app(
    spec: AccountSpec,
    descriptor: Descriptor,
    way: Connect,
    session: requests.Session,
    context: PlatformContext,
    secrets_file: Path,
    prompts: Prompts,
) -> str:
    fields = context.credentials.fields(spec.name)
    if spec.settings.get("auth") == "oauth1" or (
        fields.get("consumer_key") and spec.settings.get("auth") != "oauth2"
    ):
        raise UsageError(
            f"account {spec.name!r} signs with OAuth 1.0a (auth: oauth1, or a consumer key "
            "in its credentials); connecting makes OAuth 2.0 tokens",
            hint="set `auth: oauth2` on the account in the campaign, then connect again",
        )
    client_id = fields.get("client_id") or (
        Secret(spec.settings["client_id"]) if spec.settings.get("client_id") else None
    )
    if not client_id:
        context.credentials.require(spec.name, "client_id")  # raises, naming the places
    if not way.pkce:
        # Without PKCE the secret is what proves the exchange: no public clients.
        context.credentials.require(spec.name, "client_secret")
    assert client_id is not None
    api = endpoint_of(spec, context.x_api_base)
    assert api
    way, chosen_by = way.at(api)
    assert way.authorize_path and way.token_path
    # An account pointed at a server of the operator's own (a test server) signs in there
    # too, and gets its tokens there, as it makes every other call there.
    own_server = api if api not in (descriptor.default_endpoint, chosen_by) else None
    sign_in = own_server or way.authorize_base or api
    issuer = own_server or way.token_base or api
    if way.note:
        prompts.say(f"note: {way.note}")
    app = Client(client_id.reveal(), fields.get("client_secret") or None)
    tokens = authorize(
        authorize_url=sign_in.rstrip("/") + way.authorize_path,
        token_url=issuer.rstrip("/") + way.token_path,
        client=app,
        scopes=way.scopes_of(spec.settings),
        session=session,
        platform=descriptor.name,
        open_browser=prompts.open_browser,
        say=prompts.say,
        timeout=prompts.timeout,
        port=prompts.port,
        http_timeout=context.timeout,
        client_auth=way.client_auth,
        pkce=way.pkce,
        token_method=way.token_method,
    )
    if way.long_lived is not None:
        # Where the long-lived token is made: the account's own server when it names one.
        at = own_server or way.long_lived.base or issuer
        tokens = _long_lived(way.long_lived, tokens, app, at, descriptor.name, session, context)
    expires = (
        None
        if tokens.expires_in is None
        else context.clock.now() + timedelta(seconds=tokens.expires_in)
    )
    if way.token_store == "publisher":
        if tokens.refresh_token is None:
            prompts.say("note: no refresh token came back; the access token lasts about 2 hours")
        store = token_store_for(spec, context)
        with store.locked():
            store.save(TokenPair(tokens.access_token, tokens.refresh_token, expires))
        return (
            f"OAuth 2.0 tokens stored in {store.path} "
            f"(where the {descriptor.label} publisher keeps them)"
        )
    stored = {"access_token": tokens.access_token}
    if tokens.refresh_token is not None:
        stored["refresh_token"] = tokens.refresh_token
    if expires is not None:
        # What `accounts check` and a rehearsal read to say when the token runs out.
        stored[EXPIRY_FIELD] = Secret(expires.isoformat(timespec="seconds"))
    save_account(secrets_file, spec.name, stored)
    until = "" if expires is None else f" (it expires on {expires:%Y-%m-%d %H:%M} UTC)"
    return f"access token stored in {secrets_file}{until}"


def _long_lived(
    rule: LongLived,
    short: Tokens,
    app: Client,
    at: str,
    platform: str,
    session: requests.Session,
    context: PlatformContext,
) -> Tokens:
    """The descriptor's second exchange: the code's short-lived token for a long-lived one."""
    assert app.client_secret is not None  # required above: no PKCE without a secret
    params = {"grant_type": rule.grant, "client_secret": app.client_secret.reveal()}
    if rule.client_id:
        params["client_id"] = app.client_id
    params[rule.token_param] = short.access_token.reveal()
    return exchange_long_lived(
        session, at.rstrip("/") + rule.path, params, platform=platform, timeout=context.timeout
    )


def _app_password(spec: AccountSpec, way: Connect, secrets_file: Path, prompts: Prompts) -> str:
    field = way.secret_field or "app_password"
    value = prompts.ask_secret(f"App password for {spec.name} (it is not shown as you type): ")
    value = value.strip()
    redact.register(value)  # whatever was typed, even a main password, is never echoed
    if not value:
        raise UsageError("no app password given; nothing was stored")
    if not re.match(way.password_pattern, value.replace(" ", "")):
        shape = f" (they look like {way.password_shape})" if way.password_shape else ""
        raise UsageError(
            f"that is not an app password{shape}; it may be the account's own password, "
            "which the scheduler must never hold; nothing was stored",
            hint=f"make one under {way.password_where}" if way.password_where else None,
        )
    save_account(secrets_file, spec.name, {field: Secret(value)})
    return f"app password stored in {secrets_file}"
