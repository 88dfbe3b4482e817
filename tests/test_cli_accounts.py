"""``scheduler accounts check``: every account of a campaign verified, problems said plainly."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.cli import main
from tests.campaign.helpers import HEADER, write_campaign

ACCOUNTS = """\
accounts:
  rehearsal: {platform: sandbox, as_platform: mastodon}
  bird: {platform: x, username: testweek}
"""
POSTS = """\
posts:
  - id: hello
    day: 1
    time: "08:30"
    text: Hello.
"""


def campaign(tmp_path: Path) -> Path:
    start = HEADER.index("accounts:")
    end = HEADER.index("team:")
    header = HEADER[:start] + ACCOUNTS + HEADER[end:]
    return write_campaign(tmp_path / "week", header, POSTS)


def test_missing_x_credentials_are_named(
    data_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["accounts", "check", str(campaign(tmp_path))])
    out, err = capsys.readouterr()
    assert code == 1
    assert "rehearsal (sandbox): ok" in out
    assert "bird (x): FAILED: account 'bird': no X credentials" in out
    assert "SCHEDULER_SECRET_BIRD_CONSUMER_KEY" in out
    assert "1 of 2 accounts cannot publish" in err


def test_readable_secrets_file_is_refused(
    data_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[accounts.bird]\nconsumer_key = "ck"\n', encoding="utf-8")
    secrets.chmod(0o644)
    code = main(["accounts", "check", str(campaign(tmp_path)), "--secrets", str(secrets)])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "can be read by other users" in out
    assert "chmod 600" in out
    assert "ck" not in out.replace("check", "")


def test_incomplete_oauth1_credentials(
    data_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCHEDULER_SECRET_BIRD_CONSUMER_KEY", "ck-value")
    code = main(["accounts", "check", str(campaign(tmp_path))])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "missing credentials consumer_secret, access_token, access_token_secret" in out
    assert "ck-value" not in out
