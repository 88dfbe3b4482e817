"""Every campaign shipped in campaigns/ passes check, and keeps the care it was written with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scheduler.campaign import load_campaign
from scheduler.cli import main
from scheduler.render import render_campaign
from tests.conftest import CAMPAIGNS

SHIPPED = sorted(p for p in CAMPAIGNS.iterdir() if p.is_dir())
SENSITIVE = re.compile(r"eating disorder|bulimi|anorexi|suicid|self-harm|self harm", re.I)
SUPPORT = re.compile(r"116 123|0808 801 0677|jo@samaritans\.org")


def test_there_is_a_campaign() -> None:
    assert SHIPPED, "campaigns/ should hold at least one campaign folder"


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_check_passes(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(folder)]) == 0
    assert "ok:" in capsys.readouterr().out


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_sensitive_posts_carry_support_and_a_content_warning(folder: Path) -> None:
    drafts = render_campaign(load_campaign(folder))
    assert drafts
    for d in drafts:
        text = "\n".join(p.text for p in d.parts)
        if SENSITIVE.search(text):
            assert SUPPORT.search(text), f"{d.key}: names a sensitive topic without support"
            if d.platform == "mastodon":
                assert d.content_warning, f"{d.key}: needs a content warning on Mastodon"
            else:
                assert d.parts[0].text.startswith("CW: "), d.key
        for part in d.parts:
            for m in part.media:
                assert m.alt and not m.alt.lower().startswith(("image of", "picture of")), d.key
        for tag in re.findall(r"#(\w+)", text):
            assert tag[0].isupper() or tag.isupper(), f"{d.key}: #{tag} is not CamelCase"


def test_the_week_is_split_over_several_files() -> None:
    campaign = load_campaign(CAMPAIGNS / "mhaw-2026")
    assert len(campaign.files) >= 3
    assert sorted({p.local.date().isoformat() for p in campaign.posts if p.local}) == [
        f"2026-05-{d}" for d in range(11, 18)
    ]


def test_check_a_folder_of_campaigns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(CAMPAIGNS)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(": ok: ")[0] for line in out] == [str(p) for p in SHIPPED]
