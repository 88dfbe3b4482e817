"""The campaigns shipped in campaigns/ pass the care lint: no block finding, and every warn
is one we chose to keep (listed here with the reason)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.campaign import load_campaign
from scheduler.care import CarePolicy, Linter
from scheduler.render import render_campaign
from tests.conftest import CAMPAIGNS

SHIPPED = sorted(p for p in CAMPAIGNS.iterdir() if p.is_dir())

# (campaign folder, post id, rule) -> why the warning stays. Empty: no warnings at all.
DELIBERATE_WARNS: dict[tuple[str, str, str], str] = {}


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_shipped_campaign_has_no_block_and_only_deliberate_warns(folder: Path) -> None:
    campaign = load_campaign(folder)
    findings = Linter(CarePolicy.from_settings(campaign.care)).lint_all(render_campaign(campaign))
    blocks = [f for f in findings if f.severity == "block"]
    assert not blocks, [(f.post_id, f.account, f.rule, f.excerpt) for f in blocks]
    surprises = [
        (f.post_id, f.rule, f.excerpt)
        for f in findings
        if f.severity == "warn" and (folder.name, f.post_id, f.rule) not in DELIBERATE_WARNS
    ]
    assert not surprises, surprises


def test_shipped_campaign_sets_an_audience_locale() -> None:
    for folder in SHIPPED:
        assert load_campaign(folder).care.locale, f"{folder.name}: set care.locale"
