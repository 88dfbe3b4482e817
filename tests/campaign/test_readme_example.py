"""The complete example in the README's "Campaign files" section is a valid campaign."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from scheduler.campaign import load_campaign
from scheduler.render import render_campaign
from tests.conftest import CAMPAIGNS, ROOT


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Campaign files", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match, "the Campaign files section should hold a ```yaml example"
    return match.group(1)


def test_readme_example_checks(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    shutil.copy(CAMPAIGNS / "mhaw-2026" / "images" / "path-to-sunrise.png", tmp_path / "images")
    (tmp_path / "days").mkdir()
    (tmp_path / "days" / "tuesday.yaml").write_text(
        "posts:\n  - {id: d2-story, day: 2, text: Day two.}\n", encoding="utf-8"
    )
    path = tmp_path / "campaign.yaml"
    path.write_text(readme_example(), encoding="utf-8")
    campaign = load_campaign(path)
    drafts = {(d.post_id, d.account): d for d in render_campaign(campaign)}
    assert len(drafts) == 3 + 2 + 3
    evening = drafts["d1-evening", "mhaw-mastodon"]
    assert evening.parts[0].text.startswith("A longer version for Mastodon.")
    assert (
        drafts["d1-evening", "mhaw-bluesky"]
        .parts[0]
        .text.endswith("#MentalHealthAwarenessWeek #MHAW")
    )
    story = drafts["d1-story", "mhaw-x"]
    assert story.parts[0].text.startswith("CW: mh, eating disorder mention\n\nOur first guest, Lou")
    assert story.parts[1].text.startswith("Samaritans are free and anonymous")
