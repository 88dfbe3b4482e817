"""The rehearsal does not report a token the daemon renews as running out during the week;
a token nobody renews is reported from its recorded expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore, env_name
from scheduler.platforms.base import AccountSpec, PlatformContext
from scheduler.rehearsal.tokens import token_info

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("api", "renewed"),
    [("https://graph.instagram.com", True), ("https://graph.facebook.com", False)],
)
def test_an_instagram_login_token_is_renewed_a_facebook_login_one_is_not(
    tmp_path: Path, api: str, renewed: bool
) -> None:
    expires = NOW + timedelta(days=5)
    spec = AccountSpec("mhaw-instagram", "instagram", {"user_id": "17841400008460056", "api": api})
    credentials = CredentialStore(
        {
            env_name(spec.name, "access_token"): "IGAA-token-0123456789",
            env_name(spec.name, "expires_at"): expires.isoformat(),
        },
        None,
    )
    context = PlatformContext(
        clock=FixedClock(NOW), credentials=credentials, state_dir=tmp_path, outbox=tmp_path
    )
    info = token_info(spec, "instagram", credentials, context)
    if renewed:
        assert info.expires is None and "renewed by the daemon" in info.source
    else:
        assert info.expires == expires and info.source == "the credentials"
