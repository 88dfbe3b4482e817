"""`scheduler accounts connect PATH ACCOUNT`, end to end: browser, store, then the check."""

from __future__ import annotations

import getpass
import shutil
import webbrowser
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.platforms.mastodon import clear_instance_cache
from tests.conftest import CAMPAIGNS
from tests.connect.support import Browser
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import FakeMastodon


def campaign_at(tmp_path: Path, instance: str) -> Path:
    folder = tmp_path / "mhaw"
    shutil.copytree(CAMPAIGNS / "mhaw-2026", folder)
    header = folder / "campaign.yaml"
    text = header.read_text(encoding="utf-8").replace("https://mastodon.social", instance)
    header.write_text(text, encoding="utf-8")
    return folder


def test_connect_signs_in_stores_and_checks(
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clear_instance_cache()
    browser = Browser()
    monkeypatch.setattr(webbrowser, "open", browser)
    secrets = tmp_path / "secrets.toml"
    with FakeMastodon(token="none-yet") as fake:
        folder = campaign_at(tmp_path, fake.base_url)
        code = main(
            ["accounts", "connect", str(folder), "mhaw-mastodon", "--secrets", str(secrets)]
        )
        token = fake.token
    out = capsys.readouterr().out
    assert code == 0
    assert browser.opened and browser.opened[0] in out  # printed for a headless machine
    assert f"connected mhaw-mastodon: access token stored in {secrets}" in out
    assert "ok          mhaw-mastodon (mastodon): @mhaw" in out
    assert token not in out


def test_an_unknown_account_names_the_known_ones(
    tmp_path: Path, data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = campaign_at(tmp_path, "https://mastodon.example")
    code = main(["accounts", "connect", str(folder), "nobody"])
    err = capsys.readouterr().err
    assert code == 1
    assert "no account 'nobody'" in err
    known = "mhaw-blog, mhaw-bluesky, mhaw-facebook, mhaw-instagram, mhaw-linkedin, mhaw-mastodon"
    assert known + ", mhaw-x" in err


def test_bluesky_prompts_for_an_app_password_and_checks_it(
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    password = "abcd-efgh-ijkl-mnop"
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": password)
    secrets = tmp_path / "secrets.toml"
    with FakeBluesky(password=password) as fake:
        folder = campaign_at(tmp_path, "https://mastodon.example")
        header = folder / "campaign.yaml"
        text = header.read_text(encoding="utf-8").replace(
            "handle: mhaw-stories.bsky.social",
            f"handle: {fake.handle}\n    service: {fake.base_url}",
        )
        header.write_text(text, encoding="utf-8")
        code = main(["accounts", "connect", str(folder), "mhaw-bluesky", "--secrets", str(secrets)])
    out = capsys.readouterr().out
    assert code == 0
    assert f"ok          mhaw-bluesky (bluesky): @{fake.handle}" in out
    assert password not in out
