"""Which token an account uses: the renewed one in the state folder or the one stored with
the credentials (a person reconnected the account)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.credentials import CredentialStore, env_name
from scheduler.platforms import renewal

ACCOUNT = "acct"
FIRST = "first-stored-token-0123456789"
OTHER = "reconnected-token-9876543210"
RENEWED = "renewed-token-abcdefghijklmn"
EARLY = datetime(2026, 6, 1, tzinfo=UTC)
LATE = datetime(2026, 9, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stored", "stored_expires", "source", "renewed_expires", "used", "expires"),
    [
        # No chain start recorded: the one that lasts longer wins.
        (FIRST, None, "", LATE, RENEWED, LATE),
        (OTHER, LATE, "", EARLY, OTHER, LATE),
        (OTHER, EARLY, "", LATE, RENEWED, LATE),
        # The chain began from the stored token: it goes on, whatever the stored expiry says.
        (FIRST, LATE, FIRST, EARLY, RENEWED, EARLY),
        (FIRST, None, FIRST, LATE, RENEWED, LATE),
        # Another token stored since the chain began: the account was reconnected.
        (OTHER, None, FIRST, LATE, OTHER, None),
        (OTHER, EARLY, FIRST, LATE, OTHER, EARLY),
        # Nothing stored: the renewed token is all there is.
        (None, None, FIRST, LATE, RENEWED, LATE),
    ],
)
def test_current_and_expiry_pick_the_same_token(
    tmp_path: Path,
    stored: str | None,
    stored_expires: datetime | None,
    source: str,
    renewed_expires: datetime,
    used: str,
    expires: datetime | None,
) -> None:
    env: dict[str, str] = {}
    if stored is not None:
        env[env_name(ACCOUNT, "access_token")] = stored
    if stored_expires is not None:
        env[env_name(ACCOUNT, "expires_at")] = stored_expires.isoformat()
    credentials = CredentialStore(env, None)
    chain = renewal.fingerprint(source) if source else ""
    token = renewal.Token(renewal.Secret(RENEWED), renewed_expires, EARLY, True, chain)
    renewal.save(tmp_path, ACCOUNT, token)
    assert renewal.load(tmp_path, ACCOUNT) == token
    chosen = renewal.current(credentials, tmp_path, ACCOUNT)
    assert chosen.value.reveal() == used
    assert chosen.expires_at == expires
    assert renewal.expiry(credentials, tmp_path, ACCOUNT) == expires
