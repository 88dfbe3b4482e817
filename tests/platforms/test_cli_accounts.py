"""`scheduler accounts check`: each account of a real campaign, verified against fakes."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.clock import SystemClock
from scheduler.credentials import env_name
from scheduler.platforms.mastodon import clear_instance_cache
from tests.conftest import CAMPAIGNS
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.facebook import FakeFacebook
from tests.fakes.instagram import FakeInstagram
from tests.fakes.mastodon import FakeMastodon

TOKEN = "mastodon-token-0123456789"
PASSWORD = "app-pass-abcd-efgh-ijkl"
IG_TOKEN = "IGAA-instagram-token-0123456789"
FACEBOOK_TOKEN = "EAAGuser-long-lived-token-0123456789"
PAGE = "104233215612345"  # the example campaign's Page


@pytest.fixture
def fakes() -> Iterator[tuple[FakeMastodon, FakeBluesky]]:
    clear_instance_cache()
    with FakeMastodon(token=TOKEN) as mastodon, FakeBluesky(password=PASSWORD) as bluesky:
        yield mastodon, bluesky


def campaign_at(
    tmp_path: Path,
    mastodon_url: str,
    bluesky: FakeBluesky,
    facebook_url: str | None = None,
    instagram_url: str | None = None,
) -> Path:
    folder = tmp_path / "mhaw"
    shutil.copytree(CAMPAIGNS / "mhaw-2026", folder)
    header = folder / "campaign.yaml"
    text = header.read_text(encoding="utf-8")
    text = text.replace("https://mastodon.social", mastodon_url)
    text = text.replace(
        "handle: mhaw-stories.bsky.social",
        f"handle: {bluesky.handle}\n    service: {bluesky.base_url}",
    )
    if facebook_url is not None:
        text = text.replace('page: "104233215612345"', f'page: "{PAGE}"\n    api: {facebook_url}')
    if instagram_url:
        text = text.replace(
            "username: mhaw.stories", f"username: mhaw.stories\n    api: {instagram_url}"
        )
    header.write_text(text, encoding="utf-8")
    return folder


def run(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["accounts", "check", str(path), "--timeout", "2"])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_reports_each_account_plainly(
    fakes: tuple[FakeMastodon, FakeBluesky],
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mastodon, bluesky = fakes
    monkeypatch.setenv(env_name("mhaw-mastodon", "access_token"), TOKEN)
    monkeypatch.setenv(env_name("mhaw-bluesky", "app_password"), PASSWORD)
    monkeypatch.setenv(env_name("mhaw-instagram", "access_token"), IG_TOKEN)
    monkeypatch.setenv(env_name("mhaw-instagram", "expires_at"), "2099-07-01T09:30:00Z")
    for var in [v for v in os.environ if v.startswith("SCHEDULER_SECRET_MHAW_X_")]:
        monkeypatch.delenv(var)
    clock = SystemClock()
    with (
        FakeFacebook(clock, user_token=FACEBOOK_TOKEN, page=PAGE) as facebook,
        FakeInstagram(clock, token=IG_TOKEN) as instagram,
    ):
        monkeypatch.setenv(env_name("mhaw-facebook", "access_token"), FACEBOOK_TOKEN)
        folder = campaign_at(
            tmp_path, mastodon.base_url, bluesky, facebook.base_url, instagram.base_url
        )
        code, out = run(folder, capsys)
    assert code == 1
    lines = out.splitlines()
    assert any(
        line.startswith("ok") and "mhaw-facebook (facebook): @RunTalkRunCommunity" in line
        for line in lines
    )
    assert any(
        line.startswith("ok") and "mhaw-mastodon (mastodon): @mhaw" in line for line in lines
    )
    assert any(
        line.startswith("ok") and "mhaw-bluesky (bluesky): @mhaw.test" in line for line in lines
    )
    missing = next(line for line in lines if "mhaw-x (x)" in line)
    assert missing.startswith("MISSING")
    assert "SCHEDULER_SECRET_MHAW_X_ACCESS_TOKEN" in out  # says which variable to set
    instagram_line = next(line for line in out.splitlines() if "mhaw-instagram" in line)
    assert instagram_line.startswith("ok") and "@mhaw" in instagram_line
    assert "the token expires at 2099-07-01 09:30 UTC" in instagram_line
    # mhaw-x, the blog without a password and the LinkedIn page without a token
    assert "3 of 7 accounts need attention" in out
    assert TOKEN not in out and PASSWORD not in out and FACEBOOK_TOKEN not in out
    assert IG_TOKEN not in out


def test_rejected_and_unreachable(
    fakes: tuple[FakeMastodon, FakeBluesky],
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, bluesky = fakes
    monkeypatch.setenv(env_name("mhaw-mastodon", "access_token"), TOKEN)
    monkeypatch.setenv(env_name("mhaw-bluesky", "app_password"), "not-the-password")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        code, out = run(campaign_at(tmp_path, url, bluesky), capsys)
    assert code == 1
    mastodon_line = next(line for line in out.splitlines() if "mhaw-mastodon" in line)
    assert mastodon_line.startswith("UNREACHABLE")
    assert "cannot reach" in mastodon_line
    bluesky_line = next(line for line in out.splitlines() if "mhaw-bluesky" in line)
    assert bluesky_line.startswith("REJECTED")
    assert "app password" in out
    assert "not-the-password" not in out


def test_unsafe_secrets_file_is_refused(
    fakes: tuple[FakeMastodon, FakeBluesky],
    tmp_path: Path,
    data_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mastodon, bluesky = fakes
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[accounts.mhaw-mastodon]\naccess_token = "{TOKEN}"\n')
    secrets.chmod(0o644)
    path = campaign_at(tmp_path, mastodon.base_url, bluesky)
    code = main(["accounts", "check", str(path), "--secrets", str(secrets)])
    out = capsys.readouterr().out
    assert code == 1
    assert "can be read by other users" in out
    assert f"chmod 600 {secrets}" in out
    secrets.chmod(0o600)
    main(["accounts", "check", str(path), "--secrets", str(secrets)])
    out = capsys.readouterr().out
    assert next(line for line in out.splitlines() if "mhaw-mastodon" in line).startswith("ok")


def test_a_wordpress_account_signs_in_as_its_user(
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from scheduler.clock import SystemClock
    from tests.fakes.wordpress import FakeWordPress

    password = "abcd1234EFGH5678ijkl9012"
    with FakeWordPress(SystemClock(), "campaign-scheduler", password) as site:
        folder = tmp_path / "mhaw"
        shutil.copytree(CAMPAIGNS / "mhaw-2026", folder)
        header = folder / "campaign.yaml"
        text = header.read_text(encoding="utf-8")
        header.write_text(text.replace("https://stories.example.org", site.base_url))
        monkeypatch.setenv(env_name("mhaw-blog", "app_password"), password)
        main(["accounts", "check", str(folder), "--timeout", "2"])
        out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "mhaw-blog (wordpress)" in line)
    assert line.startswith("ok") and "campaign-scheduler" in line, out
    assert password not in out
