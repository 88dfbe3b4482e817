"""How the X publisher signs its calls: OAuth 1.0a user context or OAuth 2.0 user tokens.

Credentials come from the CredentialStore by account name:

* OAuth 1.0a: ``consumer_key``, ``consumer_secret``, ``access_token``, ``access_token_secret``.
* OAuth 2.0 (authorization code + PKCE, scopes ``tweet.read tweet.write users.read
  media.write offline.access``): ``client_id`` (``client_secret`` for a confidential client),
  ``access_token`` and/or ``refresh_token``.

The account's ``auth`` setting (``oauth1``/``oauth2``) picks one; without it the presence of a
consumer key means OAuth 1.0a.

X rotates OAuth 2.0 refresh tokens and each one works once: a refresh that is not stored is a
lost account. So a new pair is written to ``<state_dir>/x-<account>.tokens.json`` (temp file,
fsync, os.replace, mode 600) before it is used, and once that file exists it is preferred to
the pair in the credentials. Refreshes hold a file lock and re-read the file first, so two
processes sharing the state folder never spend the same refresh token twice.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import requests
import tweepy
from requests.auth import AuthBase, HTTPBasicAuth

from scheduler.clock import Clock
from scheduler.credentials import env_prefix
from scheduler.destination import UnsafeEndpoint, endpoint
from scheduler.errors import ConfigError
from scheduler.platforms.base import AccountSpec, AuthFailed, PlatformContext
from scheduler.platforms.statefile import locked, write_private
from scheduler.platforms.x_errors import classify, raise_for_status
from scheduler.redact import register_pair
from scheduler.settings import Secret

OAUTH1_FIELDS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
# Refresh a little before X's stated expiry so a call never leaves with a dying token.
EXPIRY_MARGIN = timedelta(seconds=60)


class XAuth(Protocol):
    kind: str
    user_auth: bool  # tweepy's flag: True signs with OAuth 1.0a

    def apply(self, client: Any) -> None:
        """Put the current credentials on a tweepy.Client."""
        ...

    def requests_auth(self) -> AuthBase:
        """Signing for our own requests (media upload, metadata)."""
        ...

    def user_id_hint(self) -> str | None: ...

    def can_refresh(self) -> bool: ...

    def needs_refresh(self) -> bool: ...

    def refresh(self, session: requests.Session, *, failed_token: str | None) -> None: ...

    def current_token(self) -> str | None: ...

    def secrets(self) -> list[str]: ...


class OAuth1UserAuth:
    kind = "oauth1"
    user_auth = True

    def __init__(self, fields: dict[str, Secret]) -> None:
        self._f = {name: fields[name] for name in OAUTH1_FIELDS}

    def apply(self, client: Any) -> None:
        for name in OAUTH1_FIELDS:
            setattr(client, name, self._f[name].reveal())

    def requests_auth(self) -> AuthBase:
        handler = tweepy.OAuth1UserHandler(*(self._f[n].reveal() for n in OAUTH1_FIELDS))
        auth: AuthBase = handler.apply_auth()
        return auth

    def user_id_hint(self) -> str | None:
        # An OAuth 1.0a access token starts with the numeric id of its user.
        head, sep, _ = self._f["access_token"].reveal().partition("-")
        return head if sep and head.isdigit() else None

    def can_refresh(self) -> bool:
        return False

    def needs_refresh(self) -> bool:
        return False

    def refresh(self, session: requests.Session, *, failed_token: str | None) -> None:
        raise AuthFailed(
            "x: OAuth 1.0a tokens cannot be refreshed",
            platform="x",
            hint="create a new access token and secret for the account",
        )

    def current_token(self) -> str | None:
        return self._f["access_token"].reveal()

    def secrets(self) -> list[str]:
        return [self._f[n].reveal() for n in OAUTH1_FIELDS]


@dataclass(frozen=True)
class TokenPair:
    access_token: Secret
    refresh_token: Secret | None
    expires_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token.reveal(),
            "refresh_token": None if self.refresh_token is None else self.refresh_token.reveal(),
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenPair:
        refresh = data.get("refresh_token")
        expires = data.get("expires_at")
        return cls(
            access_token=Secret(str(data.get("access_token") or "")),
            refresh_token=Secret(str(refresh)) if refresh else None,
            expires_at=datetime.fromisoformat(expires) if expires else None,
        )


class TokenStore:
    """One account's latest OAuth 2.0 token pair, on disk, written atomically with mode 600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> TokenPair | None:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot read the stored X tokens ({exc})") from exc
        try:
            return TokenPair.from_json(json.loads(raw))
        except (ValueError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"{self.path}: the stored X tokens are unreadable",
                hint="delete the file and put a fresh token pair in the credentials",
            ) from exc

    def save(self, pair: TokenPair) -> None:
        write_private(self.path, json.dumps(pair.to_json()).encode("utf-8"))

    def locked(self) -> contextlib.AbstractContextManager[None]:
        return locked(self.path)


class _Bearer(AuthBase):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._token}"
        return r


class OAuth2UserAuth:
    kind = "oauth2"
    user_auth = False

    def __init__(
        self,
        *,
        pair: TokenPair,
        client_id: str | None,
        client_secret: Secret | None,
        token_url: str,
        store: TokenStore,
        clock: Clock,
    ) -> None:
        self._pair = pair
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_url = token_url
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        # HTTP Basic sends base64(client_id:client_secret): that form is masked too.
        register_pair(client_id, client_secret.reveal() if client_secret else None)
        # Replaced tokens stay masked: a server may still echo one back later.
        self._retired: set[str] = set()

    def apply(self, client: Any) -> None:
        client.bearer_token = self._pair.access_token.reveal()

    def requests_auth(self) -> AuthBase:
        return _Bearer(self._pair.access_token.reveal())

    def user_id_hint(self) -> str | None:
        return None

    def can_refresh(self) -> bool:
        return self._pair.refresh_token is not None and bool(self._client_id)

    def needs_refresh(self) -> bool:
        if not self._pair.access_token:
            return True
        expires = self._pair.expires_at
        return expires is not None and self._clock.now() >= expires - EXPIRY_MARGIN

    def current_token(self) -> str | None:
        return self._pair.access_token.reveal() or None

    def secrets(self) -> list[str]:
        values = [self._pair.access_token.reveal()]
        if self._pair.refresh_token is not None:
            values.append(self._pair.refresh_token.reveal())
        if self._client_secret is not None:
            values.append(self._client_secret.reveal())
        return values + sorted(self._retired)

    def _use(self, pair: TokenPair) -> None:
        for old in (self._pair.access_token, self._pair.refresh_token):
            if old:
                self._retired.add(old.reveal())
        self._pair = pair

    def refresh(self, session: requests.Session, *, failed_token: str | None) -> None:
        """Exchange the refresh token for a new pair, unless another process already did."""
        with self._lock, self._store.locked():
            on_disk = self._store.load()
            if on_disk is not None and on_disk.access_token.reveal() not in (
                failed_token,
                self._pair.access_token.reveal(),
            ):
                self._use(on_disk)  # someone else refreshed meanwhile: use theirs
                return
            if on_disk is not None:
                self._use(on_disk)
            if not self.can_refresh():
                raise AuthFailed(
                    "x: the access token expired and there is no refresh token to renew it",
                    platform="x",
                    hint="authorise the app again with the offline.access scope",
                )
            assert self._pair.refresh_token is not None
            form = {
                "grant_type": "refresh_token",
                "refresh_token": self._pair.refresh_token.reveal(),
            }
            auth: AuthBase | None = None
            if self._client_secret:
                auth = HTTPBasicAuth(str(self._client_id), self._client_secret.reveal())
            else:
                form["client_id"] = str(self._client_id)
            try:
                response = session.post(self._token_url, data=form, auth=auth)
                raise_for_status(response)
                body = response.json()
                access = str(body["access_token"])
            except (tweepy.TweepyException, requests.RequestException, ValueError) as exc:
                raise classify(
                    exc, action="token", now=self._clock.now(), secrets=self.secrets()
                ) from exc
            except (KeyError, TypeError) as exc:
                raise AuthFailed(
                    "x: the token endpoint answered without an access token", platform="x"
                ) from exc
            new_refresh = body.get("refresh_token")
            expires_in = body.get("expires_in")
            pair = TokenPair(
                access_token=Secret(access),
                refresh_token=Secret(str(new_refresh)) if new_refresh else self._pair.refresh_token,
                expires_at=(
                    self._clock.now() + timedelta(seconds=float(expires_in))
                    if isinstance(expires_in, int | float)
                    else None
                ),
            )
            # Stored before use: if we die now the next process still holds a live pair.
            self._store.save(pair)
            self._use(pair)


def slug(name: str) -> str:
    """An account name as part of a file name in the state folder."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def token_store_for(spec: AccountSpec, context: PlatformContext) -> TokenStore:
    return TokenStore(Path(context.state_dir) / f"x-{slug(spec.name)}.tokens.json")


def auth_for(spec: AccountSpec, context: PlatformContext, api_base: str) -> XAuth:
    """Build the account's signer from its credentials (and stored tokens)."""
    fields = context.credentials.fields(spec.name)
    if not fields:
        prefix = env_prefix(spec.name)
        raise ConfigError(
            f"account {spec.name!r}: missing credentials: no X credential field is set",
            hint=f"set {prefix}CONSUMER_KEY, {prefix}CONSUMER_SECRET, {prefix}ACCESS_TOKEN "
            f"and {prefix}ACCESS_TOKEN_SECRET (OAuth 1.0a), or {prefix}CLIENT_ID and "
            f"{prefix}REFRESH_TOKEN (OAuth 2.0), or the same fields in [accounts.{spec.name}] "
            "of the secrets file",
        )
    mode = spec.settings.get("auth") or ("oauth1" if fields.get("consumer_key") else "oauth2")
    if mode == "oauth1":
        return OAuth1UserAuth(context.credentials.require(spec.name, *OAUTH1_FIELDS))
    if mode != "oauth2":
        raise ConfigError(
            f"account {spec.name!r}: unknown X auth {mode!r}", hint="use oauth1 or oauth2"
        )
    store = token_store_for(spec, context)
    stored = store.load()
    if stored is not None:
        pair = stored
    else:
        access = fields.get("access_token")
        refresh = fields.get("refresh_token")
        if not access and not refresh:
            context.credentials.require(spec.name, "access_token")  # raises, naming the places
        pair = TokenPair(access_token=access or Secret(""), refresh_token=refresh or None)
    client_id_secret = fields.get("client_id")
    client_id = client_id_secret.reveal() if client_id_secret else spec.settings.get("client_id")
    # The operator's base takes the token endpoint with it: the refresh token never goes
    # to a host other than the one the posts go to.
    own_url = None if context.x_api_base else spec.settings.get("token_url")
    if own_url:
        try:
            own_url = endpoint(own_url)
        except UnsafeEndpoint as exc:
            raise ConfigError(f"account {spec.name!r}: token_url {exc}") from None
    token_url = own_url or f"{api_base.rstrip('/')}/2/oauth2/token"
    return OAuth2UserAuth(
        pair=pair,
        client_id=client_id,
        client_secret=fields.get("client_secret") or None,
        token_url=token_url,
        store=store,
        clock=context.clock,
    )
