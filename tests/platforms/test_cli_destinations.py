"""`accounts check` and `accounts confirm`: a credential goes only to the host bound to it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.credentials import env_name
from tests.conftest import CAMPAIGNS
from tests.fakes.bluesky import FakeBluesky

PASSWORD = "app-pass-abcd-efgh-ijkl"


@pytest.fixture
def two() -> Iterator[tuple[FakeBluesky, FakeBluesky]]:
    with FakeBluesky(password=PASSWORD) as home, FakeBluesky(password=PASSWORD) as capture:
        yield home, capture


def bluesky_only(tmp_path: Path, service: str, handle: str) -> Path:
    """The example campaign with only its Bluesky account, at ``service``."""
    folder = tmp_path / "mhaw"
    original = tmp_path / "original.yaml"  # outside the folder: not part of the campaign
    if not folder.exists():
        shutil.copytree(CAMPAIGNS / "mhaw-2026", folder)
        shutil.copy(folder / "campaign.yaml", original)
    text = original.read_text(encoding="utf-8")
    text = text.replace(
        "handle: mhaw-stories.bsky.social", f"handle: {handle}\n    service: {service}"
    )
    (folder / "campaign.yaml").write_text(text, encoding="utf-8")
    return folder


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["accounts", "check", str(path), "--timeout", "2"])
    out = capsys.readouterr()
    return code, out.out + out.err


def line_of(out: str, account: str) -> str:
    return next(line for line in out.splitlines() if account in line)


def test_an_edit_cannot_send_the_password_to_a_new_host(
    two: tuple[FakeBluesky, FakeBluesky],
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home, capture = two
    monkeypatch.setenv(env_name("mhaw-bluesky", "app_password"), PASSWORD)
    path = bluesky_only(tmp_path, home.base_url, home.handle)
    _code, out = check(path, capsys)
    assert line_of(out, "mhaw-bluesky").startswith("ok")
    assert f"first use: bound to bluesky @{home.handle} at {home.base_url}" in out

    # The campaign file is edited to point the account at another server.
    path = bluesky_only(tmp_path, capture.base_url, home.handle)
    code, out = check(path, capsys)
    assert code == 1
    assert line_of(out, "mhaw-bluesky").startswith("HELD")
    assert f"scheduler accounts confirm {path} mhaw-bluesky" in out
    assert capture.requests == []  # nothing at all reached the new host

    code, out = main(["check", str(path)]), capsys.readouterr().out
    assert code == 0 and "HELD" in out and "accounts confirm" in out

    # The same in the documents a program reads, and still nothing sent.
    code = main(["accounts", "check", str(path), "--timeout", "2", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    (row,) = [a for a in doc["accounts"] if a["account"] == "mhaw-bluesky"]
    assert row["status"] == "held" and "accounts confirm" in row["hint"]
    code = main(["check", str(path), "--json"])
    doc = json.loads(capsys.readouterr().out)
    (held,) = doc["campaigns"][0]["held"]
    assert held["command"] == f"scheduler accounts confirm {path} mhaw-bluesky"
    assert capture.requests == []

    # An operator confirms the new host; from then on it is the one used.
    assert main(["accounts", "confirm", str(path), "mhaw-bluesky", "--as", "op@example.org"]) == 0
    out = capsys.readouterr().out
    assert f"now goes to bluesky @{home.handle} at {capture.base_url}" in out
    assert f"(was bluesky @{home.handle} at {home.base_url})" in out
    _code, out = check(path, capsys)
    assert line_of(out, "mhaw-bluesky").startswith("ok")
    assert capture.sessions_created == 1
    code, out = main(["check", str(path)]), capsys.readouterr().out
    assert "HELD" not in out


def test_confirm_names_the_accounts_it_knows(
    tmp_path: Path, data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = bluesky_only(tmp_path, "https://bsky.social", "mhaw.bsky.social")
    assert main(["accounts", "confirm", str(path), "nobody", "--as", "op@example.org"]) == 1
    assert "no account 'nobody'" in capsys.readouterr().err


def test_an_endpoint_in_plain_http_is_refused_where_it_is_written(
    tmp_path: Path, data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = bluesky_only(tmp_path, "http://capture.example:8080", "mhaw.bsky.social")
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "campaign.yaml:" in err and "plain http to a host that is not loopback" in err


@pytest.mark.parametrize(
    ("scope", "warned"),
    [
        ("com.atproto.access", "main password"),
        ("com.atproto.appPassPrivileged", "direct messages"),
        ("com.atproto.appPass", None),
    ],
)
def test_a_bluesky_main_password_is_warned_about(
    scope: str,
    warned: str | None,
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with FakeBluesky(password=PASSWORD) as sky:
        sky.scope = scope
        monkeypatch.setenv(env_name("mhaw-bluesky", "app_password"), PASSWORD)
        _code, out = check(bluesky_only(tmp_path, sky.base_url, sky.handle), capsys)
    assert line_of(out, "mhaw-bluesky").startswith("ok")
    warnings = [line for line in out.splitlines() if line.startswith("warning")]
    if warned is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warned in warnings[0]
