"""When each account's token expires, where the credentials or the state folder know it.

The credentials may say so in an ``expires_at`` field (an ISO date or date and time, UTC when
no offset is given), as a platform that hands out tokens for a fixed time tells when it does.
An X OAuth 2.0 token pair in the state folder carries its own expiry, but one with a refresh
token is renewed by the publisher, so only a pair without one can run out. Otherwise the
expiry is unknown, and the report says so rather than guess.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from scheduler import descriptors
from scheduler.credentials import EXPIRY_FIELD, CredentialStore
from scheduler.errors import ConfigError, SchedulerError
from scheduler.platforms import build_publisher, renewal
from scheduler.platforms.base import AccountSpec, PlatformContext, Renewable
from scheduler.rehearsal.base import Problem, TokenInfo


def token_info(
    spec: AccountSpec, platform: str, credentials: CredentialStore, context: PlatformContext
) -> TokenInfo:
    if descriptors.get(spec.platform).stands_in:
        return TokenInfo(spec.name, platform, None, f"a {spec.platform} account has no token")
    try:
        fields = credentials.fields(spec.name)
    except ConfigError as exc:
        return TokenInfo(spec.name, platform, None, f"unknown: {exc.message}")
    if _renewed_by_the_daemon(spec, context):
        return TokenInfo(spec.name, platform, None, "renewed by the daemon before it runs out")
    given = fields.get(EXPIRY_FIELD)
    if given is not None:
        try:
            return TokenInfo(spec.name, platform, _instant(given.reveal()), "the credentials")
        except ValueError:
            return TokenInfo(
                spec.name, platform, None, f"unknown: {EXPIRY_FIELD} in the credentials is no date"
            )
    way = descriptors.get(spec.platform).connect
    if way is not None and way.token_store == "publisher":  # a store of rotated tokens
        from scheduler.platforms.x_auth import token_store_for

        try:
            pair = token_store_for(spec, context).load()
        except ConfigError as exc:
            return TokenInfo(spec.name, platform, None, f"unknown: {exc.message}")
        if pair is not None and pair.expires_at is not None:
            if pair.refresh_token is not None:
                return TokenInfo(
                    spec.name, platform, None, "renewed automatically (it has a refresh token)"
                )
            return TokenInfo(spec.name, platform, pair.expires_at, "the stored X token pair")
    return TokenInfo(spec.name, platform, None, "unknown: the credentials do not say")


def _renewed_by_the_daemon(spec: AccountSpec, context: PlatformContext) -> bool:
    """Whether the account's publisher renews its own token (``platforms.base.Renewable``)
    and the daemon will ask it to in time; a token already run out cannot be renewed."""
    descriptor = descriptors.get(spec.platform)
    if descriptor.token_lifetime is None:
        return False
    try:
        publisher = build_publisher(spec, context)
    except SchedulerError:
        return False
    try:
        if not isinstance(publisher, Renewable):
            return False
        expires = renewal.expiry(context.credentials, context.state_dir, spec.name)
    except SchedulerError:
        return False
    finally:
        publisher.close()
    return expires is None or expires > context.clock.now()


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def token_problems(
    tokens: list[TokenInfo], first: datetime, last: datetime, path: Path | str
) -> list[Problem]:
    """A problem for a token that runs out before the week's last post."""
    found: list[Problem] = []
    for token in tokens:
        if token.expires is None or token.expires > last:
            continue
        when = "before the week starts" if token.expires <= first else "during the week"
        found.append(
            Problem(
                kind="token",
                account=token.account,
                at=token.expires,
                cause=(
                    f"the token of {token.account} ({token.platform}) expires on "
                    f"{token.expires:%A %d %B %Y at %H:%M} UTC, {when} "
                    f"(from {token.source}); posts after it would fail"
                ),
                fix=(
                    f"reconnect {token.account} with a fresh token before then, and run "
                    f"`scheduler accounts check {path}`"
                ),
            )
        )
    return found
