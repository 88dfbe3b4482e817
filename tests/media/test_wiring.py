"""The composition roots build the operator's media host from the settings: the daemon and
``accounts check`` stop at once on a bad setting, and the credential store feeds the bucket."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.credentials import CredentialStore, env_name
from scheduler.media.config import public_media
from scheduler.media.s3 import S3Media
from scheduler.media.site import SiteMedia
from scheduler.redact import redact
from tests.conftest import CAMPAIGNS
from tests.fakes.s3 import MotoS3
from tests.media.support import upload_of


def test_no_settings_no_host() -> None:
    assert public_media({}, CredentialStore({}, None)) is None


def test_site_host() -> None:
    env = {"SCHEDULER_MEDIA_HOST": "site", "SCHEDULER_MEDIA_SITE_URL": "https://review.example"}
    made = public_media(env, CredentialStore({}, None))
    assert isinstance(made, SiteMedia)
    assert made.base == "https://review.example"


def test_s3_host_with_keys_from_the_credential_store(moto_s3: MotoS3, tmp_path: Path) -> None:
    secret = "store-secret-access-key-0042"
    env = {
        "SCHEDULER_MEDIA_HOST": "s3",
        "SCHEDULER_MEDIA_S3_BUCKET": moto_s3.bucket(),
        "SCHEDULER_MEDIA_S3_ENDPOINT": moto_s3.endpoint,
        "SCHEDULER_MEDIA_S3_REGION": "us-east-1",
        "SCHEDULER_MEDIA_S3_PATH_STYLE": "true",
        env_name("media-s3", "access_key_id"): "stored-test-key-42",
        env_name("media-s3", "secret_access_key"): secret,
    }
    made = public_media(env, CredentialStore(env, None), timeout=5)
    assert isinstance(made, S3Media)
    assert made.url_for(upload_of(tmp_path / "a.png"), account="ig").startswith(moto_s3.endpoint)
    assert secret not in redact(f"echo {secret}")  # registered before any request


def test_half_a_key_pair_is_a_clear_error() -> None:
    env = {
        "SCHEDULER_MEDIA_HOST": "s3",
        "SCHEDULER_MEDIA_S3_BUCKET": "b",
        env_name("media-s3", "access_key_id"): "half-pair-test-key-1",
    }
    with pytest.raises(Exception, match="missing credential secret_access_key"):
        public_media(env, CredentialStore(env, None))


@pytest.mark.parametrize("command", [["accounts", "check"], ["run", "--exit-when-done"]])
def test_commands_stop_on_a_bad_media_setting(
    command: list[str],
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SCHEDULER_MEDIA_HOST", "site")
    monkeypatch.setenv("SCHEDULER_MEDIA_SITE_URL", "http://review.example")
    code = main([*command[:1], *command[1:2], str(CAMPAIGNS / "mhaw-2026"), *command[2:]])
    said = capsys.readouterr().err
    assert code == 1, said
    assert "SCHEDULER_MEDIA_SITE_URL (http://review.example) uses plain http" in said
