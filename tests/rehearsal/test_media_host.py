"""The rehearsal says before the week when images would have no public address."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from scheduler import descriptors
from scheduler.accounts import AccountSpec
from scheduler.draft import Draft, Media, Part
from scheduler.rehearsal.media import media_problems
from tests.pigeon.descriptor import PIGEON

# A platform that fetches images from a URL, as Instagram and Threads do.
FETCHING = replace(PIGEON, name="fetching-pigeon", label="Fetching Pigeon", media_by_url=True)
IMAGE = Media("images/a.png", "a" * 64, "image/png", 10, "alt")
ACCOUNTS = {
    "fetcher": AccountSpec("fetcher", FETCHING.name, {"loft": "https://loft.example"}),
    "plain": AccountSpec("plain", PIGEON.name, {"loft": "https://loft.example"}),
}


@pytest.fixture(autouse=True)
def platforms() -> Iterator[None]:
    descriptors.register(PIGEON)
    descriptors.register(FETCHING)
    yield
    descriptors.unregister(FETCHING.name)
    descriptors.unregister(PIGEON.name)


def draft(account: str, *, image: bool = True, day: int = 11) -> Draft:
    return Draft(
        campaign="c",
        post_id=f"p{day}",
        account=account,
        platform=ACCOUNTS[account].platform,
        due=datetime(2026, 5, day, 9, tzinfo=UTC),
        timezone="UTC",
        parts=(Part("hello", (IMAGE,) if image else ()),),
    )


def test_images_for_a_fetching_platform_without_a_host_are_a_problem() -> None:
    drafts = [draft("fetcher", day=12), draft("fetcher", day=11), draft("plain")]
    [problem] = media_problems(drafts, ACCOUNTS, {}, "campaign.yaml")
    assert (problem.kind, problem.account, problem.post) == ("media_host", "fetcher", "p11")
    assert "2 post(s) of fetcher have images" in problem.cause
    assert "SCHEDULER_MEDIA_HOST=s3" in problem.fix


@pytest.mark.parametrize(
    "drafts",
    [
        [draft("plain")],  # the platform takes the bytes itself
        [draft("fetcher", image=False)],  # nothing to fetch
    ],
)
def test_no_problem_without_images_to_fetch(drafts: list[Draft]) -> None:
    assert media_problems(drafts, ACCOUNTS, {}, "c.yaml") == []


def test_a_chosen_host_is_no_problem_and_a_bad_one_is() -> None:
    site = {"SCHEDULER_MEDIA_HOST": "site", "SCHEDULER_MEDIA_SITE_URL": "https://review.example"}
    assert media_problems([draft("fetcher")], ACCOUNTS, site, "c.yaml") == []
    [problem] = media_problems([draft("fetcher")], ACCOUNTS, {"SCHEDULER_MEDIA_HOST": "ftp"}, "c")
    assert "is not a media host" in problem.cause
