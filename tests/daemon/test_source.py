"""Campaign files as the daemon's source: changes are seen by mtime; broken files once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scheduler.daemon.source import CampaignFiles
from scheduler.errors import CampaignError, UsageError
from tests.daemon.support import CAMPAIGN


def _touch(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))


def test_changes_are_seen_and_broken_files_reported_once(tmp_path: Path) -> None:
    folder = tmp_path / "campaign"
    folder.mkdir()
    path = folder / "campaign.yaml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    source = CampaignFiles([folder])
    assert not source.changed()  # nothing loaded yet: nothing to compare
    [loaded] = source.load()
    assert loaded.campaign_id == "test-daemon" and len(loaded.drafts) == 4
    assert loaded.accounts["masto"].settings == {"as_platform": "mastodon"}
    assert loaded.rule.approvers == frozenset({"rev@example.org"})
    assert not source.changed()
    _touch(path, CAMPAIGN.replace("Anxiety is common", "Anxiety is very common"))
    assert source.changed()
    [again] = source.load()
    assert any("very common" in d.parts[0].text for d in again.drafts)
    assert not source.changed()
    _touch(path, CAMPAIGN.replace("timezone: Etc/UTC", "timezone: Mars/Olympus"))
    assert source.changed()
    with pytest.raises(CampaignError):
        source.load()
    assert not source.changed()  # reported once; the next change is seen again
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "x").write_text("x")
    assert not source.changed()  # hidden folders (.git) do not count


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such campaign"):
        CampaignFiles([tmp_path / "nope"])


def test_a_costly_template_is_a_reported_problem_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "campaign"
    folder.mkdir()
    path = folder / "campaign.yaml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    source = CampaignFiles([folder])
    source.load()
    loops = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    _touch(path, CAMPAIGN.replace("Anxiety is common and treatable.", f'"{loops}"'))
    with pytest.raises(CampaignError) as info:
        source.load()
    [problem] = info.value.problems
    assert "template too expensive: loops run more than 100,000 times" in str(problem)


def test_loaded_apart_is_loaded_the_same_and_problems_come_back(tmp_path: Path) -> None:
    folder = tmp_path / "campaign"
    folder.mkdir()
    path = folder / "campaign.yaml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    here, apart = CampaignFiles([folder]), CampaignFiles([folder], apart=True)
    assert apart.load() == here.load()
    assert not apart.changed()
    _touch(path, CAMPAIGN.replace("timezone: Etc/UTC", "timezone: Mars/Olympus"))
    assert apart.changed()
    with pytest.raises(CampaignError) as at_home:
        here.load()
    with pytest.raises(CampaignError) as away:
        apart.load()
    assert [str(p) for p in away.value.problems] == [str(p) for p in at_home.value.problems]
    assert str(away.value) == str(at_home.value)
    assert not apart.changed()
