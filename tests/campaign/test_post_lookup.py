"""``Campaign.post``: a post by its id, from an index kept in step with the post list."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.campaign import load_campaign
from tests.campaign.test_features import one_post

POSTS = (
    "  - {id: first, day: 1, time: '09:00', text: One.}\n"
    "  - {id: second, day: 2, time: '09:00', text: Two.}\n"
)


def test_posts_are_found_by_id_and_an_unknown_id_is_a_key_error(tmp_path: Path) -> None:
    campaign = load_campaign(one_post(tmp_path, POSTS))
    assert campaign.post("second").text == "Two."
    assert campaign.post("first").text == "One."
    with pytest.raises(KeyError, match="third"):
        campaign.post("third")


def test_the_index_follows_the_post_list(tmp_path: Path) -> None:
    campaign = load_campaign(one_post(tmp_path, POSTS))
    assert campaign.post("first").text == "One."
    added = campaign.post("second").model_copy(update={"id": "third", "text": "Three."})
    campaign.posts.append(added)  # a campaign extended in code
    assert campaign.post("third") is added
    campaign.posts = [added]  # or given a new list
    with pytest.raises(KeyError):
        campaign.post("first")
    assert campaign.post("third") is added
