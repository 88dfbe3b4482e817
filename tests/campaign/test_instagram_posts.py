"""Instagram in campaign files: an image for every post, JPEG only, its caption's limits, and
a first comment where the platform has one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.campaign.helpers import HEADER
from tests.campaign.test_features import drafts_of, one_post, problems_of
from tests.platforms.harness_instagram import tiny_jpeg

INSTA = HEADER.replace(
    "  bird: {platform: x, username: testweek}\n",
    "  bird: {platform: x, username: testweek}\n"
    '  insta: {platform: instagram, user_id: "17841400008460056", username: testweek}\n',
)


def _campaign(tmp_path: Path, post: str) -> Path:
    path = one_post(tmp_path, post, INSTA)
    (path.parent / "img" / "walk.jpg").write_bytes(tiny_jpeg())
    return path


def test_an_instagram_post_without_an_image_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = _campaign(
        tmp_path, "  - {id: words, day: 1, time: '09:00', accounts: [insta], text: Only words.}\n"
    )
    (problem,) = problems_of(path)
    assert "campaign.yaml:" in problem and "instagram has no text-only posts" in problem
    assert "hint: add `media:` with a JPEG" in problem


def test_a_png_is_refused_for_instagram_and_taken_elsewhere(tmp_path: Path) -> None:
    post = (
        "  - id: pic\n    day: 1\n    time: '09:00'\n    accounts: [insta, masto]\n"
        "    text: A walk.\n    media: [{file: img/a.png, alt: A path through a park.}]\n"
    )
    (problem,) = problems_of(_campaign(tmp_path, post))
    assert "instagram does not take image/png images" in problem


def _tagged(tmp_path: Path, count: int) -> Path:
    tags = " ".join(f"#Tag{i}" for i in range(count))
    post = (
        "  - id: tags\n    day: 1\n    time: '09:00'\n    accounts: [insta]\n"
        "    campaign_hashtags: false\n"
        f"    text: '{tags}'\n    media: [{{file: img/walk.jpg, alt: A path in a park.}}]\n"
    )
    return _campaign(tmp_path, post)


def test_instagram_takes_five_hashtags(tmp_path: Path) -> None:
    draft = drafts_of(_tagged(tmp_path, 5))[("tags", "insta")]
    assert draft.parts[0].text.count("#") == 5


@pytest.mark.parametrize("count", [6, 31])
def test_more_than_five_hashtags_are_refused_for_instagram(tmp_path: Path, count: int) -> None:
    problems = problems_of(_tagged(tmp_path, count))
    assert any(f"{count} hashtags, but instagram takes at most 5" in p for p in problems), problems


def test_the_first_comment_goes_to_instagram_only(tmp_path: Path) -> None:
    post = (
        "  - id: pic\n    day: 1\n    time: '09:00'\n    accounts: [insta, masto]\n"
        "    text: A walk with {{ org }}.\n"
        "    first_comment: '#RunTalkRun #WalkTogether'\n"
        "    media: [{file: img/walk.jpg, alt: A path through a park at dawn.}]\n"
    )
    drafts = drafts_of(_campaign(tmp_path, post))
    assert drafts["pic", "insta"].first_comment == "#RunTalkRun #WalkTogether"
    assert drafts["pic", "masto"].first_comment is None
    # The comment is part of what is approved: changing it changes the draft's hash.
    other = drafts["pic", "insta"]
    assert replace(other, first_comment="#Other", content_hash="").content_hash != (
        other.content_hash
    )
