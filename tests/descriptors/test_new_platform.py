"""A platform added without touching the package: Pigeon Post (tests/pigeon) is one
descriptor, one publisher and one fake. The contract suite and the sandbox parity test run
it through tests/platforms/harness_pigeon.py; here ``check``, ``preview``, the pages and the
sandbox pick it up from its descriptor alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler import descriptors
from scheduler.accounts import AccountSpec
from scheduler.campaign import load_campaign
from scheduler.cli import main
from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore
from scheduler.daemon.request import build_request
from scheduler.platforms import build_publisher
from scheduler.platforms.base import PlatformContext
from scheduler.render import render_campaign
from tests.pigeon import descriptor
from tests.web.conftest import build_web

CAMPAIGN = """\
id: pigeons
title: Messages by bird
timezone: Europe/London
language: en
week_start: 2026-05-11
accounts:
  loft: {platform: pigeon, loft: "https://loft.example"}
posts:
  - id: hello
    day: 1
    time: "09:00"
    text: "Walk with us on Saturday, 10:00 at the park gates."
"""


@pytest.fixture(autouse=True)
def pigeon() -> Iterator[None]:
    descriptor.register()
    yield
    descriptor.unregister()


def _campaign(tmp_path: Path, text: str = CAMPAIGN) -> Path:
    folder = tmp_path / "pigeons"
    folder.mkdir(parents=True)
    (folder / "campaign.yaml").write_text(text, encoding="utf-8")
    return folder


def test_check_knows_its_settings_and_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(_campaign(tmp_path))]) == 0
    long = CAMPAIGN.replace("at the park gates.", "at the park gates. " + "Coo. " * 40)
    assert main(["check", str(_campaign(tmp_path / "long", long))]) == 1
    assert "too long for pigeon" in capsys.readouterr().err
    missing = CAMPAIGN.replace(', loft: "https://loft.example"', "")
    assert main(["check", str(_campaign(tmp_path / "missing", missing))]) == 1
    assert "a pigeon account needs 'loft'" in capsys.readouterr().err


def test_its_server_passes_the_one_endpoint_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = CAMPAIGN.replace('"https://loft.example"', '"http://loft.example"')
    assert main(["check", str(_campaign(tmp_path, plain))]) == 1
    assert "plain http to a host that is not loopback" in capsys.readouterr().err
    local = CAMPAIGN.replace('"https://loft.example"', '"http://127.0.0.1:8080/"')
    campaign = load_campaign(_campaign(tmp_path / "local", local))
    spec = campaign.accounts["loft"].spec("loft")
    assert descriptors.destination_of(spec).host == "http://127.0.0.1:8080"


def test_preview_counts_against_its_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["preview", str(_campaign(tmp_path))]) == 0
    assert "50/200 characters" in capsys.readouterr().out


def test_the_pages_show_it(tmp_path: Path) -> None:
    web = build_web(tmp_path)
    try:
        web.edit(
            "accounts:\n",
            'accounts:\n  loft:\n    platform: pigeon\n    loft: "https://loft.example"\n',
        )
        client = web.signed_in("rui@example.org")
        page = client.get("/c/mhaw-test/post/day2-support")
        assert page.status_code == 200, page.text
        assert "Pigeon Post" in page.text
        assert "/ 200 characters" in page.text
    finally:
        web.ledger.close()


def test_the_sandbox_stands_in_for_it(tmp_path: Path) -> None:
    """As ``run --sandbox`` does: the account becomes a sandbox one standing in for it."""
    campaign = load_campaign(_campaign(tmp_path))
    (draft,) = render_campaign(campaign)
    context = PlatformContext(
        clock=FixedClock(draft.due),
        credentials=CredentialStore({}, None),
        state_dir=tmp_path / "state",
        outbox=tmp_path / "outbox",
    )
    spec = AccountSpec(draft.account, descriptors.stand_in().name, {"as_platform": "pigeon"})
    publisher = build_publisher(spec, context)
    publisher.publish(build_request(draft, campaign.root, approved_hash=draft.content_hash))
    written = [json.loads(p.read_text()) for p in (tmp_path / "outbox").rglob("*.json")]
    assert [w["request"]["text"] for w in written] == [draft.parts[0].text]
    assert written[0]["request"]["headers"]["Idempotency-Key"]  # the publisher's own body
