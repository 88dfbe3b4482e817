"""The benchmarks' large campaigns (copies of the shipped week) are valid campaigns: each
copy's dependants wait on, and link to, that copy's own story."""

from __future__ import annotations

from pathlib import Path

from bench.scaled import shipped_posts, write_campaign
from scheduler.campaign import load_campaign
from scheduler.render import render_campaign


def test_two_copies_of_the_week_check_and_each_waits_on_its_own_story(tmp_path: Path) -> None:
    _, week = shipped_posts()
    folder = write_campaign(tmp_path / "big", 2 * len(week))
    drafts = render_campaign(load_campaign(folder))
    waits = {(d.post_id, a.post_id) for d in drafts for a in d.after}
    assert waits, "the shipped week has a post that waits on a story"
    for post, story in waits:
        assert post[-6:] == story[-6:] and post[-6:] in ("-w0000", "-w0001"), (post, story)
    assert {suffix[-6:] for suffix, _ in waits} == {"-w0000", "-w0001"}
