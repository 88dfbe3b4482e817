"""A post that waits on another shows where that post's address will go, on its page and in
what changed."""

from __future__ import annotations

from tests.web.conftest import Web

PROMO = """\
  - id: day1-promo
    day: 1
    time: "10:00"
    accounts: [masto]
    after: day1-story
    text: "Read the story: {{ story('day1-story').url }}"
"""


def test_the_page_marks_the_address_still_to_come(web: Web) -> None:
    web.edit("posts:\n", "posts:\n" + PROMO)
    client = web.signed_in("rui@example.org")
    html = client.get("/c/mhaw-test/post/day1-promo").text
    assert '<mark class="pending">[address of day1-story, once it is live]</mark>' in html
    assert "waits on day1-story (@masto): goes out once that is live" in html
    # The stand-in is never offered as a link to follow.
    assert 'href="https://after.example.org' not in html
